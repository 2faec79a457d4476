"""Proposal selection after the RPN (`find_top_rpn_proposals`) and ground-truth injection for ROI-head training."""
import logging
import math
from typing import List, Tuple, Type, Union

import torch

from detectra.layers import batched_nms_topk, cat, is_exporting, move_device_like, topk_count
from detectra.structures import Boxes, Instances

logger = logging.getLogger(__name__)

__all__ = ["find_top_rpn_proposals", "add_ground_truth_to_proposals"]


def find_top_rpn_proposals(
    proposals: List[torch.Tensor],
    pred_objectness_logits: List[torch.Tensor],
    image_sizes: List[Tuple[int, int]],
    nms_thresh: float,
    pre_nms_topk: int,
    post_nms_topk: int,
    min_box_size: float,
    training: bool,
    *,
    box_type: Type[Boxes] = Boxes,
) -> List[Instances]:
    """Per image: keep the ``pre_nms_topk`` highest-scoring proposals of every level, clip them to the image,
    drop those smaller than ``min_box_size``, run NMS per level, and keep the ``post_nms_topk`` best overall.

    Args:
        proposals: per level, Tensor[N, Hi*Wi*A, B] decoded boxes, B = ``box_type.box_dim``.
        pred_objectness_logits: per level, Tensor[N, Hi*Wi*A].
        image_sizes: per image, (h, w) before padding.
        nms_thresh: IoU threshold of NMS.
        pre_nms_topk, post_nms_topk: see above.
        min_box_size: minimum side length in pixels.
        training: raise `FloatingPointError` on non-finite predictions (diverged training) instead of dropping them.
        box_type: `Boxes` (XYXY_ABS) or `RotatedBoxes`, whose ``clip``, ``nonempty`` and NMS (rotated IoU) apply.

    Returns:
        per image, Instances with ``proposal_boxes`` (of ``box_type``) and ``objectness_logits``, sorted by score.
    """
    num_images = len(image_sizes)
    device = proposals[0].device if proposals else torch.device("cpu")
    exporting = is_exporting()

    # 1. top-k per level, all images at once
    topk_scores, topk_proposals, level_ids = [], [], []
    batch_idx = move_device_like(torch.arange(num_images, device=device), proposals[0])
    for level_id, (proposals_i, logits_i) in enumerate(zip(proposals, pred_objectness_logits)):
        num_proposals_i = topk_count(logits_i.shape[1], pre_nms_topk)  # the anchor count follows the input size
        topk_scores_i, topk_idx = logits_i.topk(num_proposals_i, dim=1)  # (N, topk), sorted
        topk_proposals.append(proposals_i[batch_idx[:, None], topk_idx])  # (N, topk, B)
        topk_scores.append(topk_scores_i)
        level_ids.append(
            move_device_like(torch.full((num_proposals_i,), level_id, dtype=torch.int64, device=device), proposals[0])
        )
    topk_scores = cat(topk_scores, dim=1)
    topk_proposals = cat(topk_proposals, dim=1)
    level_ids = cat(level_ids, dim=0)

    # 2. per image: validity, clip, min size, NMS per level, post-NMS top-k
    results = []
    for n, image_size in enumerate(image_sizes):
        boxes = box_type(topk_proposals[n])
        scores_per_img = topk_scores[n]
        lvl = level_ids
        valid_mask = torch.isfinite(boxes.tensor).all(dim=1) & torch.isfinite(scores_per_img)
        # an exported graph cannot branch on values: it always filters (a no-op when every box is finite)
        if exporting or not valid_mask.all():
            if training:
                raise FloatingPointError("Predicted boxes or scores contain Inf/NaN. Training has diverged.")
            boxes, scores_per_img, lvl = boxes[valid_mask], scores_per_img[valid_mask], lvl[valid_mask]
        boxes.clip(image_size)
        keep = boxes.nonempty(threshold=min_box_size)
        if exporting or keep.sum().item() != len(boxes):
            boxes, scores_per_img, lvl = boxes[keep], scores_per_img[keep], lvl[keep]
        # indices sorted by decreasing score: the post_nms_topk best
        keep = batched_nms_topk(boxes.tensor, scores_per_img, lvl, nms_thresh, post_nms_topk)
        res = Instances(image_size)
        res.proposal_boxes = boxes[keep]
        res.objectness_logits = scores_per_img[keep]
        results.append(res)
    return results


def add_ground_truth_to_proposals(
    gt: Union[List[Instances], List[Boxes]], proposals: List[Instances]
) -> List[Instances]:
    """Append every ground-truth box to its image's proposals (with a near-certain objectness logit), so that the
    ROI heads always see some positives early in training.

    Args:
        gt: per image, Instances with ``gt_boxes`` (other ``gt_*`` fields ride along), or Boxes; None: no-op.
        proposals: per image, Instances with ``proposal_boxes`` and ``objectness_logits``.

    Returns:
        per image, the proposals followed by the ground truth.
    """
    if gt is None:
        return proposals
    if len(gt) != len(proposals):
        raise ValueError(f"Got ground truth for {len(gt)} images but proposals for {len(proposals)}.")
    if len(proposals) == 0:
        return proposals
    return [add_ground_truth_to_proposals_single_image(gt_i, p_i) for gt_i, p_i in zip(gt, proposals)]


def add_ground_truth_to_proposals_single_image(gt: Union[Instances, Boxes], proposals: Instances) -> Instances:
    """`add_ground_truth_to_proposals` for one image."""
    if isinstance(gt, Boxes):
        gt = Instances(proposals.image_size, gt_boxes=gt)
    gt_boxes = gt.gt_boxes
    device = proposals.objectness_logits.device
    # logit of a probability of 1 - 1e-10: ground truth ranks above every real proposal
    gt_logit_value = math.log((1.0 - 1e-10) / (1 - (1.0 - 1e-10)))
    gt_logits = gt_logit_value * torch.ones(len(gt_boxes), device=device)

    gt_proposal = Instances(proposals.image_size, **gt.get_fields())
    gt_proposal.proposal_boxes = gt_boxes
    gt_proposal.objectness_logits = gt_logits
    for key in proposals.get_fields().keys():
        if not gt_proposal.has(key):
            raise ValueError(f"Proposals have a field {key!r} that the ground-truth instances lack.")
    # Instances.cat keeps the fields of the first element: the gt_* fields of `gt` are dropped here
    return Instances.cat([proposals, gt_proposal])
