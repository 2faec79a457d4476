"""Every config name Detectron2's model zoo answers for resolves in detectra; the added ones build as described."""
import importlib.util

import pytest
import torch

from detectra import model_zoo
from detectra.config import LazyConfig, get_cfg

_QUICK = [
    f"quick_schedules/{n}.yaml"
    for n in [
        "cascade_mask_rcnn_R_50_FPN_inference_acc_test", "cascade_mask_rcnn_R_50_FPN_instant_test",
        "fast_rcnn_R_50_FPN_inference_acc_test", "fast_rcnn_R_50_FPN_instant_test",
        "keypoint_rcnn_R_50_FPN_inference_acc_test", "keypoint_rcnn_R_50_FPN_instant_test",
        "keypoint_rcnn_R_50_FPN_normalized_training_acc_test", "keypoint_rcnn_R_50_FPN_training_acc_test",
        "mask_rcnn_R_50_C4_GCV_instant_test", "mask_rcnn_R_50_C4_inference_acc_test", "mask_rcnn_R_50_C4_instant_test",
        "mask_rcnn_R_50_C4_training_acc_test", "mask_rcnn_R_50_DC5_inference_acc_test",
        "mask_rcnn_R_50_FPN_inference_acc_test", "mask_rcnn_R_50_FPN_instant_test",
        "mask_rcnn_R_50_FPN_pred_boxes_training_acc_test", "mask_rcnn_R_50_FPN_training_acc_test",
        "panoptic_fpn_R_50_inference_acc_test", "panoptic_fpn_R_50_instant_test", "panoptic_fpn_R_50_training_acc_test",
        "retinanet_R_50_FPN_inference_acc_test", "retinanet_R_50_FPN_instant_test",
        "rpn_R_50_FPN_inference_acc_test", "rpn_R_50_FPN_instant_test",
        "semantic_R_50_FPN_inference_acc_test", "semantic_R_50_FPN_instant_test", "semantic_R_50_FPN_training_acc_test",
    ]
]  # fmt: skip

# Detectron2's configs that detectra lacked before issue 10 (the older ones are checked in test_model_zoo_configs).
ADDED = [
    "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x_giou.yaml",
    "Detectron1-Comparisons/faster_rcnn_R_50_FPN_noaug_1x.yaml",
    "Detectron1-Comparisons/mask_rcnn_R_50_FPN_noaug_1x.yaml",
    "Detectron1-Comparisons/keypoint_rcnn_R_50_FPN_1x.yaml",
    "Misc/cascade_mask_rcnn_X_152_32x8d_FPN_IN5k_gn_dconv.yaml",
    "Misc/mask_rcnn_R_50_FPN_1x_cls_agnostic.yaml",
    "Misc/panoptic_fpn_R_101_dconv_cascade_gn_3x.yaml",
    "Misc/scratch_mask_rcnn_R_50_FPN_3x_gn.yaml",
    "Misc/scratch_mask_rcnn_R_50_FPN_9x_gn.yaml",
    "Misc/scratch_mask_rcnn_R_50_FPN_9x_syncbn.yaml",
    "Misc/torchvision_imagenet_R_50.py",
    "Misc/mmdet_mask_rcnn_R_50_FPN_1x.py",
    "common/data/constants.py",
    *_QUICK,
]

# Detectron2 configs of architectures that arrive with their own issue (FCOS, RegNet, ViTDet): checked once there.
WITH_THEIR_ARCHITECTURE = [
    "COCO-Detection/fcos_R_50_FPN_1x.py",
    "COCO-InstanceSegmentation/mask_rcnn_regnetx_4gf_dds_fpn_1x.py",
    "COCO-InstanceSegmentation/mask_rcnn_regnety_4gf_dds_fpn_1x.py",
    "common/models/fcos.py",
    "common/models/mask_rcnn_vitdet.py",
    *[f"new_baselines/mask_rcnn_regnet{v}_4gf_dds_FPN_{e}ep_LSJ.py" for v in "xy" for e in (100, 200, 400)],
]

_D2 = "https://dl.fbaipublicfiles.com/detectron2/"
# A sample of Detectron2's published weights for the added configs (one per folder and kind).
URLS = {
    "Misc/scratch_mask_rcnn_R_50_FPN_9x_syncbn": "184226666/model_final_5ce33e.pkl",
    "Misc/cascade_mask_rcnn_X_152_32x8d_FPN_IN5k_gn_dconv": "18131413/model_0039999_e76410.pkl",
    "Detectron1-Comparisons/keypoint_rcnn_R_50_FPN_1x": "137781195/model_final_cce136.pkl",
}


