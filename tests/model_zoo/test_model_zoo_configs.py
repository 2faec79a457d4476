"""Shipped model-zoo configs: all load, the main ones equal Detectron2's merged configs, URLs and model building."""
import pickle

import numpy as np
import pytest
import torch
import yaml

from detectra import model_zoo
from detectra.checkpoint import catalog
from detectra.config import get_cfg

# Parity fixture folder -> the model-zoo config it was dumped from (all 1x schedules: MAX_ITER 90000).
FIXTURE_CONFIGS = {
    "faster_rcnn_R_50_FPN": "COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml",
    "faster_rcnn_R_50_C4": "COCO-Detection/faster_rcnn_R_50_C4_1x.yaml",
    "retinanet_R_50_FPN": "COCO-Detection/retinanet_R_50_FPN_1x.yaml",
    "rpn_R_50_FPN": "COCO-Detection/rpn_R_50_FPN_1x.yaml",
    "mask_rcnn_R_50_FPN": "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml",
    "keypoint_rcnn_R_50_FPN": "COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x.yaml",
    "cascade_mask_rcnn_R_50_FPN": "Misc/cascade_mask_rcnn_R_50_FPN_1x.yaml",
    "panoptic_fpn_R_50": "COCO-PanopticSegmentation/panoptic_fpn_R_50_1x.yaml",
    "semantic_R_50_FPN": "Misc/semantic_R_50_FPN_1x.yaml",
}
# The fixtures' README lists these test-only changes; MODEL.WEIGHTS / DEVICE depend on how they were run.
ALLOWED_DIFFS = {
    "MODEL.ROI_HEADS.SCORE_THRESH_TEST",
    "MODEL.RETINANET.SCORE_THRESH_TEST",
    "MODEL.PANOPTIC_FPN.COMBINE.INSTANCES_CONFIDENCE_THRESH",
    "MODEL.WEIGHTS",
    "MODEL.DEVICE",
    "OUTPUT_DIR",
}

# Every name in Detectron2's MODEL_ZOO tables that detectra must ship.
REQUIRED = [
    f"COCO-Detection/faster_rcnn_{a}_{h}_{s}.yaml"
    for a, h, s in [("R_50", "C4", "1x"), ("R_50", "DC5", "1x"), ("R_50", "FPN", "1x"), ("R_50", "C4", "3x"),
                    ("R_50", "DC5", "3x"), ("R_50", "FPN", "3x"), ("R_101", "C4", "3x"), ("R_101", "DC5", "3x"),
                    ("R_101", "FPN", "3x"), ("X_101_32x8d", "FPN", "3x")]
] + [
    f"COCO-InstanceSegmentation/mask_rcnn_{a}_{h}_{s}.yaml"
    for a, h, s in [("R_50", "C4", "1x"), ("R_50", "DC5", "1x"), ("R_50", "FPN", "1x"), ("R_50", "C4", "3x"),
                    ("R_50", "DC5", "3x"), ("R_50", "FPN", "3x"), ("R_101", "C4", "3x"), ("R_101", "DC5", "3x"),
                    ("R_101", "FPN", "3x"), ("X_101_32x8d", "FPN", "3x")]
] + [
    "COCO-Detection/retinanet_R_50_FPN_1x.yaml", "COCO-Detection/retinanet_R_50_FPN_3x.yaml",
    "COCO-Detection/retinanet_R_101_FPN_3x.yaml", "COCO-Detection/rpn_R_50_C4_1x.yaml",
    "COCO-Detection/rpn_R_50_FPN_1x.yaml", "COCO-Detection/fast_rcnn_R_50_FPN_1x.yaml",
    "COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x.yaml", "COCO-Keypoints/keypoint_rcnn_R_50_FPN_3x.yaml",
    "COCO-Keypoints/keypoint_rcnn_R_101_FPN_3x.yaml", "COCO-Keypoints/keypoint_rcnn_X_101_32x8d_FPN_3x.yaml",
    "COCO-PanopticSegmentation/panoptic_fpn_R_50_1x.yaml", "COCO-PanopticSegmentation/panoptic_fpn_R_50_3x.yaml",
    "COCO-PanopticSegmentation/panoptic_fpn_R_101_3x.yaml",
    "LVISv0.5-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml", "LVISv0.5-InstanceSegmentation/mask_rcnn_R_101_FPN_1x.yaml",
    "LVISv0.5-InstanceSegmentation/mask_rcnn_X_101_32x8d_FPN_1x.yaml", "LVISv1-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml",
    "Cityscapes/mask_rcnn_R_50_FPN.yaml", "PascalVOC-Detection/faster_rcnn_R_50_C4.yaml",
    "Misc/cascade_mask_rcnn_R_50_FPN_1x.yaml", "Misc/cascade_mask_rcnn_R_50_FPN_3x.yaml", "Misc/semantic_R_50_FPN_1x.yaml",
    "Misc/mask_rcnn_R_50_FPN_3x_gn.yaml", "Misc/mask_rcnn_R_50_FPN_3x_syncbn.yaml",
    "Misc/mask_rcnn_R_50_FPN_1x_dconv_c3-c5.yaml",
]


