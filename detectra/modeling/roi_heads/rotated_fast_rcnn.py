"""Rotated Fast R-CNN: `RotatedFastRCNNOutputLayers`, `fast_rcnn_inference_rotated` and the box-only `RROIHeads`.

Boxes are (cx, cy, w, h, angle in degrees); ROI features come from ``ROIAlignRotated``, deltas are 5-d
(`Box2BoxTransformRotated`), matching and NMS use rotated IoU. Mask and keypoint branches are not supported.
"""
import logging
from typing import Dict, List, Tuple

import numpy as np
import torch

from detectra.config import configurable
from detectra.layers import ShapeSpec, batched_nms_rotated
from detectra.structures import Instances, RotatedBoxes, pairwise_iou_rotated
from detectra.utils.events import get_event_storage

from ..box_regression import Box2BoxTransformRotated
from ..poolers import ROIPooler
from ..proposal_generator.proposal_utils import add_ground_truth_to_proposals
from .box_head import build_box_head
from .fast_rcnn import FastRCNNOutputLayers
from .roi_heads import ROI_HEADS_REGISTRY, StandardROIHeads

logger = logging.getLogger(__name__)

__all__ = [
    "fast_rcnn_inference_rotated",
    "fast_rcnn_inference_single_image_rotated",
    "RotatedFastRCNNOutputLayers",
    "RROIHeads",
]


# Shapes used below: R proposals of one image, K foreground classes, C box-regression classes (K or 1), B = 5.


def fast_rcnn_inference_rotated(
    boxes: List[torch.Tensor],
    scores: List[torch.Tensor],
    image_shapes: List[Tuple[int, int]],
    score_thresh: float,
    nms_thresh: float,
    topk_per_image: int,
) -> Tuple[List[Instances], List[torch.Tensor]]:
    """Per image: score threshold, per-class rotated NMS, keep the ``topk_per_image`` best.

    Args:
        boxes: per image, Tensor[R, K * 5] (or [R, 5] class-agnostic) predicted rotated boxes.
        scores: per image, Tensor[R, K + 1] class probabilities (last column: background).
        image_shapes: per image, (h, w); nearly horizontal boxes are clipped to it.
        score_thresh: keep detections with a score above this.
        nms_thresh: rotated-IoU threshold of the per-class NMS.
        topk_per_image: maximum detections per image (< 0: all).

    Returns:
        instances: per image, Instances with ``pred_boxes`` (RotatedBoxes), ``scores``, ``pred_classes``.
        kept_indices: per image, index of the proposal each detection came from.
    """
    result_per_image = [
        fast_rcnn_inference_single_image_rotated(b, s, shape, score_thresh, nms_thresh, topk_per_image)
        for s, b, shape in zip(scores, boxes, image_shapes)
    ]
    return [x[0] for x in result_per_image], [x[1] for x in result_per_image]


def fast_rcnn_inference_single_image_rotated(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    image_shape: Tuple[int, int],
    score_thresh: float,
    nms_thresh: float,
    topk_per_image: int,
) -> Tuple[Instances, torch.Tensor]:
    """`fast_rcnn_inference_rotated` for one image."""
    box_dim = 5
    valid_mask = torch.isfinite(boxes).all(dim=1) & torch.isfinite(scores).all(dim=1)
    if not valid_mask.all():
        boxes, scores = boxes[valid_mask], scores[valid_mask]

    scores = scores[:, :-1]  # drop background, (R, K)
    num_bbox_reg_classes = boxes.shape[1] // box_dim
    boxes = RotatedBoxes(boxes.reshape(-1, box_dim))
    boxes.clip(image_shape)
    boxes = boxes.tensor.view(-1, num_bbox_reg_classes, box_dim)  # (R, C, 5)

    filter_mask = scores > score_thresh  # (R, K)
    filter_inds = filter_mask.nonzero()  # rows: (proposal index, class index)
    if num_bbox_reg_classes == 1:
        boxes = boxes[filter_inds[:, 0], 0]
    else:
        boxes = boxes[filter_mask]
    scores = scores[filter_mask]

    keep = batched_nms_rotated(boxes, scores, filter_inds[:, 1], nms_thresh)
    if topk_per_image >= 0:
        keep = keep[:topk_per_image]
    boxes, scores, filter_inds = boxes[keep], scores[keep], filter_inds[keep]

    result = Instances(image_shape)
    result.pred_boxes = RotatedBoxes(boxes)
    result.scores = scores
    result.pred_classes = filter_inds[:, 1]
    return result, filter_inds[:, 0]


class RotatedFastRCNNOutputLayers(FastRCNNOutputLayers):
    """`FastRCNNOutputLayers` for rotated boxes: ``bbox_pred`` predicts C * 5 deltas, decoded by a
    `Box2BoxTransformRotated`, and inference runs `fast_rcnn_inference_rotated`.

    Args: as `FastRCNNOutputLayers`; ``box_reg_loss_type`` must be "smooth_l1" (the IoU losses are axis-aligned).
    """

    @configurable
    def __init__(self, input_shape, **kwargs):
        super().__init__(input_shape, **kwargs)
        if len(self.box2box_transform.weights) != 5:
            raise ValueError(
                f"RotatedFastRCNNOutputLayers needs 5 box-regression weights, got {self.box2box_transform.weights}."
            )
        if self.box_reg_loss_type != "smooth_l1":
            raise ValueError(
                "Rotated Fast R-CNN supports only MODEL.ROI_BOX_HEAD.BBOX_REG_LOSS_TYPE='smooth_l1', "
                f"got {self.box_reg_loss_type!r}."
            )

    @classmethod
    def from_config(cls, cfg, input_shape):
        weights = tuple(cfg.MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS)
        if len(weights) != 5:
            raise ValueError(
                f"Rotated Fast R-CNN needs 5 MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS (dx, dy, dw, dh, da), got {weights}; "
                "e.g. (10, 10, 5, 5, 1)."
            )
        args = super().from_config(cfg, input_shape)
        args["box2box_transform"] = Box2BoxTransformRotated(weights=weights)
        return args

    def inference(
        self, predictions: Tuple[torch.Tensor, torch.Tensor], proposals: List[Instances]
    ) -> Tuple[List[Instances], List[torch.Tensor]]:
        """Returns: the output of `fast_rcnn_inference_rotated` for these predictions."""
        boxes = self.predict_boxes(predictions, proposals)
        scores = self.predict_probs(predictions, proposals)
        image_shapes = [x.image_size for x in proposals]
        return fast_rcnn_inference_rotated(
            boxes, scores, image_shapes, self.test_score_thresh, self.test_nms_thresh, self.test_topk_per_image
        )


