"""Semantic segmentation: `SemanticSegmentor` (backbone + dense head) and the Panoptic FPN head `SemSegFPNHead`."""
from typing import Callable, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from detectra.config import configurable
from detectra.layers import Conv2d, ShapeSpec, conv3x3_norm_act
from detectra.utils.registry import Registry

from ..backbone import Backbone
from ..postprocessing import sem_seg_postprocess
from ..weight_init import c2_msra_fill
from .build import META_ARCH_REGISTRY
from .preprocess import ImageModel, batch_sem_seg_targets, requested_sizes

__all__ = ["SemanticSegmentor", "SEM_SEG_HEADS_REGISTRY", "SemSegFPNHead", "build_sem_seg_head"]

SEM_SEG_HEADS_REGISTRY = Registry("SEM_SEG_HEADS")
SEM_SEG_HEADS_REGISTRY.__doc__ = """Semantic segmentation heads: ``cls(cfg, input_shape: Dict[str, ShapeSpec])``,
called as ``head(features, targets)`` and returning (logits or None, losses)."""


def build_sem_seg_head(cfg, input_shape: Dict[str, ShapeSpec]) -> nn.Module:
    """Build ``cfg.MODEL.SEM_SEG_HEAD.NAME``."""
    return SEM_SEG_HEADS_REGISTRY.get(cfg.MODEL.SEM_SEG_HEAD.NAME)(cfg, input_shape)


@META_ARCH_REGISTRY.register()
class SemanticSegmentor(ImageModel):
    """A backbone and a semantic segmentation head.

    Args:
        backbone: a `Backbone`.
        sem_seg_head: maps backbone features to per-pixel class logits (e.g. `SemSegFPNHead`).
        pixel_mean, pixel_std: per-channel input normalisation.
    """

    @configurable
    def __init__(
        self,
        *,
        backbone: Backbone,
        sem_seg_head: nn.Module,
        pixel_mean: Tuple[float, ...],
        pixel_std: Tuple[float, ...],
    ):
        super().__init__(pixel_mean, pixel_std)
        self.backbone = backbone
        self.sem_seg_head = sem_seg_head

    @classmethod
    def from_config(cls, cfg):
        ret = super().from_config(cfg)
        ret["sem_seg_head"] = build_sem_seg_head(cfg, ret["backbone"].output_shape())
        return ret

    def forward(self, batched_inputs: List[Dict[str, torch.Tensor]]):
        """Args:
            batched_inputs: per image, a dict with "image" (Tensor[C, H, W]), in training "sem_seg" (Tensor[H, W]
                int64 labels, ``ignore_value`` where unlabeled), and optional "height" / "width" (output size).

        Returns:
            training: ``{"loss_sem_seg": Tensor}``; inference: per image ``{"sem_seg": Tensor[C, height, width]}``
            class logits.
        """
        images = self.preprocess_image(batched_inputs)
        features = self.backbone(images.tensor)
        targets = None
        if "sem_seg" in batched_inputs[0]:
            ignore_value = self.sem_seg_head.ignore_value
            targets = batch_sem_seg_targets(batched_inputs, self.device, self.backbone, ignore_value)
        if self.training and targets is None:
            raise ValueError("SemanticSegmentor needs 'sem_seg' ground truth in every training input.")
        results, losses = self.sem_seg_head(features, targets)
        if self.training:
            return losses

        sizes = requested_sizes(batched_inputs, images.image_sizes)
        return [
            {"sem_seg": sem_seg_postprocess(result, image_size, h, w)}
            for result, image_size, (h, w) in zip(results, images.image_sizes, sizes)
        ]


