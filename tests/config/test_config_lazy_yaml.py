"""LazyConfig YAML as Detectron2 writes it: Python tags read by the restricted loader; hostile tags refused."""
from __future__ import annotations

import functools
import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from detectra.config import LazyConfig, instantiate
from detectra.config.instantiate import locate, to_detectra_name
from detectra.config.lazy_yaml import UnsafeYAMLTagError, load_lazy_yaml
from detectra.layers import ShapeSpec

# The five fixtures saved by Detectron2's LazyConfig.save, and a module each needs beyond the ResNet ones.
LAZY_FIXTURES = {
    "fcos_R_50_FPN": None,
    "mask_rcnn_regnetx_4gf_dds_FPN": "detectra.modeling.backbone.regnet",
    "mask_rcnn_vitdet_b": "detectra.modeling.backbone.vit",
    "cascade_mask_rcnn_swin_b": None,
    "cascade_mask_rcnn_mvitv2_b": None,
}


@pytest.mark.parametrize("name", sorted(LAZY_FIXTURES))
def test_detectron2_saved_configs_load(shared_dir: Path, name: str) -> None:
    needed = LAZY_FIXTURES[name]
    if needed is not None and importlib.util.find_spec(needed) is None:
        pytest.skip(f"{name} names objects of {needed}, which detectra does not have yet")
    cfg = LazyConfig.load(shared_dir / "fixtures" / "d2parity" / name / "config.yaml")
    assert {"dataloader", "lr_multiplier", "model", "optimizer", "train"} <= set(cfg)
    assert cfg.model._target_.startswith("detectron2.modeling.")
    assert cfg.train.init_checkpoint.startswith(("detectron2://", "https://"))  # URLs: unchanged
    # Every !!python/object: ShapeSpec becomes a structured config that instantiates to detectra's ShapeSpec.
    shapes = []
    if name == "fcos_R_50_FPN":
        shapes = instantiate(cfg.model.head.input_shape)
        assert shapes == [ShapeSpec(channels=256)] * 5
    else:
        shapes = [instantiate(cfg.model.roi_heads.mask_head.input_shape)]
        assert shapes == [ShapeSpec(channels=256, height=14, width=14)]
    if name == "mask_rcnn_regnetx_4gf_dds_FPN":
        regnet = importlib.import_module("detectra.modeling.backbone.regnet")
        assert cfg.model.backbone.bottom_up.stem_class is regnet.SimpleStem
        assert cfg.model.backbone.bottom_up.block_class is regnet.ResBottleneckBlock
    if name in ("mask_rcnn_vitdet_b", "cascade_mask_rcnn_mvitv2_b"):
        backbone = cfg.model.backbone
        norm = backbone.net.norm_layer if name == "mask_rcnn_vitdet_b" else backbone.bottom_up.norm_layer
        assert isinstance(norm, functools.partial)
        assert norm.func is torch.nn.LayerNorm and norm.args == () and norm.keywords == {"eps": 1e-6}
    if name == "mask_rcnn_vitdet_b":
        decay = cfg.optimizer.params.lr_factor_func
        assert decay.func is importlib.import_module("detectra.modeling.backbone.vit").get_vit_lr_decay_rate
        assert decay.keywords == {"lr_decay_rate": 0.7, "num_layers": 12}


def test_detectron2_target_strings_locate_detectra_objects(monkeypatch) -> None:
    assert to_detectra_name("detectron2.modeling.GeneralizedRCNN") == "detectra.modeling.GeneralizedRCNN"
    assert to_detectra_name("torch.optim.SGD") == "torch.optim.SGD"
    assert locate("detectron2.config.LazyConfig") is LazyConfig
    for module in [m for m in sys.modules if m == "fvcore" or m.startswith("fvcore.")] + ["fvcore"]:
        monkeypatch.setitem(sys.modules, module, None)  # as on a machine without fvcore: detectra's schedulers
    sched = instantiate(
        {
            "_target_": "fvcore.common.param_scheduler.MultiStepParamScheduler",
            "values": [1.0, 0.1],
            "milestones": [5],
            "num_updates": 10,
        }
    )
    assert type(sched).__module__ == "detectra.solver.param_scheduler"
    assert sched(0.2) == 1.0 and sched(0.6) == pytest.approx(0.1)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_hostile_apply_tag_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = _write(
        tmp_path,
        f"""
        model:
          depth: 50
          evil: !!python/object/apply:os.system ["touch {marker}"]
        """,
    )
    with pytest.raises(UnsafeYAMLTagError) as e:
        LazyConfig.load(path)
    msg = str(e.value)
    assert "!!python/object/apply:os.system" in msg and f"{path}, line 4" in msg and "refused" in msg
    assert not marker.exists()


@pytest.mark.parametrize(
    "value, why",
    [
        ("!!python/name:os.system ''", "not a public name inside"),
        ("!!python/name:torch.os.system ''", "outside the allowed ones"),  # attribute path leaving torch
        ("!!python/name:torch.nn.Module.__subclasses__ ''", "not a public name inside"),
        ("!!python/object/apply:functools.partial [!!python/name:builtins.exec '', 'print(1)']", "public name"),
        ("!!python/object/apply:torch.load ['x.pt']", "only functools.partial"),
        ("!!python/object/new:os.system ['true']", "not a public name inside"),
        ("!!python/object/new:torch.nn.Linear [2, 3]", "config dataclasses"),
        ("!!python/object/new:detectra.layers.ShapeSpec {args: [3], state: {x: 1}}", "unexpected keys ['state']"),
        ("!!python/module:os ''", "not one that LazyConfig files use"),
        ("!!python/object:detectra.config.LazyConfig {}", "config dataclasses"),
        ("!!python/object:detectron2.layers.ShapeSpec {channels: 3, depth: 2}", "cannot build ShapeSpec"),
        ("!object 'Foo()'", "load the pickle it wrote next to this file"),  # what LazyConfig.save could not write
    ],
)
def test_refused_tags_name_the_tag_and_line(tmp_path: Path, value: str, why: str) -> None:
    path = _write(tmp_path, f"a: 1\nb:\n  c: {value}\n")
    with pytest.raises(UnsafeYAMLTagError, match="line 3") as e:
        LazyConfig.load(path)
    assert why in str(e.value)


def test_missing_detectra_name_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, "f: !!python/name:detectron2.modeling.NoSuchModel ''\n")
    with pytest.raises(UnsafeYAMLTagError, match=r"line 1 cannot be loaded: 'detectra.modeling.NoSuchModel' does not"):
        LazyConfig.load(path)


def test_allowed_tags_build_the_objects() -> None:
    data = load_lazy_yaml(
        textwrap.dedent(
            """
            norm: !!python/object/apply:functools.partial
              args: [&f !!python/name:torch.nn.modules.normalization.LayerNorm '']
              state: !!python/tuple [*f, !!python/tuple [], {eps: 1.0e-06}, null]
            act: !!python/object/apply:functools.partial [!!python/name:torch.nn.functional.gelu '']
            shape: !!python/object:detectron2.layers.shape_spec.ShapeSpec {channels: 8, stride: 4}
            old_shape: !!python/object/new:detectron2.layers.shape_spec.ShapeSpec [16, null, null, 8]
            size: !!python/tuple [3, 4]
            """
        )
    )
    assert data["norm"](4).eps == 1e-6
    assert data["act"].func is torch.nn.functional.gelu
    assert data["shape"] == ShapeSpec(channels=8, stride=4)
    assert data["old_shape"] == ShapeSpec(channels=16, stride=8)  # Detectron2 <= 2022 saved a namedtuple
    assert data["size"] == (3, 4)
