"""Non-maximum suppression for axis-aligned (torchvision) and rotated (pure torch) boxes."""
import torch
from torchvision.ops import boxes as box_ops
from torchvision.ops import nms

from .rotated_boxes import pairwise_iou_rotated
from .wrappers import is_exporting

__all__ = ["nms", "batched_nms", "batched_nms_topk", "nms_rotated", "batched_nms_rotated"]

# rotated NMS compares at most this many box pairs at a time (bounds its memory, see `nms_rotated`)
_MAX_PAIRS_PER_BLOCK = 1 << 20


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
    boxes, scores = boxes.float(), scores.float()
    if is_exporting():
        # torchvision picks its algorithm by the box count, a data-dependent branch an exported graph cannot
        # hold; this is its offset trick (what it uses for small counts and while tracing): shift each category
        # by more than the largest coordinate so categories never overlap, then one NMS. The appended 0 keeps
        # max() defined for an empty input.
        max_coordinate = torch.cat([boxes.reshape(-1), boxes.new_zeros(1)]).max()
        offsets = idxs.to(boxes) * (max_coordinate + 1)
        return nms(boxes + offsets[:, None], scores, iou_threshold)
    return box_ops.batched_nms(boxes, scores, idxs, iou_threshold)


def batched_nms_topk(
    boxes: torch.Tensor, scores: torch.Tensor, idxs: torch.Tensor, iou_threshold: float, topk: int
) -> torch.Tensor:
    """``batched_nms(boxes, scores, idxs, iou_threshold)[:topk]``, computed on the best-scoring boxes only.

    Greedy NMS decides a box's fate from higher-scoring boxes alone, so the first ``topk`` boxes kept from a prefix
    of the boxes in score order (all boxes scoring at least some value) are the first ``topk`` kept overall once the
    prefix keeps ``topk``. The prefix starts at ``4 * topk`` boxes and grows 4x until it does. At test time Fast
    R-CNN keeps 100 of up to 80,000 (proposal, class) pairs: NMS over all of them was ~15% of an inference.

    Rotated boxes (Tensor[N, 5]) go through `batched_nms_rotated` over all boxes, then the cut.

    Args:
        boxes: Tensor[N, 4] XYXY_ABS, or Tensor[N, 5] rotated (x_ctr, y_ctr, w, h, angle in degrees).
        scores, idxs, iou_threshold: as for `batched_nms`.
        topk: how many kept boxes to return; < 0 for all.

    Returns:
        Tensor[min(K, topk)] int64: indices of kept boxes, by decreasing score.
    """
    if boxes.shape[-1] == 5:
        keep = batched_nms_rotated(boxes, scores, idxs, iou_threshold)
        return keep if topk < 0 else keep[:topk]
    num = scores.numel()
    length = 4 * topk
    # (an exported graph cannot loop on a data-dependent count: it takes the plain path)
    if is_exporting() or topk < 0 or num <= length:
        keep = batched_nms(boxes, scores, idxs, iou_threshold)
        return keep if topk < 0 else keep[:topk]
    sorted_scores = scores.sort(descending=True).values
    while length < num:
        # ties with the last score join the prefix: every box left out scores strictly lower
        prefix = (scores >= sorted_scores[length - 1]).nonzero().squeeze(1)
        keep = batched_nms(boxes[prefix], scores[prefix], idxs[prefix], iou_threshold)
        if keep.numel() >= topk:
            return prefix[keep[:topk]]
        length *= 4
    return batched_nms(boxes, scores, idxs, iou_threshold)[:topk]


def nms_rotated(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """NMS on rotated boxes, in pure torch (no compiled kernel).

    Greedy, in score order, over blocks of rows of the IoU matrix: each block of still unsuppressed boxes is
    compared with the boxes after it (about ``_MAX_PAIRS_PER_BLOCK`` pairs at a time), so memory stays bounded
    where the whole N x N matrix would not: with N = 8,000 (RRPN keeps up to 2,000 proposals per level) the work
    memory is ~0.1 GB instead of 3.3 GB, measured.

    Args:
        boxes (Tensor[N, 5]): (x_ctr, y_ctr, w, h, angle in degrees).
        scores (Tensor[N]).
        iou_threshold: discard boxes overlapping a kept box by rotated IoU > this.

    Returns:
        Tensor[K] int64: indices of kept boxes, by decreasing score.
    """
    if boxes.shape[0] == 0:
        return torch.empty((0,), dtype=torch.int64, device=boxes.device)
    order = scores.argsort(descending=True)
    boxes = boxes[order]
    n = order.numel()
    rows_per_block = max(1, _MAX_PAIRS_PER_BLOCK // n)
    # the greedy steps run on the CPU because every step branches on a value
    suppressed = torch.zeros(n, dtype=torch.bool)
    keep = []
    for start in range(0, n, rows_per_block):
        end = min(start + rows_per_block, n)
        rows = start + (~suppressed[start:end]).nonzero().squeeze(1)  # boxes an earlier block did not suppress
        if rows.numel() == 0:
            continue
        # (rows, n - start), in score order: a box can only suppress the boxes after it
        overlaps = (pairwise_iou_rotated(boxes[rows.to(boxes.device)], boxes[start:]) > iou_threshold).cpu()
        for row, i in enumerate(rows.tolist()):
            if suppressed[i]:
                continue
            keep.append(i)
            suppressed[start:] |= overlaps[row]
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
