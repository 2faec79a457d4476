"""Average recall of object proposals (the metric of Hosang et al., as COCO-style proposal evaluation uses)."""

from __future__ import annotations

from typing import Any

import torch
from pycocotools.coco import COCO
from torchvision.ops import box_iou

__all__ = ["evaluate_box_proposals"]

# Area ranges in pixels^2, matching COCO's small / medium / large split.
_AREA_RANGES = {
    "all": (0**2, 1e5**2),
    "small": (0**2, 32**2),
    "medium": (32**2, 96**2),
    "large": (96**2, 1e5**2),
    "96-128": (96**2, 128**2),
    "128-256": (128**2, 256**2),
    "256-512": (256**2, 512**2),
    "512-inf": (512**2, 1e5**2),
}


def evaluate_box_proposals(
    dataset_predictions: list[dict],
    coco_api: COCO,
    thresholds: torch.Tensor | None = None,
    area: str = "all",
    limit: int | None = None,
) -> dict[str, Any]:
    """Recall of the top `limit` proposals over IoU thresholds 0.5:0.95, and its mean (AR).

    Each ground-truth box is matched greedily to at most one proposal: repeatedly take the (proposal, gt) pair
    with the highest IoU among the unmatched ones.

    Args:
        dataset_predictions: dicts with "image_id" and "proposals" (Instances with `proposal_boxes`, XYXY_ABS,
            and `objectness_logits`).
        coco_api: the ground truth; crowd annotations are ignored.
        thresholds: IoU thresholds (default 0.5:0.05:0.95).
        area: one of "all", "small", "medium", "large", "96-128", "128-256", "256-512", "512-inf".
        limit: how many top-scoring proposals per image to use (all when None).

    Returns:
        {"ar": scalar tensor, "recalls": (T,), "thresholds": (T,), "gt_overlaps": (G,), "num_pos": int}.
    """
    if area not in _AREA_RANGES:
        raise ValueError(f"Unknown area range '{area}'; use one of {list(_AREA_RANGES)}.")
    area_lo, area_hi = _AREA_RANGES[area]
    gt_overlaps = []
    num_pos = 0

    for prediction in dataset_predictions:
        proposals = prediction["proposals"]
        order = proposals.objectness_logits.sort(descending=True)[1]
        boxes = proposals.proposal_boxes.tensor[order]

        anns = coco_api.loadAnns(coco_api.getAnnIds(imgIds=prediction["image_id"]))
        anns = [a for a in anns if a.get("iscrowd", 0) == 0]
        gt_boxes = torch.as_tensor([a["bbox"] for a in anns], dtype=torch.float32).reshape(-1, 4)
        gt_boxes[:, 2:] += gt_boxes[:, :2]  # XYWH -> XYXY
        gt_areas = torch.as_tensor([a["area"] for a in anns], dtype=torch.float32)

        if len(gt_boxes) == 0 or len(boxes) == 0:
            continue
        gt_boxes = gt_boxes[(gt_areas >= area_lo) & (gt_areas <= area_hi)]
        num_pos += len(gt_boxes)
        if len(gt_boxes) == 0:
            continue
        if limit is not None:
            boxes = boxes[:limit]

        overlaps = box_iou(boxes.float(), gt_boxes)  # (P, G)
        matched = torch.zeros(len(gt_boxes))
        for j in range(min(len(boxes), len(gt_boxes))):
            max_overlaps, argmax_overlaps = overlaps.max(dim=0)  # best proposal for each gt
            gt_ovr, gt_ind = max_overlaps.max(dim=0)  # the gt covered best
            box_ind = argmax_overlaps[gt_ind]
            matched[j] = overlaps[box_ind, gt_ind]
            overlaps[box_ind, :] = -1
            overlaps[:, gt_ind] = -1
        gt_overlaps.append(matched)

    all_overlaps = torch.cat(gt_overlaps) if gt_overlaps else torch.zeros(0)
    all_overlaps, _ = torch.sort(all_overlaps)
    if thresholds is None:
        thresholds = torch.arange(0.5, 0.95 + 1e-5, 0.05, dtype=torch.float32)
    recalls = torch.zeros_like(thresholds)
    for i, t in enumerate(thresholds):
        recalls[i] = (all_overlaps >= t).float().sum() / max(float(num_pos), 1.0)
    return {
        "ar": recalls.mean(),
        "recalls": recalls,
        "thresholds": thresholds,
        "gt_overlaps": all_overlaps,
        "num_pos": num_pos,
    }
