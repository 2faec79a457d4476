"""Mask R-CNN's mask branch: per-ROI mask logits, their loss against cropped ground truth, and inference.

Shapes used below: N ROIs in the batch (all images), C mask classes (K, or 1 when class-agnostic), M the mask side.
"""
from typing import Dict, List

import torch
from torch import nn
from torch.nn import functional as F

from detectra.config import configurable
from detectra.layers import Conv2d, ConvTranspose2d, ShapeSpec, cat, conv3x3_norm_act, known_true, split_per_image
from detectra.structures import Instances
from detectra.utils.events import get_event_storage

from ..weight_init import c2_msra_fill
from .head_registries import ROI_MASK_HEAD_REGISTRY, _PerROIHead, build_mask_head

__all__ = [
    "BaseMaskRCNNHead",
    "MaskRCNNConvUpsampleHead",
    "build_mask_head",
    "ROI_MASK_HEAD_REGISTRY",
    "mask_rcnn_loss",
    "mask_rcnn_inference",
]


def mask_rcnn_loss(pred_mask_logits: torch.Tensor, instances: List[Instances], vis_period: int = 0) -> torch.Tensor:
    """Per-pixel binary cross-entropy between predicted masks and ground-truth masks cropped to the ROIs.

    The target of each ROI is its matched ``gt_masks`` (`PolygonMasks` or `BitMasks`) cropped to the proposal box
    and resized to M x M by ``crop_and_resize``. Only the logits of the ground-truth class are supervised. Mask
    accuracy, false-positive and false-negative rates go to the event storage under ``mask_rcnn/``.

    Args:
        pred_mask_logits: Tensor[N, C, M, M].
        instances: per image, the foreground proposals (``proposal_boxes``, ``gt_classes``, ``gt_masks``), N in all,
            in the order of ``pred_mask_logits``.
        vis_period: every this many iterations put predicted-vs-target masks into the event storage (0: never).

    Returns:
        the scalar loss (zero, with a gradient, when there are no ROIs).
    """
    cls_agnostic_mask = pred_mask_logits.size(1) == 1
    total_num_masks = pred_mask_logits.size(0)
    mask_side_len = pred_mask_logits.size(2)
    if pred_mask_logits.size(2) != pred_mask_logits.size(3):
        raise ValueError(f"mask_rcnn_loss needs square masks, got logits of shape {tuple(pred_mask_logits.shape)}.")

    gt_classes, gt_masks = [], []
    for instances_per_image in instances:
        if len(instances_per_image) == 0:
            continue
        if not cls_agnostic_mask:
            gt_classes.append(instances_per_image.gt_classes.to(dtype=torch.int64))
        gt_masks_per_image = instances_per_image.gt_masks.crop_and_resize(
            instances_per_image.proposal_boxes.tensor, mask_side_len
        ).to(device=pred_mask_logits.device)  # (Ri, M, M) bool
        gt_masks.append(gt_masks_per_image)

    if len(gt_masks) == 0:
        return pred_mask_logits.sum() * 0

    gt_masks = cat(gt_masks, dim=0)
    if cls_agnostic_mask:
        pred_mask_logits = pred_mask_logits[:, 0]
    else:
        indices = torch.arange(total_num_masks, device=pred_mask_logits.device)
        pred_mask_logits = pred_mask_logits[indices, cat(gt_classes, dim=0)]  # (N, M, M)

    if gt_masks.dtype == torch.bool:
        gt_masks_bool = gt_masks
    else:  # targets computed in half precision upstream
        gt_masks_bool = gt_masks > 0.5
    gt_masks = gt_masks.to(dtype=torch.float32)

    # training statistics, logged only (never back-propagated)
    mask_incorrect = (pred_mask_logits > 0.0) != gt_masks_bool
    mask_accuracy = 1 - (mask_incorrect.sum().item() / max(mask_incorrect.numel(), 1.0))
    num_positive = gt_masks_bool.sum().item()
    false_positive = (mask_incorrect & ~gt_masks_bool).sum().item() / max(gt_masks_bool.numel() - num_positive, 1.0)
    false_negative = (mask_incorrect & gt_masks_bool).sum().item() / max(num_positive, 1.0)

    storage = get_event_storage()
    storage.put_scalar("mask_rcnn/accuracy", mask_accuracy)
    storage.put_scalar("mask_rcnn/false_positive", false_positive)
    storage.put_scalar("mask_rcnn/false_negative", false_negative)
    if vis_period > 0 and storage.iter % vis_period == 0:
        pred_masks = pred_mask_logits.sigmoid()
        vis_masks = torch.cat([pred_masks, gt_masks], dim=2)  # (N, M, 2M): prediction left, target right
        name = "Left: mask prediction;   Right: mask GT"
        for idx, vis_mask in enumerate(vis_masks):
            vis_mask = torch.stack([vis_mask] * 3, dim=0)
            storage.put_image(name + f" ({idx})", vis_mask)

    return F.binary_cross_entropy_with_logits(pred_mask_logits.float(), gt_masks, reduction="mean")