@pytest.mark.parametrize("name", ADDED)
def test_added_config_resolves_and_loads(name):
    path = model_zoo.get_config_file(name)
    if name.endswith(".yaml"):
        cfg = get_cfg()
        cfg.merge_from_file(path)  # every key exists in detectra's defaults
        assert cfg.MODEL.META_ARCHITECTURE
    elif name == "Misc/mmdet_mask_rcnn_R_50_FPN_1x.py" and importlib.util.find_spec("detectra.modeling.mmdet_wrapper") is None:
        pytest.skip("detectra.modeling.mmdet_wrapper is not there yet")
    else:
        assert len(LazyConfig.load(path)) > 0


@pytest.mark.parametrize("name", WITH_THEIR_ARCHITECTURE)
def test_architecture_configs_resolve_once_added(name):
    if name not in model_zoo.list_configs():
        pytest.skip(f"{name} comes with its architecture (FCOS / RegNet / ViTDet)")
    assert model_zoo.get_config_file(name).endswith(name)


@pytest.mark.parametrize("name,suffix", sorted(URLS.items()))
def test_checkpoint_urls(name, suffix):
    assert model_zoo.get_checkpoint_url(name + ".yaml") == f"{_D2}{name}/{suffix}"
    assert model_zoo.get_config(name + ".yaml", trained=True).MODEL.WEIGHTS == f"{_D2}{name}/{suffix}"


def test_quick_schedule_values():
    instant = model_zoo.get_config("quick_schedules/mask_rcnn_R_50_C4_GCV_instant_test.yaml")
    assert (instant.SOLVER.MAX_ITER, instant.SOLVER.STEPS, instant.SOLVER.IMS_PER_BATCH) == (40, (30,), 4)
    assert instant.SOLVER.CLIP_GRADIENTS.ENABLED and instant.SOLVER.CLIP_GRADIENTS.CLIP_TYPE == "value"
    acc = model_zoo.get_config("quick_schedules/mask_rcnn_R_50_FPN_pred_boxes_training_acc_test.yaml")
    assert acc.MODEL.ROI_BOX_HEAD.TRAIN_ON_PRED_BOXES and acc.SOLVER.MAX_ITER == 6000
    assert acc.TEST.EXPECTED_RESULTS == [["bbox", "AP", 42.6, 1.0], ["segm", "AP", 35.8, 0.8]]
    inference = model_zoo.get_config("quick_schedules/mask_rcnn_R_50_FPN_inference_acc_test.yaml")
    assert inference.TEST.AUG.ENABLED and inference.TEST.AUG.MIN_SIZES == (700, 800)
    assert inference.MODEL.WEIGHTS.endswith("137849600/model_final_f10217.pkl")


def _meta_model(name: str, **overrides):
    from detectra.modeling import build_model

    cfg = model_zoo.get_config(name)
    cfg.MODEL.DEVICE = "meta"  # structure only: no memory, no weight init
    for key, value in overrides.items():
        cfg.merge_from_list([key, value])
    return build_model(cfg)


def test_sample_of_added_configs_builds_the_described_models():
    from detectra.layers import FrozenBatchNorm2d, ModulatedDeformConv, DeformConv

    agnostic = _meta_model("Misc/mask_rcnn_R_50_FPN_1x_cls_agnostic.yaml")
    assert agnostic.roi_heads.box_predictor.bbox_pred.out_features == 4
    assert agnostic.roi_heads.mask_head.predictor.out_channels == 1

    giou = _meta_model("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x_giou.yaml")
    assert giou.roi_heads.box_predictor.box_reg_loss_type == "giou" and giou.roi_heads.box_predictor.loss_weight["loss_box_reg"] == 10.0
    assert giou.proposal_generator.box_reg_loss_type == "giou" and giou.proposal_generator.loss_weight["loss_rpn_loc"] == 2.0

    scratch = _meta_model("Misc/scratch_mask_rcnn_R_50_FPN_3x_gn.yaml")
    norms = [m for m in scratch.backbone.modules() if isinstance(m, (torch.nn.GroupNorm, FrozenBatchNorm2d))]
    assert norms and all(isinstance(m, torch.nn.GroupNorm) for m in norms)
    assert all(p.requires_grad for p in scratch.backbone.parameters())  # FREEZE_AT 0: nothing frozen

    big = _meta_model("Misc/cascade_mask_rcnn_X_152_32x8d_FPN_IN5k_gn_dconv.yaml")
    assert len(big.roi_heads.box_predictor) == 3  # cascade stages
    assert sum(len(stage) for stage in (big.backbone.bottom_up.res4,)) == 36  # ResNet-152's res4
    assert any(isinstance(m, (DeformConv, ModulatedDeformConv)) for m in big.backbone.bottom_up.res3.modules())
