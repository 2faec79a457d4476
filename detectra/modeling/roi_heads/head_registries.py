"""What the mask and keypoint heads that plug into `StandardROIHeads` / `Res5ROIHeads` share: their registries and
the forward of their base classes.

The registries live here, in the file the detection ROI heads import, so the heads can be registered from separate
files (``mask_head.py``, ``keypoint_head.py``) that re-export these names, as in Detectron2.
"""
from typing import Dict, List, Union

import torch
from torch import nn

from detectra.layers import ShapeSpec
from detectra.structures import Instances
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


class _PerROIHead(nn.Module):
    """Base of `BaseMaskRCNNHead` and `BaseKeypointRCNNHead`: :meth:`layers` maps pooled ROI features to logits,
    which become losses in training (:meth:`_losses`) and predictions stored on the instances in inference
    (:meth:`_predict`)."""

    def forward(self, x, instances: List[Instances]):
        """Args:
            x: pooled ROI features, Tensor[N, C_in, S, S] (or a feature dict when the branch has no pooler).
            instances: training: per image, the foreground proposals with ground truth; inference: per image,
                the detections (``pred_boxes``, ``pred_classes``).

        Returns:
            training: the loss dict; inference: ``instances`` with the predictions set.
        """
        x = self.layers(x)
        if self.training:
            return self._losses(x, instances)
        self._predict(x, instances)
        return instances

    def layers(self, x):
        """Features to logits Tensor[N, C, S', S']."""
        raise NotImplementedError

    def _losses(self, logits: torch.Tensor, instances: List[Instances]) -> Dict[str, torch.Tensor]:
        raise NotImplementedError

    def _predict(self, logits: torch.Tensor, instances: List[Instances]) -> None:
        raise NotImplementedError