@SEM_SEG_HEADS_REGISTRY.register()
class SemSegFPNHead(nn.Module):
    """Panoptic FPN's semantic head: each level is brought to ``common_stride`` by (conv 3x3 + norm + ReLU,
    2x bilinear upsampling) blocks, the levels are summed, and a 1x1 conv predicts the classes.

    Submodules are named after the input features (``p2``, ``p3``, ...) as in Detectron2, so checkpoints load.

    Args:
        input_shape: the features to use, by name.
        num_classes: C.
        conv_dims: channels of the convs.
        common_stride: stride of the summed features (and of the logits before the final upsampling).
        loss_weight: multiplier of ``loss_sem_seg``.
        norm: norm of the convs ("" or None for none).
        ignore_value: label ignored by the loss.
    """

    @configurable
    def __init__(
        self,
        input_shape: Dict[str, ShapeSpec],
        *,
        num_classes: int,
        conv_dims: int,
        common_stride: int,
        loss_weight: float = 1.0,
        norm: Optional[Union[str, Callable]] = None,
        ignore_value: int = -1,
    ):
        super().__init__()
        if not len(input_shape):
            raise ValueError("SemSegFPNHead got no input features; check MODEL.SEM_SEG_HEAD.IN_FEATURES.")
        shapes = sorted(input_shape.items(), key=lambda x: x[1].stride)
        self.in_features = [k for k, _ in shapes]
        self.ignore_value = ignore_value
        self.common_stride = common_stride
        self.loss_weight = loss_weight

        self.scale_heads = []
        for in_feature, spec in shapes:
            if spec.stride < common_stride:
                raise ValueError(
                    f"SemSegFPNHead: feature {in_feature!r} has stride {spec.stride} < COMMON_STRIDE {common_stride}."
                )
            head_ops = []
            head_length = max(1, int(np.log2(spec.stride) - np.log2(common_stride)))
            for k in range(head_length):
                conv = conv3x3_norm_act(spec.channels if k == 0 else conv_dims, conv_dims, norm, F.relu)
                c2_msra_fill(conv)
                head_ops.append(conv)
                if spec.stride != common_stride:
                    head_ops.append(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False))
            self.scale_heads.append(nn.Sequential(*head_ops))
            # registered under the feature's name (the checkpoint layout); the list keeps the order
            self.add_module(in_feature, self.scale_heads[-1])
        self.predictor = Conv2d(conv_dims, num_classes, kernel_size=1, stride=1, padding=0)
        c2_msra_fill(self.predictor)

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]):
        h = cfg.MODEL.SEM_SEG_HEAD
        missing = [f for f in h.IN_FEATURES if f not in input_shape]
        if missing:
            raise ValueError(
                f"MODEL.SEM_SEG_HEAD.IN_FEATURES {list(h.IN_FEATURES)}: {missing} not among the backbone's outputs "
                f"{sorted(input_shape)}."
            )
        return {
            "input_shape": {k: v for k, v in input_shape.items() if k in h.IN_FEATURES},
            "ignore_value": h.IGNORE_VALUE,
            "num_classes": h.NUM_CLASSES,
            "conv_dims": h.CONVS_DIM,
            "common_stride": h.COMMON_STRIDE,
            "norm": h.NORM,
            "loss_weight": h.LOSS_WEIGHT,
        }

    def forward(self, features: Dict[str, torch.Tensor], targets: Optional[torch.Tensor] = None):
        """Args:
            features: ``{name: Tensor[N, C_i, H_i, W_i]}``.
            targets: Tensor[N, H, W] int64 labels of the padded batch (training).

        Returns:
            training: (None, ``{"loss_sem_seg"}``); inference: (Tensor[N, C, H, W] logits at input resolution, {}).
        """
        x = self.layers(features)
        if self.training:
            return None, self.losses(x, targets)
        x = F.interpolate(x, scale_factor=self.common_stride, mode="bilinear", align_corners=False)
        return x, {}

    def layers(self, features: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits Tensor[N, C, H / common_stride, W / common_stride]."""
        x = None
        for head, f in zip(self.scale_heads, self.in_features):
            y = head(features[f])
            x = y if x is None else x + y
        return self.predictor(x)

    def losses(self, predictions: torch.Tensor, targets: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Per-pixel cross-entropy at input resolution, ignoring ``ignore_value``."""
        if targets is None:
            raise ValueError("SemSegFPNHead needs targets in training.")
        predictions = predictions.float()  # the loss in full precision under autocast
        predictions = F.interpolate(predictions, scale_factor=self.common_stride, mode="bilinear", align_corners=False)
        loss = F.cross_entropy(predictions, targets, reduction="mean", ignore_index=self.ignore_value)
        return {"loss_sem_seg": loss * self.loss_weight}