@ROI_HEADS_REGISTRY.register()
class RROIHeads(StandardROIHeads):
    """Box-only `StandardROIHeads` for rotated proposals (from `RRPN`): ``ROIAlignRotated`` pooling, proposal
    matching by rotated IoU, and a `RotatedFastRCNNOutputLayers` predictor.

    Args: as `StandardROIHeads` without the mask / keypoint branches; ``train_on_pred_boxes`` must be False.
    """

    @configurable
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.mask_on or self.keypoint_on:
            raise ValueError(
                "RROIHeads has no mask or keypoint branch; set MODEL.MASK_ON=False and MODEL.KEYPOINT_ON=False."
            )
        if self.train_on_pred_boxes:
            raise ValueError("RROIHeads does not support MODEL.ROI_BOX_HEAD.TRAIN_ON_PRED_BOXES=True; set it False.")

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]):
        # checked here, before any head is built, so the user sees this message and not a builder's
        if cfg.MODEL.MASK_ON or cfg.MODEL.KEYPOINT_ON:
            raise ValueError(
                "RROIHeads has no mask or keypoint branch (MODEL.MASK_ON="
                f"{cfg.MODEL.MASK_ON}, MODEL.KEYPOINT_ON={cfg.MODEL.KEYPOINT_ON}); set both to False."
            )
        return super().from_config(cfg, input_shape)

    @classmethod
    def _init_box_head(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        in_features = cfg.MODEL.ROI_HEADS.IN_FEATURES
        pooler_resolution = cfg.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION
        pooler_type = cfg.MODEL.ROI_BOX_HEAD.POOLER_TYPE
        if pooler_type != "ROIAlignRotated":
            raise ValueError(
                f"RROIHeads pools rotated boxes and needs MODEL.ROI_BOX_HEAD.POOLER_TYPE='ROIAlignRotated', "
                f"got {pooler_type!r}."
            )
        pooler_scales, in_channels = cls._pooler_args(input_shape, in_features)
        box_pooler = ROIPooler(
            output_size=pooler_resolution,
            scales=pooler_scales,
            sampling_ratio=cfg.MODEL.ROI_BOX_HEAD.POOLER_SAMPLING_RATIO,
            pooler_type=pooler_type,
        )
        box_head = build_box_head(
            cfg, ShapeSpec(channels=in_channels, height=pooler_resolution, width=pooler_resolution)
        )
        box_predictor = RotatedFastRCNNOutputLayers(cfg, box_head.output_shape)
        return {
            "box_in_features": in_features,
            "box_pooler": box_pooler,
            "box_head": box_head,
            "box_predictor": box_predictor,
        }

    @torch.no_grad()
    def label_and_sample_proposals(self, proposals: List[Instances], targets: List[Instances]) -> List[Instances]:
        """As `ROIHeads.label_and_sample_proposals`, matching by rotated IoU.

        Args:
            proposals: per image, Instances with ``proposal_boxes`` (RotatedBoxes) and ``objectness_logits``.
            targets: per image, Instances with ``gt_boxes`` (RotatedBoxes) and ``gt_classes``.

        Returns:
            per image, the sampled proposals with ``gt_classes`` and, where the image has ground truth,
            ``gt_boxes`` of the matched target.
        """
        if self.proposal_append_gt:
            proposals = add_ground_truth_to_proposals(targets, proposals)
        proposals_with_gt, num_fg_samples, num_bg_samples = [], [], []
        for proposals_per_image, targets_per_image in zip(proposals, targets):
            has_gt = len(targets_per_image) > 0
            match_quality_matrix = pairwise_iou_rotated(
                targets_per_image.gt_boxes, proposals_per_image.proposal_boxes
            )  # (M, R)
            matched_idxs, matched_labels = self.proposal_matcher(match_quality_matrix)
            sampled_idxs, gt_classes = self._sample_proposals(
                matched_idxs, matched_labels, targets_per_image.gt_classes
            )
            proposals_per_image = proposals_per_image[sampled_idxs]
            proposals_per_image.gt_classes = gt_classes
            if has_gt:
                proposals_per_image.gt_boxes = targets_per_image.gt_boxes[matched_idxs[sampled_idxs]]
            num_bg_samples.append((gt_classes == self.num_classes).sum().item())
            num_fg_samples.append(gt_classes.numel() - num_bg_samples[-1])
            proposals_with_gt.append(proposals_per_image)
        storage = get_event_storage()
        storage.put_scalar("roi_head/num_fg_samples", float(np.mean(num_fg_samples)))
        storage.put_scalar("roi_head/num_bg_samples", float(np.mean(num_bg_samples)))
        return proposals_with_gt