def _flat(cfg):
    def walk(d, prefix):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from walk(v, prefix + k + ".")
            else:
                yield prefix + k, list(v) if isinstance(v, tuple) else v

    return dict(walk(yaml.safe_load(cfg.dump()), ""))


def _diff(a, b):
    fa, fb = _flat(a), _flat(b)
    return {k: (fa.get(k), fb.get(k)) for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k)}


def test_required_names_are_shipped():
    shipped = set(model_zoo.list_configs())
    assert [n for n in REQUIRED if n not in shipped] == []


@pytest.mark.parametrize("name", [n for n in model_zoo.list_configs() if n.endswith(".yaml")])  # .py: test_lazy_zoo
def test_every_shipped_config_merges_into_get_cfg(name):
    cfg = get_cfg()
    cfg.merge_from_file(model_zoo.get_config_file(name))  # raises on any key Detectron2 does not have
    assert cfg.MODEL.META_ARCHITECTURE in {"GeneralizedRCNN", "RetinaNet", "ProposalNetwork", "PanopticFPN",
                                           "SemanticSegmentor"}
    if name.startswith(("COCO-", "LVIS", "Misc/")) and "Base" not in name and "scratch" not in name:
        assert cfg.MODEL.WEIGHTS.startswith(("detectron2://ImageNetPretrained/", "catalog://ImageNetPretrained/"))


@pytest.mark.parametrize("fixture,name", sorted(FIXTURE_CONFIGS.items()))
def test_config_equals_detectron2_merged_config(shared_dir, fixture, name):
    ref = get_cfg()
    ref.merge_from_file(str(shared_dir / "fixtures" / "d2parity" / fixture / "config.yaml"))
    diff = _diff(model_zoo.get_config(name), ref)
    assert set(diff) <= ALLOWED_DIFFS, {k: v for k, v in diff.items() if k not in ALLOWED_DIFFS}


@pytest.mark.parametrize(
    "fixture,name",
    [("faster_rcnn_R_50_FPN", "COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml"),
     ("mask_rcnn_R_50_FPN", "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml"),
     ("keypoint_rcnn_R_50_FPN", "COCO-Keypoints/keypoint_rcnn_R_50_FPN_3x.yaml"),
     ("cascade_mask_rcnn_R_50_FPN", "Misc/cascade_mask_rcnn_R_50_FPN_3x.yaml"),
     ("panoptic_fpn_R_50", "COCO-PanopticSegmentation/panoptic_fpn_R_50_3x.yaml")],
)
def test_3x_configs_differ_from_1x_only_in_schedule(shared_dir, fixture, name):
    ref = get_cfg()
    ref.merge_from_file(str(shared_dir / "fixtures" / "d2parity" / fixture / "config.yaml"))
    ours = model_zoo.get_config(name)
    diff = _diff(ours, ref)
    assert set(diff) - ALLOWED_DIFFS == {"SOLVER.STEPS", "SOLVER.MAX_ITER"}
    assert tuple(ours.SOLVER.STEPS) == (210000, 250000) and ours.SOLVER.MAX_ITER == 270000


def test_retinanet_anchor_sizes_are_the_cube_root_ladder():
    cfg = model_zoo.get_config("COCO-Detection/retinanet_R_50_FPN_1x.yaml")
    expected = [[x, x * 2 ** (1.0 / 3), x * 2 ** (2.0 / 3)] for x in [32, 64, 128, 256, 512]]
    assert [list(s) for s in cfg.MODEL.ANCHOR_GENERATOR.SIZES] == expected


