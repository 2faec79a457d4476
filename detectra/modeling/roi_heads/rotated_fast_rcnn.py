"""Rotated Fast R-CNN: `RotatedFastRCNNOutputLayers`, `fast_rcnn_inference_rotated` and the box-only `RROIHeads`.

Boxes are (cx, cy, w, h, angle in degrees); ROI features come from ``ROIAlignRotated``, deltas are 5-d
(`Box2BoxTransformRotated`), matching and NMS use rotated IoU. Mask and keypoint branches are not supported.
"""
import logging
from functools import partial
from typing import Dict

import torch

from detectra.config import configurable
from detectra.layers import ShapeSpec
from detectra.structures import RotatedBoxes, pairwise_iou_rotated

from ..box_regression import Box2BoxTransformRotated
from .box_head import build_box_head
from .fast_rcnn import FastRCNNOutputLayers, fast_rcnn_inference, fast_rcnn_inference_single_image
from .roi_heads import ROI_HEADS_REGISTRY, StandardROIHeads

logger = logging.getLogger(__name__)

__all__ = [
    "fast_rcnn_inference_rotated",
    "fast_rcnn_inference_single_image_rotated",
    "RotatedFastRCNNOutputLayers",
    "RROIHeads",
]


# Detectron2's rotated inference functions are `fast_rcnn_inference` / `fast_rcnn_inference_single_image` on
# RotatedBoxes: boxes Tensor[R, K * 5] (or [R, 5] class-agnostic) per image, rotated NMS, only the nearly horizontal
# boxes clipped, ``pred_boxes`` as RotatedBoxes.
fast_rcnn_inference_rotated = partial(fast_rcnn_inference, box_type=RotatedBoxes)
fast_rcnn_inference_single_image_rotated = partial(fast_rcnn_inference_single_image, box_type=RotatedBoxes)


class RotatedFastRCNNOutputLayers(FastRCNNOutputLayers):
    """`FastRCNNOutputLayers` for rotated boxes: ``bbox_pred`` predicts C * 5 deltas, decoded by a
    `Box2BoxTransformRotated`, and inference runs `fast_rcnn_inference` on `RotatedBoxes`.

    Args: as `FastRCNNOutputLayers`; ``box_reg_loss_type`` must be "smooth_l1" (the IoU losses are axis-aligned).
    """

    box_type = RotatedBoxes

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
        pooler_type = cfg.MODEL.ROI_BOX_HEAD.POOLER_TYPE
        if pooler_type != "ROIAlignRotated":
            raise ValueError(
                f"RROIHeads pools rotated boxes and needs MODEL.ROI_BOX_HEAD.POOLER_TYPE='ROIAlignRotated', "
                f"got {pooler_type!r}."
            )
        ret = cls._init_task_head(cfg.MODEL.ROI_BOX_HEAD, cfg, input_shape, "box", build_box_head)
        ret["box_predictor"] = RotatedFastRCNNOutputLayers(cfg, ret["box_head"].output_shape)
        return ret

    def _match_quality(self, gt_boxes: RotatedBoxes, proposal_boxes: RotatedBoxes) -> torch.Tensor:
        """Tensor[M, R]: rotated IoU of every ground-truth box with every proposal."""
        return pairwise_iou_rotated(gt_boxes, proposal_boxes)
