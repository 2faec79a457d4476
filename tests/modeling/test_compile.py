"""cfg.MODEL.COMPILE: parts compiled in place, eager fallback with a clear warning."""
import logging

import torch

from detectra.modeling import build_model
from detectra.modeling import compile as compile_mod
from detectra.modeling.compile import compile_model

from .modeling_testing import inference_batch, small_cfg


def _model():
    cfg = small_cfg("faster_rcnn_fpn")
    torch.manual_seed(0)
    return build_model(cfg).eval(), cfg


def _inputs():
    return inference_batch()


def test_compiled_parts_give_the_same_detections_and_keep_the_state_dict():
    model, _ = _model()
    keys = list(model.state_dict())
    with torch.no_grad():
        ref = model(_inputs())[0]["instances"]
    compile_model(model, backend="eager")  # dynamo graph capture without Inductor's C++ build (fast)
    assert isinstance(model.backbone.forward, compile_mod._CompiledOrEager)
    with torch.no_grad():
        out = model(_inputs())[0]["instances"]
    assert not model.backbone.forward.failed
    assert list(model.state_dict()) == keys
    torch.testing.assert_close(out.pred_boxes.tensor, ref.pred_boxes.tensor)
    torch.testing.assert_close(out.scores, ref.scores)


def _broken_compile(fn, **kwargs):
    def run(*args, **kw):
        raise RuntimeError("backend exploded\nlong traceback")

    return run


def test_compile_failure_falls_back_to_eager_with_a_warning(monkeypatch, caplog):
    model, _ = _model()
    monkeypatch.setattr(torch, "compile", _broken_compile)
    compile_model(model)
    with torch.no_grad(), caplog.at_level(logging.WARNING, logger="detectra.modeling.compile"):
        out = model(_inputs())
        model(_inputs())
    assert len(out[0]["instances"]) > 0
    warnings = [r.getMessage() for r in caplog.records if "MODEL.COMPILE" in r.getMessage()]
    assert any("'backbone'" in w and "backend exploded" in w and "eagerly" in w for w in warnings)
    assert len([w for w in warnings if "'backbone'" in w]) == 1  # once, not at every call


def test_unsupported_platform_warns_and_runs_eagerly(monkeypatch, caplog):
    monkeypatch.setattr(compile_mod.shutil, "which", lambda name: None)
    model, cfg = _model()
    forward = model.backbone.forward
    with caplog.at_level(logging.WARNING, logger="detectra.modeling.compile"):
        compile_model(model)
    assert model.backbone.forward == forward
    assert any("C++ compiler" in r.getMessage() for r in caplog.records)


def test_build_model_reads_model_compile(monkeypatch):
    calls = []
    monkeypatch.setattr(compile_mod, "compile_model", lambda model: calls.append(model) or model)
    cfg = small_cfg("faster_rcnn_fpn")
    cfg.MODEL.COMPILE = True
    model = build_model(cfg)
    assert calls == [model]


def test_warnings_name_the_key_the_run_used(monkeypatch, caplog):
    """A LazyConfig run asks with train.compile: its warnings say so, not MODEL.COMPILE."""
    model, _ = _model()
    monkeypatch.setattr(torch, "compile", _broken_compile)
    compile_model(model, config_key="train.compile")
    with torch.no_grad(), caplog.at_level(logging.WARNING, logger="detectra.modeling.compile"):
        model(_inputs())
    monkeypatch.setattr(compile_mod.shutil, "which", lambda name: None)
    with caplog.at_level(logging.WARNING, logger="detectra.modeling.compile"):
        compile_model(_model()[0], config_key="train.compile")
    warnings = [r.getMessage() for r in caplog.records]
    assert any(w.startswith("train.compile: torch.compile failed on 'backbone'") and "Set train.compile to False"
               in w for w in warnings)  # fmt: skip
    assert any(w.startswith("train.compile is on, but torch.compile cannot run here") for w in warnings)
    assert not any("MODEL.COMPILE" in w for w in warnings)
