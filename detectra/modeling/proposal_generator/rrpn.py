"""Rotated Region Proposal Network (`RRPN`, Ma et al. 2018) and its proposal selection `find_top_rrpn_proposals`.

`RRPN` is `RPN` with rotated anchors (cx, cy, w, h, angle in degrees), 5-d deltas (`Box2BoxTransformRotated`),
anchor matching by rotated IoU and rotated NMS; everything else (head, sampling, losses) is shared with `RPN`.
"""
import logging
from typing import Dict, List, Tuple

import torch

from detectra.config import configurable
from detectra.layers import ShapeSpec, batched_nms_rotated, cat, move_device_like
from detectra.structures import Instances, RotatedBoxes, pairwise_iou_rotated

from ..box_regression import Box2BoxTransformRotated
from .build import PROPOSAL_GENERATOR_REGISTRY
from .rpn import RPN

logger = logging.getLogger(__name__)

__all__ = ["RRPN", "find_top_rrpn_proposals"]


def find_top_rrpn_proposals(
    proposals: List[torch.Tensor],
    pred_objectness_logits: List[torch.Tensor],
    image_sizes: List[Tuple[int, int]],
    nms_thresh: float,
    pre_nms_topk: int,
    post_nms_topk: int,
    min_box_size: float,
    training: bool,
) -> List[Instances]:
    """Per image: keep the ``pre_nms_topk`` highest-scoring proposals of every level, clip the nearly horizontal
    ones to the image (`RotatedBoxes.clip`), drop those with a side below ``min_box_size``, run rotated NMS per
    level, and keep the ``post_nms_topk`` best overall.

    Args:
        proposals: per level, Tensor[N, Hi*Wi*A, 5] decoded boxes (cx, cy, w, h, angle in degrees).
        pred_objectness_logits: per level, Tensor[N, Hi*Wi*A].
        image_sizes: per image, (h, w) before padding.
        nms_thresh: rotated-IoU threshold of NMS.
        pre_nms_topk, post_nms_topk: see above.
        min_box_size: minimum width and height in pixels.
        training: raise `FloatingPointError` on non-finite predictions (diverged training) instead of dropping them.

    Returns:
        per image, Instances with ``proposal_boxes`` (RotatedBoxes) and ``objectness_logits``, sorted by score.
    """
    num_images = len(image_sizes)
    device = proposals[0].device

    # 1. top-k per level, all images at once
    topk_scores, topk_proposals, level_ids = [], [], []
    batch_idx = move_device_like(torch.arange(num_images, device=device), proposals[0])
    for level_id, (proposals_i, logits_i) in enumerate(zip(proposals, pred_objectness_logits)):
        num_proposals_i = min(logits_i.shape[1], pre_nms_topk)
        topk_scores_i, topk_idx = logits_i.topk(num_proposals_i, dim=1)  # (N, topk), sorted
        topk_proposals.append(proposals_i[batch_idx[:, None], topk_idx])  # (N, topk, 5)
        topk_scores.append(topk_scores_i)
        level_ids.append(
            move_device_like(torch.full((num_proposals_i,), level_id, dtype=torch.int64, device=device), proposals[0])
        )
    topk_scores = cat(topk_scores, dim=1)  # (N, sum topk)
    topk_proposals = cat(topk_proposals, dim=1)  # (N, sum topk, 5)
    level_ids = cat(level_ids, dim=0)  # (sum topk,)

    # 2. per image: validity, clip, min size, NMS per level, post-NMS top-k
    results = []
    for n, image_size in enumerate(image_sizes):
        # clone: clip() works in place and must not write into the decoded proposals of the caller
        boxes = RotatedBoxes(topk_proposals[n].clone())
        scores_per_img = topk_scores[n]
        lvl = level_ids
        valid_mask = torch.isfinite(boxes.tensor).all(dim=1) & torch.isfinite(scores_per_img)
        if not valid_mask.all():
            if training:
                raise FloatingPointError("Predicted boxes or scores contain Inf/NaN. Training has diverged.")
            boxes, scores_per_img, lvl = boxes[valid_mask], scores_per_img[valid_mask], lvl[valid_mask]
        # only boxes within 1 degree of horizontal are clipped: a rotated box has no single clipped form
        boxes.clip(image_size)
        keep = boxes.nonempty(threshold=min_box_size)
        if keep.sum().item() != len(boxes):
            boxes, scores_per_img, lvl = boxes[keep], scores_per_img[keep], lvl[keep]
        keep = batched_nms_rotated(boxes.tensor, scores_per_img, lvl, nms_thresh)
        # batched_nms_rotated returns indices by decreasing score, so this keeps the best
        keep = keep[:post_nms_topk]
        res = Instances(image_size)
        res.proposal_boxes = boxes[keep]
        res.objectness_logits = scores_per_img[keep]
        results.append(res)
    return results


