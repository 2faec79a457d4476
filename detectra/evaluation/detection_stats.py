"""Numbers behind the diagnostic plots of a detector: the confusion matrix with a background class, precision /
recall / F1 against the score threshold per class, and the label statistics of a dataset.

Images are given as plain arrays: ground truth ``{"boxes": (N, 4) XYXY_ABS, "classes": (N,)}`` and predictions
``{"boxes": (M, 4) XYXY_ABS, "classes": (M,), "scores": (M,)}``, classes contiguous in ``[0, K)``.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import torch
from torchvision.ops import box_iou

from detectra.structures import BoxMode

__all__ = [
    "confusion_matrix",
    "label_statistics",
    "match_by_class",
    "prf1_curves",
    "detections_from_coco_results",
    "ground_truth_from_dicts",
]


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    return box_iou(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)).numpy()


def confusion_matrix(
    gts: Sequence[Mapping[str, np.ndarray]],
    preds: Sequence[Mapping[str, np.ndarray]],
    num_classes: int,
    *,
    iou_threshold: float = 0.5,
    score_threshold: float = 0.25,
) -> np.ndarray:
    """Counts of (predicted class, true class) over images, with background as the last row and column.

    Predictions at or above ``score_threshold`` are matched one-to-one to ground truth boxes of any class by
    decreasing IoU (at least ``iou_threshold``). A matched pair counts at ``[pred_class, true_class]``; a ground
    truth box left unmatched at ``[K, true_class]`` (missed: predicted background); a prediction left unmatched at
    ``[pred_class, K]`` (false positive on background).

    Returns:
        An int64 array of shape (K + 1, K + 1): rows are predicted classes, columns true classes.
    """
    k = num_classes
    matrix = np.zeros((k + 1, k + 1), dtype=np.int64)
    for gt, pred in zip(gts, preds):
        keep = np.asarray(pred["scores"]) >= score_threshold
        p_boxes, p_cls = np.asarray(pred["boxes"])[keep], np.asarray(pred["classes"])[keep].astype(int)
        g_boxes, g_cls = np.asarray(gt["boxes"]), np.asarray(gt["classes"]).astype(int)
        iou = _iou(p_boxes, g_boxes)  # (P, G)
        pi, gi = np.nonzero(iou >= iou_threshold)
        order = np.argsort(-iou[pi, gi], kind="stable")
        used_p, used_g = set(), set()
        for i in order:  # greedy by IoU: each box takes part in at most one pair
            p, g = int(pi[i]), int(gi[i])
            if p in used_p or g in used_g:
                continue
            used_p.add(p)
            used_g.add(g)
            matrix[p_cls[p], g_cls[g]] += 1
        for g in set(range(len(g_cls))) - used_g:
            matrix[k, g_cls[g]] += 1
        for p in set(range(len(p_cls))) - used_p:
            matrix[p_cls[p], k] += 1
    return matrix


def match_by_class(
    gts: Sequence[Mapping[str, np.ndarray]], preds: Sequence[Mapping[str, np.ndarray]], num_classes: int,
    iou_threshold: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Mark each prediction true or false positive, as COCO does for one IoU threshold: per image and class, the
    predictions in decreasing score take the unmatched ground truth box of their class with the highest IoU
    (at least ``iou_threshold``).

    Returns:
        (scores (M,), classes (M,), is_true_positive (M,) bool, ground truth boxes per class (K,)).
    """
    scores, classes, tps = [], [], []
    num_gt = np.zeros(num_classes, dtype=np.int64)
    for gt, pred in zip(gts, preds):
        g_cls = np.asarray(gt["classes"]).astype(int)
        num_gt += np.bincount(g_cls, minlength=num_classes)[:num_classes]
        p_cls = np.asarray(pred["classes"]).astype(int)
        p_scores = np.asarray(pred["scores"], dtype=float)
        iou = _iou(np.asarray(pred["boxes"]), np.asarray(gt["boxes"]))  # (P, G)
        taken = np.zeros(len(g_cls), dtype=bool)
        for p in np.argsort(-p_scores, kind="stable"):
            candidates = np.where((g_cls == p_cls[p]) & ~taken)[0]
            hit = False
            if len(candidates):
                best = candidates[np.argmax(iou[p, candidates])]
                if iou[p, best] >= iou_threshold:
                    taken[best] = hit = True
            scores.append(p_scores[p])
            classes.append(p_cls[p])
            tps.append(hit)
    return np.asarray(scores, dtype=float), np.asarray(classes, dtype=int), np.asarray(tps, dtype=bool), num_gt