def mask_rcnn_inference(pred_mask_logits: torch.Tensor, pred_instances: List[Instances]) -> None:
    """Turn mask logits into per-ROI foreground probabilities of the predicted class, stored in place as
    ``pred_masks`` (Tensor[Ri, 1, M, M]) on each image's Instances.

    Args:
        pred_mask_logits: Tensor[N, C, M, M], N = total detections over ``pred_instances``.
        pred_instances: per image, detections with ``pred_classes``.
    """
    cls_agnostic_mask = pred_mask_logits.size(1) == 1
    if cls_agnostic_mask:
        mask_probs_pred = pred_mask_logits.sigmoid()
    else:
        num_masks = pred_mask_logits.shape[0]
        class_pred = cat([i.pred_classes for i in pred_instances])
        # (known_true: while exporting the count is data-dependent)
        device = class_pred.device if known_true(num_masks != 0) else pred_mask_logits.device
        indices = torch.arange(num_masks, device=device)
        mask_probs_pred = pred_mask_logits[indices, class_pred][:, None].sigmoid()  # (N, 1, M, M)
    for prob, instances in zip(split_per_image(mask_probs_pred, pred_instances), pred_instances):
        instances.pred_masks = prob



class BaseMaskRCNNHead(_PerROIHead):
    """Base of the mask heads: subclasses define :meth:`layers` (features to mask logits Tensor[N, C, M, M]);
    ``forward(x, instances)`` returns ``{"loss_mask": ...}`` in training and sets ``pred_masks`` in inference.

    Args:
        loss_weight: multiplier of ``loss_mask``.
        vis_period: see `mask_rcnn_loss`.
    """

    @configurable
    def __init__(self, *, loss_weight: float = 1.0, vis_period: int = 0):
        super().__init__()
        self.vis_period = vis_period
        self.loss_weight = loss_weight

    @classmethod
    def from_config(cls, cfg, input_shape):
        return {"vis_period": cfg.VIS_PERIOD}

    def _losses(self, logits: torch.Tensor, instances: List[Instances]) -> Dict[str, torch.Tensor]:
        return {"loss_mask": mask_rcnn_loss(logits, instances, self.vis_period) * self.loss_weight}

    def _predict(self, logits: torch.Tensor, instances: List[Instances]) -> None:
        mask_rcnn_inference(logits, instances)


@ROI_MASK_HEAD_REGISTRY.register()
class MaskRCNNConvUpsampleHead(BaseMaskRCNNHead, nn.Sequential):
    """Mask R-CNN's head: ``NUM_CONV`` 3x3 convs (+norm, ReLU), a 2x transposed conv (+ReLU), a 1x1 predictor.

    Module names (``mask_fcn{i}``, ``deconv``, ``predictor``) are Detectron2's, so checkpoints load.

    Args:
        input_shape: shape of the pooled features.
        num_classes: C mask classes (1 for class-agnostic masks).
        conv_dims: output channels of each conv; the last entry is the transposed conv's.
        conv_norm: norm of the convs ("" for none).
    """

    @configurable
    def __init__(self, input_shape: ShapeSpec, *, num_classes: int, conv_dims: List[int], conv_norm: str = "", **kwargs):
        super().__init__(**kwargs)
        if len(conv_dims) < 1:
            raise ValueError("MaskRCNNConvUpsampleHead needs conv_dims with at least the transposed conv's width.")

        self.conv_norm_relus = []
        cur_channels = input_shape.channels
        for k, conv_dim in enumerate(conv_dims[:-1]):
            conv = conv3x3_norm_act(cur_channels, conv_dim, conv_norm, nn.ReLU())
            self.add_module(f"mask_fcn{k + 1}", conv)
            self.conv_norm_relus.append(conv)
            cur_channels = conv_dim

        self.deconv = ConvTranspose2d(cur_channels, conv_dims[-1], kernel_size=2, stride=2, padding=0)
        self.add_module("deconv_relu", nn.ReLU())
        cur_channels = conv_dims[-1]
        self.predictor = Conv2d(cur_channels, num_classes, kernel_size=1, stride=1, padding=0)

        for layer in self.conv_norm_relus + [self.deconv]:
            c2_msra_fill(layer)
        # small initial logits: every mask starts near p = 0.5
        nn.init.normal_(self.predictor.weight, std=0.001)
        if self.predictor.bias is not None:
            nn.init.constant_(self.predictor.bias, 0)

    @classmethod
    def from_config(cls, cfg, input_shape):
        ret = super().from_config(cfg, input_shape)
        h = cfg.MODEL.ROI_MASK_HEAD
        ret.update(
            conv_dims=[h.CONV_DIM] * (h.NUM_CONV + 1),  # +1 for the transposed conv
            conv_norm=h.NORM,
            input_shape=input_shape,
            num_classes=1 if h.CLS_AGNOSTIC_MASK else cfg.MODEL.ROI_HEADS.NUM_CLASSES,
        )
        return ret

    def layers(self, x: torch.Tensor) -> torch.Tensor:
        """Tensor[N, C_in, S, S] -> mask logits Tensor[N, C, 2S, 2S]."""
        for layer in self:
            x = layer(x)
        return x
