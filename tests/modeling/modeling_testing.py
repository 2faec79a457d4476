"""Small configs and inputs shared by the modeling tests: R-18-based models at ~128 px that train in well under a
second per step on CPU."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
from PIL import Image

from detectra.config import get_cfg
from detectra.data.dataset_mapper import DatasetMapper
from detectra.structures import BoxMode

NUM_CLASSES = 3
ARCHS = ["faster_rcnn_fpn", "faster_rcnn_c4", "rpn_fpn", "retinanet"]


def small_cfg(arch: str):
    """A tiny config of ``arch``: R-18 with trainable BN (stem + res2 frozen), 32-channel FPN, few proposals."""
    cfg = get_cfg()
    cfg.MODEL.DEVICE = "cpu"
    # unit-variance inputs: the frozen stem + res2 (identity FrozenBN) would otherwise feed P2 values in the 100s
    cfg.MODEL.PIXEL_STD = [57.375, 57.120, 58.395]
    cfg.MODEL.RESNETS.DEPTH = 18
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 64
    cfg.MODEL.RESNETS.STEM_OUT_CHANNELS = 16
    cfg.MODEL.RESNETS.WIDTH_PER_GROUP = 8  # only used by the C4 head's res5: 64-wide bottleneck
    cfg.MODEL.RESNETS.NORM = "BN"
    cfg.MODEL.BACKBONE.FREEZE_AT = 2
    cfg.MODEL.FPN.OUT_CHANNELS = 32
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = NUM_CLASSES
    cfg.MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE = 64
    # random weights score low: keep every detection so inference tests see a full output
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0
    cfg.MODEL.RETINANET.SCORE_THRESH_TEST = 0.0
    cfg.MODEL.ROI_BOX_HEAD.FC_DIM = 64
    cfg.MODEL.RPN.PRE_NMS_TOPK_TRAIN = cfg.MODEL.RPN.PRE_NMS_TOPK_TEST = 300
    cfg.MODEL.RPN.POST_NMS_TOPK_TRAIN = cfg.MODEL.RPN.POST_NMS_TOPK_TEST = 100
    cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[16], [32], [64], [128], [256]]
    fpn_levels = ["res2", "res3", "res4", "res5"]
    if arch in ("faster_rcnn_fpn", "rpn_fpn"):
        cfg.MODEL.META_ARCHITECTURE = "GeneralizedRCNN" if arch == "faster_rcnn_fpn" else "ProposalNetwork"
        cfg.MODEL.BACKBONE.NAME = "build_resnet_fpn_backbone"
        cfg.MODEL.RESNETS.OUT_FEATURES = fpn_levels
        cfg.MODEL.FPN.IN_FEATURES = fpn_levels
        cfg.MODEL.RPN.IN_FEATURES = ["p2", "p3", "p4", "p5", "p6"]
        cfg.MODEL.ROI_HEADS.NAME = "StandardROIHeads"
        cfg.MODEL.ROI_HEADS.IN_FEATURES = ["p2", "p3", "p4", "p5"]
        cfg.MODEL.ROI_BOX_HEAD.NAME = "FastRCNNConvFCHead"
        cfg.MODEL.ROI_BOX_HEAD.NUM_FC = 2
        cfg.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION = 7
    elif arch == "faster_rcnn_c4":
        cfg.MODEL.META_ARCHITECTURE = "GeneralizedRCNN"
        cfg.MODEL.BACKBONE.NAME = "build_resnet_backbone"
        cfg.MODEL.RESNETS.OUT_FEATURES = ["res4"]
        cfg.MODEL.RPN.IN_FEATURES = ["res4"]
        cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[16, 32, 64, 128]]
        cfg.MODEL.ROI_HEADS.NAME = "Res5ROIHeads"
        cfg.MODEL.ROI_HEADS.IN_FEATURES = ["res4"]
        cfg.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION = 14
    elif arch == "retinanet":
        cfg.MODEL.META_ARCHITECTURE = "RetinaNet"
        cfg.MODEL.BACKBONE.NAME = "build_retinanet_resnet_fpn_backbone"
        cfg.MODEL.RESNETS.OUT_FEATURES = fpn_levels[1:]
        cfg.MODEL.FPN.IN_FEATURES = fpn_levels[1:]
        cfg.MODEL.RETINANET.NUM_CLASSES = NUM_CLASSES
        cfg.MODEL.RETINANET.NUM_CONVS = 2
        cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[x, x * 2 ** (1 / 3), x * 2 ** (2 / 3)] for x in [16, 32, 64, 128, 256]]
    else:
        raise ValueError(arch)
    return cfg


def write_image(path: Path, h: int, w: int, seed: int = 0) -> str:
    """A random-texture image with two bright rectangles (the "objects" of `dataset_dict`)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, size=(h, w, 3), dtype=np.uint8)
    img[10:60, 20:90] = (200, 40, 40)
    img[h - 50 : h - 10, w - 70 : w - 20] = (40, 200, 40)
    Image.fromarray(img).save(path)
    return str(path)


def dataset_dict(file_name: str, h: int, w: int, kind: str) -> Dict:
    """A Detectron2 dataset dict; ``kind``: "boxes" (three objects), "empty" (no annotation) or "crowd" (only crowd
    annotations, which the mapper drops in training)."""
    annos = []
    if kind in ("boxes", "crowd"):
        annos = [
            {"bbox": [20, 10, 70, 50], "bbox_mode": BoxMode.XYWH_ABS, "category_id": 1},
            {"bbox": [w - 70, h - 50, 50, 40], "bbox_mode": BoxMode.XYWH_ABS, "category_id": 2},
            # a large object, so that the coarse levels (P5/P6 anchors) get positives
            {"bbox": [4, 4, w - 8, h - 8], "bbox_mode": BoxMode.XYWH_ABS, "category_id": 0},
        ]
        for a in annos:
            a["iscrowd"] = int(kind == "crowd")
    return {"file_name": file_name, "height": h, "width": w, "image_id": 0, "annotations": annos}


def mapped_batch(tmp_path: Path, kind: str) -> List[Dict]:
    """Two images of different sizes through the real `DatasetMapper` (training mode, no augmentation)."""
    mapper = DatasetMapper(is_train=True, augmentations=[], image_format="BGR")
    batch = []
    for i, (h, w) in enumerate([(96, 128), (112, 96)]):
        f = write_image(tmp_path / f"img{i}.png", h, w, seed=i)
        batch.append(mapper(dataset_dict(f, h, w, kind)))
    return batch


def inference_batch(seed: int = 0) -> List[Dict]:
    """Two images with requested output sizes twice their input size."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for h, w in [(96, 128), (64, 96)]:
        out.append({"image": torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8), "height": 2 * h, "width": 2 * w})
    return out
