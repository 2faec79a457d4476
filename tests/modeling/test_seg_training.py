"""Training and inference of the segmentation architectures on tiny configs, fed the generated shapes dataset's
masks, keypoints, semantic and panoptic ground truth through the real `DatasetMapper`.

Per architecture: a few SGD steps on a fixed batch lower the losses; every trainable parameter gets a gradient;
images without ground truth train; one inference pass returns the right fields and shapes.
"""
import math
import os
from typing import Dict, List

import pytest
import torch

from detectra.config import get_cfg
from detectra.data.dataset_mapper import DatasetMapper
from detectra.data.datasets.coco import load_coco_json
from detectra.data.datasets.shapes import generate_shapes
from detectra.modeling import build_model
from detectra.utils.events import EventStorage

NUM_THINGS = 4  # circle, square, triangle, star
NUM_SEM_CLASSES = 6  # the 4 things + sky + ground
NUM_PANOPTIC_STUFF = 3  # "any thing" + sky + ground (Detectron2's separated panoptic format)
ARCHS = ["mask_rcnn_fpn", "mask_rcnn_c4", "keypoint_rcnn", "cascade_mask_rcnn", "semantic_fpn", "panoptic_fpn"]
# the loss each architecture adds over Faster R-CNN, which must fall on a fixed batch
SEG_LOSS = {
    "mask_rcnn_fpn": "loss_mask",
    "mask_rcnn_c4": "loss_mask",
    "keypoint_rcnn": "loss_keypoint",
    "cascade_mask_rcnn": "loss_mask",
    "semantic_fpn": "loss_sem_seg",
    "panoptic_fpn": "loss_sem_seg",
}


def seg_cfg(arch: str):
    """A tiny config of ``arch``: R-18 with trainable BN (stem + res2 frozen), 32-channel FPN and heads."""
    cfg = get_cfg()
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.RESNETS.DEPTH = 18
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 64
    cfg.MODEL.RESNETS.STEM_OUT_CHANNELS = 16
    cfg.MODEL.RESNETS.WIDTH_PER_GROUP = 8  # the C4 head's res5: a 64-wide bottleneck
    cfg.MODEL.RESNETS.NORM = "BN"
    cfg.MODEL.BACKBONE.FREEZE_AT = 2
    cfg.MODEL.FPN.OUT_CHANNELS = 32
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = NUM_THINGS
    cfg.MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE = 32
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0  # random weights score low: keep every detection
    cfg.MODEL.ROI_BOX_HEAD.FC_DIM = 64
    cfg.MODEL.RPN.PRE_NMS_TOPK_TRAIN = cfg.MODEL.RPN.PRE_NMS_TOPK_TEST = 300
    cfg.MODEL.RPN.POST_NMS_TOPK_TRAIN = cfg.MODEL.RPN.POST_NMS_TOPK_TEST = 100
    cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[16], [32], [64], [128], [256]]
    cfg.MODEL.ROI_MASK_HEAD.CONV_DIM = 32
    cfg.MODEL.ROI_KEYPOINT_HEAD.CONV_DIMS = (32, 32)
    cfg.MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS = 3
    cfg.MODEL.SEM_SEG_HEAD.CONVS_DIM = 32
    cfg.TEST.DETECTIONS_PER_IMAGE = 20
    levels = ["res2", "res3", "res4", "res5"]

    if arch == "mask_rcnn_c4":
        cfg.MODEL.META_ARCHITECTURE = "GeneralizedRCNN"
        cfg.MODEL.BACKBONE.NAME = "build_resnet_backbone"
        cfg.MODEL.RESNETS.OUT_FEATURES = ["res4"]
        cfg.MODEL.RPN.IN_FEATURES = ["res4"]
        cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[16, 32, 64, 128]]
        cfg.MODEL.ROI_HEADS.NAME = "Res5ROIHeads"
        cfg.MODEL.ROI_HEADS.IN_FEATURES = ["res4"]
        cfg.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION = 14
        cfg.MODEL.MASK_ON = True
        return cfg

    cfg.MODEL.BACKBONE.NAME = "build_resnet_fpn_backbone"
    cfg.MODEL.RESNETS.OUT_FEATURES = levels
    cfg.MODEL.FPN.IN_FEATURES = levels
    cfg.MODEL.RPN.IN_FEATURES = ["p2", "p3", "p4", "p5", "p6"]
    cfg.MODEL.ROI_HEADS.NAME = "StandardROIHeads"
    cfg.MODEL.ROI_HEADS.IN_FEATURES = ["p2", "p3", "p4", "p5"]
    cfg.MODEL.ROI_BOX_HEAD.NAME = "FastRCNNConvFCHead"
    cfg.MODEL.ROI_BOX_HEAD.NUM_FC = 2
    cfg.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION = 7
    cfg.MODEL.ROI_MASK_HEAD.NUM_CONV = 2
    cfg.MODEL.META_ARCHITECTURE = "GeneralizedRCNN"
    if arch == "mask_rcnn_fpn":
        cfg.MODEL.MASK_ON = True
    elif arch == "keypoint_rcnn":
        cfg.MODEL.KEYPOINT_ON = True
    elif arch == "cascade_mask_rcnn":
        cfg.MODEL.MASK_ON = True
        cfg.MODEL.ROI_HEADS.NAME = "CascadeROIHeads"
        cfg.MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG = True
    elif arch == "semantic_fpn":
        cfg.MODEL.META_ARCHITECTURE = "SemanticSegmentor"
        cfg.MODEL.SEM_SEG_HEAD.NUM_CLASSES = NUM_SEM_CLASSES
    elif arch == "panoptic_fpn":
        cfg.MODEL.META_ARCHITECTURE = "PanopticFPN"
        cfg.MODEL.MASK_ON = True
        cfg.MODEL.SEM_SEG_HEAD.NUM_CLASSES = NUM_PANOPTIC_STUFF
    else:
        raise ValueError(arch)
    return cfg