@PROPOSAL_GENERATOR_REGISTRY.register()
class RRPN(RPN):
    """Rotated RPN: `RPN` over rotated anchors (use ``MODEL.ANCHOR_GENERATOR.NAME = "RotatedAnchorGenerator"`` and
    five ``MODEL.RPN.BBOX_REG_WEIGHTS``). Proposals are `RotatedBoxes`.

    Args: as `RPN`; ``box2box_transform`` is a `Box2BoxTransformRotated`. ``anchor_boundary_thresh`` must be < 0
    and ``box_reg_loss_type`` "smooth_l1" (the IoU losses are defined for axis-aligned boxes only).
    """

    @configurable
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.anchor_boundary_thresh >= 0:
            raise ValueError(
                f"RRPN does not support MODEL.RPN.BOUNDARY_THRESH >= 0 (got {self.anchor_boundary_thresh}); "
                "set it to -1."
            )
        if self.box_reg_loss_type != "smooth_l1":
            raise ValueError(
                f"RRPN supports only MODEL.RPN.BBOX_REG_LOSS_TYPE='smooth_l1', got {self.box_reg_loss_type!r}."
            )
        if not isinstance(self.box2box_transform, Box2BoxTransformRotated):
            raise TypeError(f"RRPN needs a Box2BoxTransformRotated, got {type(self.box2box_transform).__name__}.")
        box_dim = getattr(self.anchor_generator, "box_dim", 4)
        if box_dim != 5:
            raise ValueError(
                f"RRPN needs rotated anchors (box_dim 5), but the anchor generator makes {box_dim}-d boxes; "
                "set MODEL.ANCHOR_GENERATOR.NAME='RotatedAnchorGenerator'."
            )

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]):
        weights = tuple(cfg.MODEL.RPN.BBOX_REG_WEIGHTS)
        if len(weights) != 5:
            raise ValueError(
                f"RRPN needs 5 MODEL.RPN.BBOX_REG_WEIGHTS (dx, dy, dw, dh, da), got {weights}; e.g. (1, 1, 1, 1, 1)."
            )
        ret = super().from_config(cfg, input_shape)
        ret["box2box_transform"] = Box2BoxTransformRotated(weights=weights)
        return ret

    @torch.no_grad()
    def label_and_sample_anchors(
        self, anchors: List[RotatedBoxes], gt_instances: List[Instances]
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Args:
            anchors: per level, RotatedBoxes of that level's anchors.
            gt_instances: per image, Instances with ``gt_boxes`` (RotatedBoxes).

        Returns:
            gt_labels: per image, Tensor[R]: 1 foreground, 0 background, -1 ignored (after sampling).
            matched_gt_boxes: per image, Tensor[R, 5]: the box matched to each anchor (zeros without ground truth).
        """
        anchors = RotatedBoxes.cat(anchors)
        gt_labels, matched_gt_boxes = [], []
        for gt_instances_i in gt_instances:
            gt_boxes_i = gt_instances_i.gt_boxes
            if not isinstance(gt_boxes_i, RotatedBoxes):
                raise TypeError(
                    f"RRPN needs gt_boxes as RotatedBoxes, got {type(gt_boxes_i).__name__}; map the dataset with "
                    "detection_utils.annotations_to_instances_rotated (XYWHA_ABS boxes)."
                )
            match_quality_matrix = pairwise_iou_rotated(gt_boxes_i, anchors)  # (M, R)
            matched_idxs, gt_labels_i = self.anchor_matcher(match_quality_matrix)
            gt_labels_i = self._subsample_labels(gt_labels_i.to(device=gt_boxes_i.device))
            if len(gt_boxes_i) == 0:
                matched_gt_boxes_i = torch.zeros_like(anchors.tensor)
            else:
                matched_gt_boxes_i = gt_boxes_i[matched_idxs].tensor
            gt_labels.append(gt_labels_i)
            matched_gt_boxes.append(matched_gt_boxes_i)
        return gt_labels, matched_gt_boxes

    @torch.no_grad()
    def predict_proposals(
        self,
        anchors: List[RotatedBoxes],
        pred_objectness_logits: List[torch.Tensor],
        pred_anchor_deltas: List[torch.Tensor],
        image_sizes: List[Tuple[int, int]],
    ) -> List[Instances]:
        """Decode the deltas, then select with `find_top_rrpn_proposals` (no gradient flows into proposals)."""
        pred_proposals = self._decode_proposals(anchors, pred_anchor_deltas)
        return find_top_rrpn_proposals(
            pred_proposals,
            pred_objectness_logits,
            image_sizes,
            self.nms_thresh,
            self.pre_nms_topk[self.training],
            self.post_nms_topk[self.training],
            self.min_box_size,
            self.training,
        )
