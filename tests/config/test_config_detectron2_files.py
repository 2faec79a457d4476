"""Config files written for Detectron2 (its module names, fvcore's schedulers) load and build detectra's objects
without the `detectron2` compatibility package or fvcore; LazyConfig.save round-trips a model-zoo config."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
import torch

from detectra import model_zoo
from detectra.config import LazyConfig, instantiate
from detectra.modeling import GeneralizedRCNN
from detectra.solver import LRMultiplier, WarmupParamScheduler
from detectra.solver import param_scheduler as detectra_schedulers

_D2_STYLE_CONFIG = """
from detectron2.config import LazyCall as L
from detectron2.solver import WarmupParamScheduler
from fvcore.common.param_scheduler import MultiStepParamScheduler
import detectron2.layers

from ..common.models.mask_rcnn_fpn import model

model.roi_heads.num_classes = 3
norm = L(detectron2.layers.FrozenBatchNorm2d)(num_features=8)
lr_multiplier = L(WarmupParamScheduler)(
    scheduler=L(MultiStepParamScheduler)(values=[1.0, 0.1, 0.01], milestones=[60, 80, 90]),
    warmup_length=10 / 90,
    warmup_factor=0.001,
)
"""


@pytest.fixture()
def without_detectron2_or_fvcore(monkeypatch):
    # As on a machine with neither the detectron2 compatibility package nor fvcore installed.
    monkeypatch.setitem(sys.modules, "detectron2", None)
    monkeypatch.setitem(sys.modules, "fvcore", None)


def test_py_config_written_for_detectron2_loads_without_it(tmp_path, without_detectron2_or_fvcore):
    zoo_common = Path(model_zoo.get_config_file("common/train.py")).parent
    (tmp_path / "configs").mkdir()
    (tmp_path / "common").symlink_to(zoo_common, target_is_directory=True)
    path = tmp_path / "configs" / "d2_style.py"
    path.write_text(textwrap.dedent(_D2_STYLE_CONFIG))

    cfg = LazyConfig.load(str(path))
    assert sys.modules["detectron2"] is None  # nothing was registered under Detectron2's name
    assert cfg.lr_multiplier.scheduler._target_ is detectra_schedulers.MultiStepParamScheduler
    schedule = instantiate(cfg.lr_multiplier)
    assert schedule(0.0) == pytest.approx(0.001) and schedule(0.5) == 1.0 and schedule(0.7) == pytest.approx(0.1)
    with torch.device("meta"):
        model = instantiate(cfg.model)
    assert isinstance(model, GeneralizedRCNN) and model.roi_heads.num_classes == 3


def test_saved_yaml_naming_detectron2_targets_builds_detectra_classes(tmp_path):
    cfg = model_zoo.get_config("COCO-Detection/retinanet_R_50_FPN_1x.py")
    LazyConfig.save(cfg, tmp_path / "ours.yaml")
    ours = (tmp_path / "ours.yaml").read_text()
    assert "_target_: detectra.modeling.RetinaNet" in ours and "!object" not in ours
    # The same file as Detectron2 would have written it.
    (tmp_path / "d2.yaml").write_text(ours.replace("detectra.", "detectron2."))
    loaded = LazyConfig.load(str(tmp_path / "d2.yaml"))
    assert loaded.model._target_ == "detectron2.modeling.RetinaNet"
    with torch.device("meta"):
        original, rebuilt = instantiate(cfg.model), instantiate(loaded.model)
    assert type(rebuilt) is type(original)
    assert [(n, p.shape) for n, p in rebuilt.named_parameters()] == [(n, p.shape) for n, p in original.named_parameters()]
    # save -> load -> save is stable: _target_ strings stay as loaded, objects (ShapeSpec) get their real path
    LazyConfig.save(loaded, tmp_path / "again.yaml")
    again = (tmp_path / "again.yaml").read_text()
    assert "_target_: detectron2.modeling.RetinaNet" in again and again.replace("detectron2.", "detectra.") == ours


def test_fvcore_schedulers_are_accepted_where_detectra_ones_are():
    fvcore_ps = pytest.importorskip("fvcore.common.param_scheduler", reason="fvcore is not installed")
    ours = WarmupParamScheduler(
        detectra_schedulers.CosineParamScheduler(1.0, 0.0), warmup_factor=0.01, warmup_length=0.1
    )
    theirs = WarmupParamScheduler(fvcore_ps.CosineParamScheduler(1.0, 0.0), warmup_factor=0.01, warmup_length=0.1)
    assert isinstance(fvcore_ps.CosineParamScheduler(1.0, 0.0), detectra_schedulers.ParamScheduler)
    assert not isinstance(fvcore_ps.CosineParamScheduler(1.0, 0.0), detectra_schedulers.CosineParamScheduler)
    lrs = []
    for multiplier in (ours, theirs, fvcore_ps.CosineParamScheduler(1.0, 0.0)):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
        scheduler = LRMultiplier(optimizer, multiplier, max_iter=20)
        values = []
        for _ in range(20):
            values.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        lrs.append(values)
    assert lrs[0] == pytest.approx(lrs[1])
    assert lrs[1][0] == pytest.approx(0.005) and lrs[2][0] == 0.5 and lrs[2][10] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="must be a ParamScheduler"):
        LRMultiplier(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5), lambda where: 1.0, max_iter=5)
