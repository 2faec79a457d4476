"""Rotated Region Proposal Network (`RRPN`, Ma et al. 2018) and its proposal selection `find_top_rrpn_proposals`.

`RRPN` is `RPN` with rotated anchors (cx, cy, w, h, angle in degrees), 5-d deltas (`Box2BoxTransformRotated`),
anchor matching by rotated IoU and rotated NMS; everything else (head, sampling, losses) is shared with `RPN`.
"""
import logging
from functools import partial
from typing import Dict

import torch

from detectra.config import configurable
from detectra.layers import ShapeSpec
from detectra.structures import RotatedBoxes, pairwise_iou_rotated

from ..box_regression import Box2BoxTransformRotated
from .build import PROPOSAL_GENERATOR_REGISTRY
from .proposal_utils import find_top_rpn_proposals
from .rpn import RPN

logger = logging.getLogger(__name__)

__all__ = ["RRPN", "find_top_rrpn_proposals"]


# Detectron2's rotated proposal selection is `find_top_rpn_proposals` on RotatedBoxes: proposals Tensor[N, Hi*Wi*A, 5]
# per level, only the nearly horizontal ones clipped (`RotatedBoxes.clip`), rotated NMS, RotatedBoxes out.
find_top_rrpn_proposals = partial(find_top_rpn_proposals, box_type=RotatedBoxes)


@PROPOSAL_GENERATOR_REGISTRY.register()
class RRPN(RPN):
    """Rotated RPN: `RPN` over rotated anchors (use ``MODEL.ANCHOR_GENERATOR.NAME = "RotatedAnchorGenerator"`` and
    five ``MODEL.RPN.BBOX_REG_WEIGHTS``). Proposals are `RotatedBoxes`.

    Args: as `RPN`; ``box2box_transform`` is a `Box2BoxTransformRotated`. ``anchor_boundary_thresh`` must be < 0
    and ``box_reg_loss_type`` "smooth_l1" (the IoU losses are defined for axis-aligned boxes only).
    """

    box_type = RotatedBoxes

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

    def _match_quality(self, gt_boxes: RotatedBoxes, anchors: RotatedBoxes) -> torch.Tensor:
        """Tensor[M, R]: rotated IoU of every ground-truth box with every anchor."""
        if not isinstance(gt_boxes, RotatedBoxes):
            raise TypeError(
                f"RRPN needs gt_boxes as RotatedBoxes, got {type(gt_boxes).__name__}; map the dataset with "
                "detection_utils.annotations_to_instances_rotated (XYWHA_ABS boxes)."
            )
        return pairwise_iou_rotated(gt_boxes, anchors)
