"""The RegNet and FCOS LazyConfig model-zoo files: equal to what Detectron2 saved from its own files (the parity
fixtures' config.yaml), and the RegNetY / LSJ variants build the backbones and schedules they describe."""
from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from detectra import model_zoo
from detectra.config import LazyConfig, instantiate
from detectra.config.instantiate import locate, to_detectra_name
from detectra.modeling.backbone.regnet import SE, RegNet


def _comparable(x, key: str = ""):
    """Plain containers with ``_target_`` names resolved to objects and numbers as floats."""
    if isinstance(x, dict):
        return {k: _comparable(v, k) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_comparable(v) for v in x]
    if key == "_target_" and isinstance(x, str):
        return locate(to_detectra_name(x))  # detectron2.* and fvcore's schedulers -> detectra's
    return float(x) if isinstance(x, int) and not isinstance(x, bool) else x


@pytest.mark.parametrize(
    "name, fixture, test_only_changes",
    [
        ("COCO-Detection/fcos_R_50_FPN_1x.py", "fcos_R_50_FPN", ["model.test_score_thresh=0.2"]),
        (
            "COCO-InstanceSegmentation/mask_rcnn_regnetx_4gf_dds_fpn_1x.py",
            "mask_rcnn_regnetx_4gf_dds_FPN",
            ["model.roi_heads.box_predictor.test_score_thresh=0.05"],
        ),
    ],
)
def test_config_equals_the_one_detectron2_saved(shared_dir, name, fixture, test_only_changes):
    ours = model_zoo.get_config(name)
    ref = LazyConfig.load(shared_dir / "fixtures" / "d2parity" / fixture / "config.yaml")
    LazyConfig.apply_overrides(ref, test_only_changes)  # undo the fixture's test-only thresholds (see its README)
    del ours.train.amp.precision  # a detectra addition (bf16 autocast)
    assert _comparable(OmegaConf.to_container(ours, resolve=True)) == _comparable(
        OmegaConf.to_container(ref, resolve=True)
    )


def _build_on_meta(cfg):
    with torch.device("meta"):
        return instantiate(cfg)


def test_regnety_and_lsj_variants():
    y = model_zoo.get_config("COCO-InstanceSegmentation/mask_rcnn_regnety_4gf_dds_fpn_1x.py")
    bottom_up = _build_on_meta(y.model.backbone.bottom_up)
    assert isinstance(bottom_up, RegNet)
    # RegNetY-4GF: widths 128, 192, 512, 1088 over 2, 6, 12, 2 blocks, squeeze-excitation in every block
    assert {k: v.channels for k, v in bottom_up.output_shape().items()} == {"s1": 128, "s2": 192, "s3": 512, "s4": 1088}
    assert [len(list(stage.children())) for stage, _ in bottom_up.stages_and_names] == [2, 6, 12, 2]
    assert sum(isinstance(m, SE) for m in bottom_up.modules()) == 22
    assert not any(p.requires_grad for p in bottom_up.stem.parameters())  # freeze_at=2
    assert y.optimizer.weight_decay == 5e-5 and y.train.cudnn_benchmark

    for variant in "xy":
        lsj = model_zoo.get_config(f"new_baselines/mask_rcnn_regnet{variant}_4gf_dds_FPN_100ep_LSJ.py")
        assert lsj.train.max_iter == 184375 and lsj.optimizer.lr == 0.1 and lsj.train.init_checkpoint == ""
        backbone = _build_on_meta(lsj.model.backbone.bottom_up)
        assert isinstance(backbone.s1.b1.bn, torch.nn.SyncBatchNorm)
        assert all(p.requires_grad for p in backbone.parameters())  # from scratch: nothing frozen
        for epochs, factor in ((200, 2), (400, 4)):
            longer = model_zoo.get_config(f"new_baselines/mask_rcnn_regnet{variant}_4gf_dds_FPN_{epochs}ep_LSJ.py")
            assert longer.train.max_iter == 184375 * factor
            assert list(longer.lr_multiplier.scheduler.milestones) == [163889 * factor, 177546 * factor]
            assert longer.lr_multiplier.scheduler.num_updates == longer.train.max_iter
        name = f"new_baselines/mask_rcnn_regnet{variant}_4gf_dds_FPN_100ep_LSJ.py"
        trained = model_zoo.get_config(name, trained=True)
        assert trained.train.init_checkpoint.startswith("https://dl.fbaipublicfiles.com/detectron2/new_baselines/")