def test_checkpoint_urls():
    assert model_zoo.get_checkpoint_url("COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml") == (
        "https://dl.fbaipublicfiles.com/detectron2/COCO-Detection/faster_rcnn_R_50_FPN_3x/137849458/model_final_280758.pkl"
    )
    assert model_zoo.get_checkpoint_url("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x") == (
        "https://dl.fbaipublicfiles.com/detectron2/COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x/137849600/model_final_f10217.pkl"
    )
    assert model_zoo.get_checkpoint_url("COCO-Detection/retinanet_R_50_FPN_1x.yaml").endswith("190397773/model_final_bfca0b.pkl")
    assert model_zoo.get_checkpoint_url("Misc/cascade_mask_rcnn_R_50_FPN_3x.yaml").endswith("144998488/model_final_480dd8.pkl")
    # every Detectron2 model-zoo name has a URL, except the ones Detectron2 published no weights for
    no_weights = {"Misc/semantic_R_50_FPN_1x.yaml", "LVISv1-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml"}
    for name in REQUIRED:
        if name not in no_weights:
            assert model_zoo.get_checkpoint_url(name).startswith("https://dl.fbaipublicfiles.com/detectron2/" + name[:-5] + "/")
    with pytest.raises(RuntimeError, match="Did you mean: COCO-Detection/faster_rcnn_R_50_FPN_3x"):
        model_zoo.get_checkpoint_url("COCO-Detection/faster_rcnn_R_50_FPN_3X.yaml")
    with pytest.raises(RuntimeError, match="not available in the model zoo"):
        model_zoo.get_config_file("COCO-Detection/nope.yaml")
    # a shipped config without weights: no "did you mean" pointing at unrelated COCO models, but what to do
    with pytest.raises(RuntimeError, match=r"ships without weights.*--config-file shapes/faster_rcnn_R_18_FPN\)"):
        model_zoo.get_config("shapes/faster_rcnn_R_18_FPN.yaml", trained=True)


def test_config_names_without_extension_as_the_command_takes_them():
    assert model_zoo.get_config_file("shapes/faster_rcnn_R_18_FPN").endswith("shapes/faster_rcnn_R_18_FPN.yaml")
    # both kinds exist: the .yaml, as `detectra train --config-file COCO-Detection/retinanet_R_50_FPN_1x` picks
    assert model_zoo.get_config_file("COCO-Detection/retinanet_R_50_FPN_1x").endswith("retinanet_R_50_FPN_1x.yaml")
    assert model_zoo.get_config_file("common/train").endswith("common/train.py")
    assert model_zoo.get_config("shapes/faster_rcnn_R_18_FPN").MODEL.ROI_HEADS.NUM_CLASSES == 4


def test_get_config_trained_sets_weights():
    cfg = model_zoo.get_config("COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x.yaml", trained=True)
    assert cfg.MODEL.WEIGHTS.endswith("COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x/137261548/model_final_04e291.pkl")
    assert cfg.MODEL.KEYPOINT_ON and cfg.MODEL.ROI_HEADS.NUM_CLASSES == 1


def test_get_builds_model_and_loads_trained_weights_from_cache(tmp_path, monkeypatch):
    pytest.importorskip("detectra.modeling")
    name = "COCO-Detection/rpn_R_50_FPN_1x.yaml"
    monkeypatch.setenv("DETECTRA_CACHE", str(tmp_path))
    # A Detectron2 model-zoo file, as Detectron2 publishes it, placed where the download would put it.
    weights = {
        "proposal_generator.rpn_head.objectness_logits.weight": np.full((3, 256, 1, 1), 0.25, np.float32),
        "proposal_generator.rpn_head.objectness_logits.bias": np.array([1.0, 2.0, 3.0], np.float32),
    }
    local = catalog.cached_path(model_zoo.get_checkpoint_url(name))
    (tmp_path / local).parent.mkdir(parents=True, exist_ok=True)
    with open(local, "wb") as f:
        pickle.dump({"model": weights, "__author__": "Detectron2 Model Zoo", "matching_heuristics": True}, f)
    model = model_zoo.get(name, trained=True, device="cpu")
    assert type(model).__name__ == "ProposalNetwork" and model.training
    head = model.proposal_generator.rpn_head
    torch.testing.assert_close(head.objectness_logits.bias.detach(), torch.tensor([1.0, 2.0, 3.0]))
    assert torch.all(head.objectness_logits.weight == 0.25)