@pytest.fixture(scope="module")
def shapes_dicts(tmp_path_factory) -> List[Dict]:
    """Six generated shapes images (128-160 px) as dataset dicts with instances, keypoints, semantic labels and
    the separated-panoptic stuff labels."""
    root = str(tmp_path_factory.mktemp("shapes"))
    paths = generate_shapes(root, 6, image_size=(128, 160), seed=5)
    dicts = load_coco_json(paths["json_file"], paths["image_root"], "seg_test_shapes")
    for d in dicts:
        stem = os.path.splitext(os.path.basename(d["file_name"]))[0] + ".png"
        d["sem_seg_file_name"] = os.path.join(paths["sem_seg_root"], stem)
        d["panoptic_stuff_file_name"] = os.path.join(paths["panoptic_stuff_root"], stem)
    return dicts


def _mapped(arch: str, dicts: List[Dict], num_images: int = 2, empty: bool = False) -> List[Dict]:
    """``num_images`` images through the real training `DatasetMapper` (polygon masks; bitmasks for Mask R-CNN C4)."""
    mapper = DatasetMapper(
        is_train=True,
        augmentations=[],
        image_format="BGR",
        use_instance_mask=arch not in ("keypoint_rcnn", "semantic_fpn"),
        instance_mask_format="bitmask" if arch == "mask_rcnn_c4" else "polygon",
        use_keypoint=arch == "keypoint_rcnn",
    )
    # images holding triangles (the keypointed class) with visible keypoints
    chosen = [d for d in dicts if any(a["category_id"] == 2 and any(a["keypoints"][2::3]) for a in d["annotations"])]
    chosen = chosen[:num_images]
    assert len(chosen) == num_images, "the generated shapes should include triangles"
    batch = []
    for d in chosen:
        d = dict(d)
        if arch == "panoptic_fpn":
            d["sem_seg_file_name"] = d["panoptic_stuff_file_name"]
        elif arch != "semantic_fpn":
            d.pop("sem_seg_file_name")
        if empty:
            d["annotations"] = []
        batch.append(mapper(d))
    return batch


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny models: intra-op threads only add synchronisation cost, and much more on a shared machine
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


def _build(arch: str):
    torch.manual_seed(0)
    return build_model(seg_cfg(arch))


