"""Non-maximum suppression for axis-aligned (torchvision) and rotated (pure torch) boxes."""
import torch
from torchvision.ops import boxes as box_ops
from torchvision.ops import nms

__all__ = ["nms", "batched_nms", "nms_rotated", "batched_nms_rotated"]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """NMS applied independently per category.

    Args:
        boxes (Tensor[N, 4]): XYXY_ABS.
        scores (Tensor[N]).
        idxs (Tensor[N]): category of each box.
        iou_threshold: discard boxes overlapping a kept box by IoU > this.

    Returns:
        Tensor[K] int64: indices of kept boxes, by decreasing score.
    """
    if boxes.shape[-1] != 4:
        raise ValueError(f"batched_nms expects boxes of shape (N, 4), got {tuple(boxes.shape)}.")
    # float() because torchvision's nms has no half kernel on CPU
    return box_ops.batched_nms(boxes.float(), scores.float(), idxs, iou_threshold)


def nms_rotated(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """NMS on rotated boxes, in pure torch (no compiled kernel).

    Args:
        boxes (Tensor[N, 5]): (x_ctr, y_ctr, w, h, angle in degrees).
        scores (Tensor[N]).
        iou_threshold: discard boxes overlapping a kept box by rotated IoU > this.

    Returns:
        Tensor[K] int64: indices of kept boxes, by decreasing score.
    """
    from .rotated_boxes import pairwise_iou_rotated

    if boxes.shape[0] == 0:
        return torch.empty((0,), dtype=torch.int64, device=boxes.device)
    order = scores.argsort(descending=True)
    iou = pairwise_iou_rotated(boxes[order], boxes[order])  # (N, N), in score order
    # greedy NMS over the precomputed IoU matrix: O(N) Python steps, each a vectorised row; on the CPU because
    # every step branches on a value
    n = order.numel()
    overlaps = (iou > iou_threshold).cpu()
    suppressed = torch.zeros(n, dtype=torch.bool)
    keep = []
    for i in range(n):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= overlaps[i]
    keep_t = torch.as_tensor(keep, dtype=torch.int64, device=boxes.device)
    return order[keep_t]


def batched_nms_rotated(
    boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """Rotated NMS applied independently per category.

    Args:
        boxes (Tensor[N, 5]): (x_ctr, y_ctr, w, h, angle in degrees).
        scores (Tensor[N]).
        idxs (Tensor[N]): category of each box.
        iou_threshold: rotated-IoU threshold.

    Returns:
        Tensor[K] int64: indices of kept boxes, by decreasing score.
    """
    if boxes.shape[-1] != 5:
        raise ValueError(f"batched_nms_rotated expects boxes of shape (N, 5), got {tuple(boxes.shape)}.")
    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.int64, device=boxes.device)
    boxes = boxes.float()
    # shift each category's centers apart so boxes of different categories never overlap; the offset exceeds
    # any box's circumscribed extent
    max_coordinate = (
        torch.max(boxes[:, 0], boxes[:, 1]) + torch.max(boxes[:, 2], boxes[:, 3]) / 2
    ).max()
    min_coordinate = (
        torch.min(boxes[:, 0], boxes[:, 1]) - torch.max(boxes[:, 2], boxes[:, 3]) / 2
    ).min()
    offsets = idxs.to(boxes) * (max_coordinate - min_coordinate + 1)
    boxes_for_nms = boxes.clone()
    boxes_for_nms[:, :2] += offsets[:, None]
    return nms_rotated(boxes_for_nms, scores, iou_threshold)
