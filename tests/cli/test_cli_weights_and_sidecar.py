"""Small command-line messages about what a user points the command at: a run folder given as weights, and an
exported model whose sidecar records no resize rule."""
from __future__ import annotations

import logging
import types

import pytest

from detectra.cli import _common, export
from detectra.config import get_cfg


def test_a_folder_given_as_weights_points_at_run(tmp_path):
    cfg = get_cfg()
    cfg.MODEL.WEIGHTS = str(tmp_path)
    with pytest.raises(_common.CLIError) as e:
        _common.weights_or_die(cfg)
    assert str(e.value) == (
        f"MODEL.WEIGHTS '{tmp_path}' is a folder: pass --run {tmp_path} to use its model_final.pth, or name the "
        ".pth file."
    )
    cfg.MODEL.WEIGHTS = str(tmp_path / "missing.pth")
    with pytest.raises(_common.CLIError, match="does not exist"):
        _common.weights_or_die(cfg)


@pytest.mark.parametrize("resize", [None, {"min_size_test": 96, "max_size_test": 160}])
def test_exported_model_without_a_resize_rule_says_which_rule_it_uses(monkeypatch, caplog, resize):
    sidecar = {"input_format": "RGB", "classes": {"thing_classes": ["a"]}}
    if resize:
        sidecar["resize"] = resize
    monkeypatch.setattr(export, "load_exported", lambda path: types.SimpleNamespace(sidecar=sidecar))
    with caplog.at_level(logging.WARNING, logger="detectra.cli"):
        predictor, _ = export.exported_predictor("model.onnx", batch_size=1, show_progress=False)
    warned = [r.getMessage() for r in caplog.records if "no resize rule" in r.getMessage()]
    if resize:
        assert not warned and predictor.aug.short_edge_length == (96, 96) and predictor.aug.max_size == 160
    else:
        assert warned == [
            "model.onnx's sidecar has no resize rule (exported from Python without cfg=): images are resized with "
            "Detectron2's default test rule, shortest edge 800 and longest at most 1333. Export again with "
            "export_model(..., cfg=cfg), or `detectra export`, to record the model's own."
        ]
        assert predictor.aug.short_edge_length == (800, 800) and predictor.aug.max_size == 1333
    assert predictor.input_format == "RGB"