@pytest.mark.parametrize("arch", ARCHS)
def test_train_on_fixed_batch(arch, shapes_dicts):
    """Losses finite and falling over a few steps on one image; every trainable parameter gets a gradient."""
    model = _build(arch).train()
    batch = _mapped(arch, shapes_dicts, num_images=1)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    history = []
    with EventStorage() as storage:
        for step in range(5):
            losses = model(batch)
            assert losses and all(k.startswith("loss_") for k in losses)
            for k, v in losses.items():
                assert v.dim() == 0 and math.isfinite(v.item()), f"{arch} step {step}: {k} = {v}"
            optimizer.zero_grad()
            sum(losses.values()).backward()
            if step == 0:
                for name, p in model.named_parameters():
                    if p.requires_grad:
                        assert p.grad is not None and p.grad.abs().sum() > 0, f"{arch}: no gradient for {name}"
            # from scratch, without warmup, the first steps of every head need clipping to stay stable
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            storage.step()
            history.append({k: v.item() for k, v in losses.items()})
    # the sampled ROIs change every step, so compare the mean of the last two steps with the first
    seg = SEG_LOSS[arch]
    seg_curve = [h[seg] for h in history]
    assert (seg_curve[-1] + seg_curve[-2]) / 2 < seg_curve[0], f"{arch}: {seg} {seg_curve}"
    total = [sum(h.values()) for h in history]
    assert (total[-1] + total[-2]) / 2 < total[0], f"{arch}: total loss {total}"
    if "mask" in seg:
        assert "mask_rcnn/accuracy" in storage.histories()
    if arch == "cascade_mask_rcnn":
        assert {f"loss_cls_stage{k}" for k in range(3)} <= set(history[0])


@pytest.mark.parametrize("arch", ARCHS)
def test_train_without_ground_truth(arch, shapes_dicts):
    """Images without any instance still train (zero mask / keypoint / box-regression losses)."""
    model = _build(arch).train()
    batch = _mapped(arch, shapes_dicts, empty=True)
    if "instances" in batch[0]:
        assert [len(x["instances"]) for x in batch] == [0, 0]
    with EventStorage():
        losses = model(batch)
    for k, v in losses.items():
        assert math.isfinite(v.item()), f"{arch}: {k} = {v}"
    for k in ("loss_mask", "loss_keypoint", "loss_box_reg"):
        if k in losses:
            assert losses[k].item() == 0.0, f"{arch}: {k} = {losses[k]} without ground truth"
    sum(losses.values()).backward()


@pytest.mark.parametrize("arch", ARCHS)
def test_inference_outputs(arch):
    """One inference pass: output fields and shapes at the requested resolution."""
    model = _build(arch).eval()
    g = torch.Generator().manual_seed(0)
    inputs = [
        {"image": torch.randint(0, 256, (3, 128, 160), generator=g, dtype=torch.uint8), "height": 192, "width": 240},
        {"image": torch.randint(0, 256, (3, 144, 128), generator=g, dtype=torch.uint8)},
    ]
    with torch.no_grad():
        outputs = model(inputs)
    assert len(outputs) == 2
    for out, inp in zip(outputs, inputs):
        h, w = inp.get("height", inp["image"].shape[1]), inp.get("width", inp["image"].shape[2])
        if arch == "semantic_fpn":
            assert set(out) == {"sem_seg"}
            assert out["sem_seg"].shape == (NUM_SEM_CLASSES, h, w)
            continue
        inst = out["instances"]
        assert inst.image_size == (h, w) and 0 < len(inst) <= 20
        if arch == "keypoint_rcnn":
            assert inst.pred_keypoints.shape == (len(inst), 3, 3)
            assert inst.pred_keypoint_heatmaps.shape == (len(inst), 3, 56, 56)
        else:
            assert inst.pred_masks.shape == (len(inst), h, w) and inst.pred_masks.dtype == torch.bool
        if arch == "panoptic_fpn":
            assert out["sem_seg"].shape == (NUM_PANOPTIC_STUFF, h, w)
            ids, segments = out["panoptic_seg"]
            assert ids.shape == (h, w) and ids.dtype == torch.int32
            assert sorted(s["id"] for s in segments) == sorted(set(ids.unique().tolist()) - {0})


@pytest.mark.parametrize("arch", ["keypoint_rcnn", "cascade_mask_rcnn", "panoptic_fpn"])
def test_bf16_autocast(arch, shapes_dicts):
    """A training step and an inference pass under CPU bf16 autocast give finite losses and full outputs."""
    model = _build(arch).train()
    batch = _mapped(arch, shapes_dicts, num_images=1)
    with EventStorage(), torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model(batch)
    assert all(math.isfinite(v.item()) for v in losses.values()), losses
    sum(losses.values()).backward()
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model([{"image": batch[0]["image"]}])[0]
    inst = out["instances"]
    assert len(inst) > 0 and torch.isfinite(inst.scores).all()
    if arch == "keypoint_rcnn":
        assert torch.isfinite(inst.pred_keypoints).all()
    else:
        assert inst.pred_masks.dtype == torch.bool
    if arch == "panoptic_fpn":
        assert out["panoptic_seg"][0].shape == batch[0]["image"].shape[1:]
