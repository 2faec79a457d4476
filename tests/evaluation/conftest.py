"""Helpers shared by the evaluation tests: register COCO-json datasets and turn annotations into detections."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_util

from detectra.structures import Boxes, Instances

_counter = itertools.count()


@pytest.fixture
def register_coco():
    """Register a COCO json under a fresh name (metadata only, as register_coco_instances would); cleaned up after."""
    from detectra.data import DatasetCatalog, MetadataCatalog

    names = []

    def _register(json_file: Path, **extra) -> str:
        data = json.loads(Path(json_file).read_text())
        cat_ids = sorted(c["id"] for c in data["categories"])
        id_map = {cid: i for i, cid in enumerate(cat_ids)}
        names_by_id = {c["id"]: c["name"] for c in data["categories"]}
        name = f"_test_eval_{next(_counter)}"
        DatasetCatalog.register(name, lambda: [])
        MetadataCatalog.get(name).set(
            json_file=str(json_file),
            thing_classes=[names_by_id[c] for c in cat_ids],
            thing_dataset_id_to_contiguous_id=id_map,
            **extra,
        )
        names.append(name)
        return name

    yield _register
    for name in names:
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)


def ann_mask(ann: dict, height: int, width: int) -> np.ndarray:
    """The (H, W) uint8 mask of a COCO annotation (polygons or RLE)."""
    seg = ann["segmentation"]
    if isinstance(seg, list):
        rle = mask_util.merge(mask_util.frPyObjects(seg, height, width))
    elif isinstance(seg["counts"], list):
        rle = mask_util.frPyObjects(seg, height, width)
    else:
        rle = seg
    return mask_util.decode(rle)


def perturbed_detections(
    coco: dict, seed: int = 0, with_masks: bool = False, with_keypoints: bool = False, jitter: float = 0.08
) -> dict[int, Instances]:
    """Per image, Instances made from the ground truth: jittered boxes, shifted masks, random scores, some
    class confusions and some spurious boxes, in contiguous class ids."""
    rng = np.random.default_rng(seed)
    cat_ids = sorted(c["id"] for c in coco["categories"])
    to_contiguous = {cid: i for i, cid in enumerate(cat_ids)}
    anns_by_image: dict[int, list[dict]] = {img["id"]: [] for img in coco["images"]}
    for ann in coco["annotations"]:
        anns_by_image[ann["image_id"]].append(ann)
    out = {}
    for img in coco["images"]:
        h, w = img["height"], img["width"]
        boxes, scores, classes, masks, kpts = [], [], [], [], []
        for ann in anns_by_image[img["id"]]:
            if ann.get("iscrowd", 0):
                continue
            x, y, bw, bh = ann["bbox"]
            for copy_idx in range(2 if rng.random() < 0.3 else 1):
                dx, dy, dw, dh = rng.normal(0, jitter, 4) * [bw, bh, bw, bh]
                boxes.append([x + dx, y + dy, x + dx + bw + dw, y + dy + bh + dh])
                scores.append(float(rng.uniform(0.05, 1.0)))
                wrong = rng.random() < 0.1
                classes.append(int(rng.integers(len(cat_ids))) if wrong else to_contiguous[ann["category_id"]])
                if with_masks:
                    m = ann_mask(ann, h, w)
                    shift = rng.integers(-2, 3, 2)
                    masks.append(np.roll(m, tuple(shift), axis=(0, 1)))
                if with_keypoints:
                    k = np.asarray(ann["keypoints"], dtype=np.float64).reshape(-1, 3)
                    k = k.copy()
                    k[:, :2] += rng.normal(0, 2.0, (len(k), 2)) + 0.5
                    k[:, 2] = rng.uniform(0, 1, len(k))
                    kpts.append(k)
        for _ in range(int(rng.integers(0, 3))):  # spurious detections
            x0, y0 = rng.uniform(0, w * 0.7), rng.uniform(0, h * 0.7)
            boxes.append([x0, y0, x0 + rng.uniform(5, w * 0.3), y0 + rng.uniform(5, h * 0.3)])
            scores.append(float(rng.uniform(0.05, 0.6)))
            classes.append(int(rng.integers(len(cat_ids))))
            if with_masks:
                m = np.zeros((h, w), np.uint8)
                x0i, y0i = int(x0), int(y0)
                m[y0i : y0i + 10, x0i : x0i + 10] = 1
                masks.append(m)
            if with_keypoints:
                kpts.append(np.c_[rng.uniform(0, w, (17, 1)), rng.uniform(0, h, (17, 1)), rng.uniform(0, 1, (17, 1))])
        inst = Instances(
            (h, w),
            pred_boxes=Boxes(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)),
            scores=torch.tensor(scores, dtype=torch.float32),
            pred_classes=torch.tensor(classes, dtype=torch.int64),
        )
        if with_masks:
            inst.pred_masks = torch.from_numpy(np.stack(masks) if masks else np.zeros((0, h, w), np.uint8)).bool()
        if with_keypoints:
            inst.pred_keypoints = torch.tensor(np.stack(kpts) if kpts else np.zeros((0, 17, 3)), dtype=torch.float32)
        out[img["id"]] = inst
    return out


@pytest.fixture
def make_detections():
    """`perturbed_detections` as a fixture (test modules here are not a package, so they cannot import it)."""
    return perturbed_detections