def prf1_curves(
    scores: np.ndarray, classes: np.ndarray, is_tp: np.ndarray, num_gt: np.ndarray, thresholds: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Precision, recall and F1 of each class when keeping the predictions scored at or above each threshold.

    Args:
        scores, classes, is_tp, num_gt: as returned by `match_by_class`.
        thresholds: score thresholds (default 0, 0.01, ..., 1).

    Returns:
        ``{"thresholds": (T,), "precision": (K, T), "recall": (K, T), "f1": (K, T)}``. Precision is 1 where a class
        keeps no prediction (no false positives); recall is 0 for a class without ground truth.
    """
    thresholds = np.linspace(0, 1, 101) if thresholds is None else np.asarray(thresholds, dtype=float)
    k = len(num_gt)
    precision = np.ones((k, len(thresholds)))
    recall = np.zeros((k, len(thresholds)))
    kept = scores[None, :] >= thresholds[:, None]  # (T, M)
    for c in range(k):
        mine = classes == c
        n = (kept & mine).sum(axis=1)
        tp = (kept & mine & is_tp).sum(axis=1)
        precision[c] = np.where(n > 0, tp / np.maximum(n, 1), 1.0)
        recall[c] = tp / num_gt[c] if num_gt[c] else 0.0
    denom = precision + recall
    f1 = np.where(denom > 0, 2 * precision * recall / np.where(denom > 0, denom, 1), 0.0)
    return {"thresholds": thresholds, "precision": precision, "recall": recall, "f1": f1}


def label_statistics(dataset_dicts: Iterable[Mapping[str, Any]], num_classes: int) -> dict[str, np.ndarray]:
    """Class counts and box geometry of a dataset's annotations (crowd boxes excluded).

    Returns:
        ``{"counts": (K,), "width", "height", "center_x", "center_y": (N,)}``, the geometry relative to the image
        size (0-1).
    """
    counts = np.zeros(num_classes, dtype=np.int64)
    geometry: list[tuple[float, float, float, float]] = []
    for d in dataset_dicts:
        h, w = float(d.get("height") or 1), float(d.get("width") or 1)
        for ann in d.get("annotations", []):
            if ann.get("iscrowd", 0):
                continue
            if 0 <= ann["category_id"] < num_classes:
                counts[ann["category_id"]] += 1
            x0, y0, x1, y1 = BoxMode.convert(list(ann["bbox"]), ann["bbox_mode"], BoxMode.XYXY_ABS)
            geometry.append(((x1 - x0) / w, (y1 - y0) / h, (x0 + x1) / 2 / w, (y0 + y1) / 2 / h))
    g = np.asarray(geometry, dtype=float).reshape(-1, 4)
    return {"counts": counts, "width": g[:, 0], "height": g[:, 1], "center_x": g[:, 2], "center_y": g[:, 3]}


def ground_truth_from_dicts(dataset_dicts: Sequence[Mapping[str, Any]]) -> list[dict[str, np.ndarray]]:
    """Ground truth arrays (XYXY_ABS boxes, contiguous classes) of dataset dicts, crowd boxes excluded."""
    out = []
    for d in dataset_dicts:
        anns = [a for a in d.get("annotations", []) if not a.get("iscrowd", 0)]
        boxes = [BoxMode.convert(list(a["bbox"]), a["bbox_mode"], BoxMode.XYXY_ABS) for a in anns]
        out.append({"boxes": np.asarray(boxes, dtype=float).reshape(-1, 4),
                    "classes": np.asarray([a["category_id"] for a in anns], dtype=int)})  # fmt: skip
    return out


def detections_from_coco_results(
    results: Sequence[Mapping[str, Any]], image_ids: Sequence[Any], dataset_id_to_contiguous: Mapping[int, int] | None
) -> list[dict[str, np.ndarray]]:
    """Prediction arrays per image from a COCO results list (``coco_instances_results.json``), in the order of
    ``image_ids``; category ids mapped to contiguous classes with ``dataset_id_to_contiguous`` (identity if None)."""
    by_image: dict[Any, list[Mapping[str, Any]]] = {i: [] for i in image_ids}
    for r in results:
        if r["image_id"] in by_image:
            by_image[r["image_id"]].append(r)
    out = []
    for i in image_ids:
        rs = by_image[i]
        boxes = np.asarray([r["bbox"] for r in rs], dtype=float).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]  # XYWH -> XYXY
        cls = [(dataset_id_to_contiguous or {}).get(r["category_id"], r["category_id"]) for r in rs]
        out.append({"boxes": boxes, "classes": np.asarray(cls, dtype=int),
                    "scores": np.asarray([r["score"] for r in rs], dtype=float)})  # fmt: skip
    return out
