"""Registries of the mask and keypoint heads that plug into `StandardROIHeads` / `Res5ROIHeads`.

They live here, in the file the detection ROI heads import, so the heads can be registered from separate files
(``mask_head.py``, ``keypoint_head.py``) that re-export these names, as in Detectron2.
"""
from typing import Dict, Union

from torch import nn

from detectra.layers import ShapeSpec
from detectra.utils.registry import Registry

__all__ = ["ROI_MASK_HEAD_REGISTRY", "ROI_KEYPOINT_HEAD_REGISTRY", "build_mask_head", "build_keypoint_head"]

ROI_MASK_HEAD_REGISTRY = Registry("ROI_MASK_HEAD")
ROI_MASK_HEAD_REGISTRY.__doc__ = """Mask heads: ``cls(cfg, input_shape: ShapeSpec)``, called as
``head(features, instances)``: in training returns ``{"loss_mask": ...}``, in inference sets ``pred_masks``."""

ROI_KEYPOINT_HEAD_REGISTRY = Registry("ROI_KEYPOINT_HEAD")
ROI_KEYPOINT_HEAD_REGISTRY.__doc__ = """Keypoint heads: ``cls(cfg, input_shape: ShapeSpec)``, called as
``head(features, instances)``: in training returns ``{"loss_keypoint": ...}``, in inference sets ``pred_keypoints``."""


def build_mask_head(cfg, input_shape: Union[ShapeSpec, Dict[str, ShapeSpec]]) -> nn.Module:
    """Build ``cfg.MODEL.ROI_MASK_HEAD.NAME``."""
    return ROI_MASK_HEAD_REGISTRY.get(cfg.MODEL.ROI_MASK_HEAD.NAME)(cfg, input_shape)


def build_keypoint_head(cfg, input_shape: Union[ShapeSpec, Dict[str, ShapeSpec]]) -> nn.Module:
    """Build ``cfg.MODEL.ROI_KEYPOINT_HEAD.NAME``."""
    return ROI_KEYPOINT_HEAD_REGISTRY.get(cfg.MODEL.ROI_KEYPOINT_HEAD.NAME)(cfg, input_shape)
