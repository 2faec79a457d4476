"""LazyConfig.save writes classes, functions, functools.partial and ShapeSpec with Detectron2's Python tags, so that
model-zoo configs holding them load back equal; values without a loadable form are named in a warning and pickled."""
from __future__ import annotations

import functools
import logging
import math
import pickle
from pathlib import Path
from typing import Any

import pytest
import torch
from omegaconf import OmegaConf, SCMode

from detectra import model_zoo
from detectra.config import LazyConfig, instantiate
from detectra.config.instantiate import dump_target
from detectra.config.lazy_yaml import UnsafeYAMLTagError

REGNET = "COCO-InstanceSegmentation/mask_rcnn_regnetx_4gf_dds_fpn_1x.py"
FCOS = "COCO-Detection/fcos_R_50_FPN_1x.py"
VITDET = "ViTDet/COCO/mask_rcnn_vitdet_b_100ep.py"


def _comparable(value: Any) -> Any:
    """A config as plain values that compare by content: classes and functions by import path, partials by parts."""
    if OmegaConf.is_config(value):
        value = OmegaConf.to_container(value, resolve=False, structured_config_mode=SCMode.INSTANTIATE)
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_comparable(v) for v in value)
    if isinstance(value, functools.partial):
        return ("partial", _comparable(value.func), _comparable(value.args), _comparable(value.keywords))
    if isinstance(value, type) or callable(value):
        return dump_target(value)
    return value


@pytest.mark.parametrize("name", [REGNET, FCOS, VITDET])
def test_model_zoo_config_round_trips(tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str) -> None:
    cfg = model_zoo.get_config(name)
    path = tmp_path / "config.yaml"
    with caplog.at_level(logging.WARNING, logger="detectra.config"):
        LazyConfig.save(cfg, path)
    assert not caplog.records and not (tmp_path / "config.yaml.pkl").exists()
    text = path.read_text()
    assert "!object" not in text

    loaded = LazyConfig.load(path)
    LazyConfig.save(loaded, tmp_path / "again.yaml")  # save -> load -> save gives the same file
    assert (tmp_path / "again.yaml").read_text() == text
    assert _comparable(loaded) == _comparable(cfg)
    if name == VITDET:  # ViT's drop-path rates need real tensors: build a narrow, 2-block variant on the CPU
        for c in (cfg, loaded):
            LazyConfig.apply_overrides(c, ["model.backbone.net.embed_dim=64", "model.backbone.net.depth=2"])
        original, rebuilt = instantiate(cfg.model), instantiate(loaded.model)
    else:
        with torch.device("meta"):
            original, rebuilt = instantiate(cfg.model), instantiate(loaded.model)
    assert type(rebuilt) is type(original)
    shapes = [(n, p.shape) for n, p in rebuilt.named_parameters()]
    assert len(shapes) > 100 and shapes == [(n, p.shape) for n, p in original.named_parameters()]


def test_loaded_vitdet_partials_work(tmp_path: Path) -> None:
    LazyConfig.save(model_zoo.get_config(VITDET), tmp_path / "config.yaml")
    cfg = LazyConfig.load(tmp_path / "config.yaml")
    norm = cfg.model.backbone.net.norm_layer
    assert norm.func is torch.nn.LayerNorm and norm.keywords == {"eps": 1e-6}
    assert norm(8).eps == 1e-6
    decay = cfg.optimizer.params.lr_factor_func
    # Layer 3 of 12 with decay 0.7: 0.7 ** (12 + 1 - 4).
    assert decay("backbone.net.blocks.3.attn.qkv.weight") == pytest.approx(0.7**9)
    assert decay("backbone.net.pos_embed") == pytest.approx(0.7**13)


def _tagged_blocks(text: str) -> list[str]:
    """Lines with a class / function / object / partial tag (and the lines of each partial), without indentation.

    Plain tuples are left out: Detectron2's OmegaConf (< 2.4) turned them into lists.
    """
    lines, blocks = text.splitlines(), []
    for i, line in enumerate(lines):
        if any(tag in line for tag in ("!!python/name:", "!!python/object")) and "  args: [" not in line:
            blocks.append(line.strip())
        if line.endswith("!!python/object/apply:functools.partial"):
            indent = len(line) - len(line.lstrip())
            for inner in lines[i + 1 :]:
                if len(inner) - len(inner.lstrip()) <= indent:
                    break
                blocks.append(inner.strip())
    return blocks


@pytest.mark.parametrize(
    "name, fixture", [(REGNET, "mask_rcnn_regnetx_4gf_dds_FPN"), (VITDET, "mask_rcnn_vitdet_b")]
)
def test_saved_tags_match_detectron2s(tmp_path: Path, shared_dir: Path, name: str, fixture: str) -> None:
    LazyConfig.save(model_zoo.get_config(name), tmp_path / "config.yaml")
    ours = _tagged_blocks((tmp_path / "config.yaml").read_text())
    theirs = _tagged_blocks((shared_dir / "fixtures" / "d2parity" / fixture / "config.yaml").read_text())
    # Detectron2 names its own modules; detectra writes the real import path of the same objects.
    assert [line.replace("detectra.", "detectron2.") for line in ours] == theirs
    assert any("ShapeSpec {channels: 256, height: 14, stride: null, width: 14}" in line for line in ours)
    if name == VITDET:
        assert "- {eps: 1.0e-06}" in ours and "- {lr_decay_rate: 0.7, num_layers: 12}" in ours


def test_unloadable_values_are_named_and_pickled(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = OmegaConf.create({"model": {"norm": functools.partial(torch.nn.GroupNorm, 32)}}, flags={"allow_objects": True})
    cfg.model.act = math.sqrt  # importable, but outside the packages LazyConfig.load imports
    with caplog.at_level(logging.WARNING, logger="detectra.config"):
        LazyConfig.save(cfg, tmp_path / "c.yaml")
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "model.act: math.sqrt is not a public name in detectra, torch, torchvision" in message
    assert "model.norm" not in message and "c.yaml.pkl" in message
    text = (tmp_path / "c.yaml").read_text()
    assert "act: !!python/name:math.sqrt ''" in text  # as Detectron2 writes it
    with pytest.raises(UnsafeYAMLTagError, match="line 2"):
        LazyConfig.load(tmp_path / "c.yaml")
    with open(tmp_path / "c.yaml.pkl", "rb") as f:
        restored = pickle.load(f)
    assert restored.model.act is math.sqrt and restored.model.norm.args == (32,)


def test_lambda_is_named_kept_readable_and_refused_on_load(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = OmegaConf.create({"train": {"max_iter": 10}}, flags={"allow_objects": True})
    cfg.train.schedule = lambda it: 0.1 * it
    with caplog.at_level(logging.WARNING, logger="detectra.config"):
        LazyConfig.save(cfg, tmp_path / "c.yaml")
    messages = [r.getMessage() for r in caplog.records]
    assert "train.schedule: <function" in messages[0] and "has no import path (a lambda" in messages[0]
    assert not any("Could not pickle" in m for m in messages)
    with open(tmp_path / "c.yaml.pkl", "rb") as f:  # cloudpickle keeps the lambda itself
        assert pickle.load(f).train.schedule(5) == pytest.approx(0.5)
    text = (tmp_path / "c.yaml").read_text()
    assert "schedule: !object '<function test_lambda_is_named" in text and "max_iter: 10" in text
    with pytest.raises(UnsafeYAMLTagError, match=r"!object at .*c\.yaml, line 1 cannot be loaded: .*load the pickle"):
        LazyConfig.load(tmp_path / "c.yaml")
