"""Panoptic quality (PQ = SQ x RQ) as the COCO panoptic API defines and computes it.

`panopticapi` is not on PyPI, so its algorithm is implemented here: per image, a predicted and a ground-truth
segment of the same category match when their IoU (with the prediction's pixels on VOID removed from the union)
exceeds 0.5; unmatched ground truth is a false negative unless crowd; an unmatched prediction is a false positive
unless more than half of it lies on VOID or on a crowd region of its category.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

import numpy as np
from PIL import Image

__all__ = ["PQStat", "pq_compute", "pq_compute_single", "rgb2id", "id2rgb"]

VOID = 0
OFFSET = 256 * 256 * 256  # larger than any segment id, so gt * OFFSET + pred is a unique pair key


def rgb2id(color: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 panoptic PNG -> (H, W) segment ids (R + 256 G + 256^2 B)."""
    color = color.astype(np.int64)
    return color[..., 0] + 256 * color[..., 1] + 256 * 256 * color[..., 2]


def id2rgb(id_map: np.ndarray) -> np.ndarray:
    """(H, W) segment ids -> (H, W, 3) uint8 panoptic PNG colours."""
    id_map = np.asarray(id_map, dtype=np.int64)
    return np.stack([id_map % 256, id_map // 256 % 256, id_map // (256 * 256) % 256], axis=-1).astype(np.uint8)


class PQStat:
    """Per-category counts: summed IoU of matches, TP, FP, FN."""

    def __init__(self) -> None:
        self.stats: dict[int, dict[str, float]] = defaultdict(lambda: {"iou": 0.0, "tp": 0, "fp": 0, "fn": 0})

    def __iadd__(self, other: "PQStat") -> "PQStat":
        for cat, s in other.stats.items():
            for k in ("iou", "tp", "fp", "fn"):
                self.stats[cat][k] += s[k]
        return self

    def pq_average(self, categories: dict[int, dict], isthing: bool | None) -> tuple[dict, dict]:
        """Means over the categories (things only, stuff only, or all when `isthing` is None) that occur.

        Returns:
            ({"pq", "sq", "rq", "n"}, {category_id: {"pq", "sq", "rq"}}).
        """
        pq = sq = rq = 0.0
        n = 0
        per_class = {}
        for cat_id, cat in categories.items():
            if isthing is not None and bool(cat.get("isthing", 0)) != isthing:
                continue
            s = self.stats.get(cat_id, {"iou": 0.0, "tp": 0, "fp": 0, "fn": 0})
            tp, fp, fn = s["tp"], s["fp"], s["fn"]
            if tp + fp + fn == 0:  # category absent from ground truth and predictions: not counted
                per_class[cat_id] = {"pq": 0.0, "sq": 0.0, "rq": 0.0}
                continue
            n += 1
            denom = tp + 0.5 * fp + 0.5 * fn
            pq_c, sq_c, rq_c = s["iou"] / denom, (s["iou"] / tp if tp else 0.0), tp / denom
            per_class[cat_id] = {"pq": pq_c, "sq": sq_c, "rq": rq_c}
            pq, sq, rq = pq + pq_c, sq + sq_c, rq + rq_c
        if n == 0:
            return {"pq": 0.0, "sq": 0.0, "rq": 0.0, "n": 0}, per_class
        return {"pq": pq / n, "sq": sq / n, "rq": rq / n, "n": n}, per_class


def pq_compute_single(
    gt_ids: np.ndarray,
    pred_ids: np.ndarray,
    gt_segments: list[dict],
    pred_segments: list[dict],
    categories: dict[int, dict],
    image_name: str = "",
) -> PQStat:
    """Panoptic matching on one image.

    Args:
        gt_ids, pred_ids: (H, W) segment-id maps (0 = VOID).
        gt_segments: segments_info of the ground truth (id, category_id, iscrowd).
        pred_segments: segments_info of the prediction (id, category_id).
        categories: {category_id: {"isthing": 0/1, ...}}.
        image_name: for error messages.
    """
    stat = PQStat()
    if gt_ids.shape != pred_ids.shape:
        raise ValueError(f"{image_name}: predicted panoptic map {pred_ids.shape} != ground truth {gt_ids.shape}.")
    gt_segms = {s["id"]: dict(s) for s in gt_segments}
    pred_segms = {s["id"]: dict(s) for s in pred_segments}

    labels, counts = np.unique(pred_ids, return_counts=True)
    for label, count in zip(labels, counts):
        if label == VOID:
            continue
        if label not in pred_segms:
            raise KeyError(f"{image_name}: segment id {label} is in the predicted PNG but not in its segments_info.")
        pred_segms[label]["area"] = int(count)
        if pred_segms[label]["category_id"] not in categories:
            raise KeyError(f"{image_name}: segment {label} has unknown category_id {pred_segms[label]['category_id']}.")
    missing = [k for k, s in pred_segms.items() if "area" not in s]
    if missing:
        raise KeyError(f"{image_name}: segments {missing} are listed in segments_info but absent from the PNG.")
    labels, counts = np.unique(gt_ids, return_counts=True)
    for label, count in zip(labels, counts):
        if label in gt_segms:
            gt_segms[label]["area"] = int(count)

    pair_keys, pair_counts = np.unique(gt_ids.astype(np.int64) * OFFSET + pred_ids.astype(np.int64), return_counts=True)
    intersections = {(int(k // OFFSET), int(k % OFFSET)): int(c) for k, c in zip(pair_keys, pair_counts)}

    gt_matched, pred_matched = set(), set()
    for (gt_label, pred_label), inter in intersections.items():
        if gt_label not in gt_segms or pred_label not in pred_segms:
            continue
        gt_s, pred_s = gt_segms[gt_label], pred_segms[pred_label]
        if gt_s.get("iscrowd", 0) == 1 or gt_s["category_id"] != pred_s["category_id"]:
            continue
        union = pred_s["area"] + gt_s["area"] - inter - intersections.get((VOID, pred_label), 0)
        iou = inter / union
        if iou > 0.5:  # at most one match per segment is possible above 0.5
            stat.stats[gt_s["category_id"]]["tp"] += 1
            stat.stats[gt_s["category_id"]]["iou"] += iou
            gt_matched.add(gt_label)
            pred_matched.add(pred_label)

    crowd_by_category = {}
    for gt_label, gt_s in gt_segms.items():
        if gt_label in gt_matched:
            continue
        if gt_s.get("iscrowd", 0) == 1:
            crowd_by_category[gt_s["category_id"]] = gt_label
            continue
        stat.stats[gt_s["category_id"]]["fn"] += 1

    for pred_label, pred_s in pred_segms.items():
        if pred_label in pred_matched:
            continue
        ignored = intersections.get((VOID, pred_label), 0)
        if pred_s["category_id"] in crowd_by_category:
            ignored += intersections.get((crowd_by_category[pred_s["category_id"]], pred_label), 0)
        if ignored / pred_s["area"] > 0.5:
            continue
        stat.stats[pred_s["category_id"]]["fp"] += 1
    return stat


def pq_compute(gt_json_file: str, pred_json_file: str, gt_folder: str, pred_folder: str) -> dict[str, Any]:
    """PQ / SQ / RQ over a dataset in COCO panoptic format (jsons plus PNG folders).

    Returns:
        {"All" | "Things" | "Stuff": {"pq", "sq", "rq", "n"}, "per_class": {category_id: {"pq", "sq", "rq"}}}
        with values in [0, 1].
    """
    with open(gt_json_file) as f:
        gt_json = json.load(f)
    with open(pred_json_file) as f:
        pred_json = json.load(f)
    categories = {c["id"]: c for c in gt_json["categories"]}
    pred_by_image = {a["image_id"]: a for a in pred_json["annotations"]}

    total = PQStat()
    for gt_ann in gt_json["annotations"]:
        image_id = gt_ann["image_id"]
        if image_id not in pred_by_image:
            raise KeyError(f"No prediction for image {image_id} ({gt_ann['file_name']}).")
        pred_ann = pred_by_image[image_id]
        gt_ids = rgb2id(np.asarray(Image.open(os.path.join(gt_folder, gt_ann["file_name"])).convert("RGB")))
        pred_ids = rgb2id(np.asarray(Image.open(os.path.join(pred_folder, pred_ann["file_name"])).convert("RGB")))
        total += pq_compute_single(
            gt_ids, pred_ids, gt_ann["segments_info"], pred_ann["segments_info"], categories, gt_ann["file_name"]
        )

    results: dict[str, Any] = {}
    for name, isthing in (("All", None), ("Things", True), ("Stuff", False)):
        results[name], per_class = total.pq_average(categories, isthing)
        if name == "All":
            results["per_class"] = per_class
    return results
