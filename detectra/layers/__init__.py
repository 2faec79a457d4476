"""Layers: thin wrappers over torchvision.ops, norms, `Conv2d` (+norm), `ShapeSpec`, losses, mask pasting."""
from .aspp import ASPP
from .batch_norm import CycleBatchNormList, FrozenBatchNorm2d, LayerNorm, NaiveSyncBatchNorm, get_norm
from .blocks import CNNBlockBase, DepthwiseSeparableConv2d, conv3x3_norm_act
from .deform_conv import DeformConv, ModulatedDeformConv
from .losses import (
    ciou_loss,
    diou_loss,
    giou_loss,
    sigmoid_focal_loss,
    sigmoid_focal_loss_jit,
    sigmoid_focal_loss_star,
    sigmoid_focal_loss_star_jit,
    smooth_l1_loss,
)
from .mask_ops import paste_masks_in_image
from .nms import batched_nms, batched_nms_rotated, batched_nms_topk, nms, nms_rotated
from .roi_align import ROIAlign, roi_align
from .roi_align_rotated import ROIAlignRotated, roi_align_rotated
from .roi_pool import ROIPool
from .rotated_boxes import pairwise_iou_rotated
from .shape_spec import ShapeSpec
from .wrappers import (
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    Linear,
    cat,
    cross_entropy,
    empty_input_loss_func_wrapper,
    interpolate,
    move_device_like,
    nonzero_tuple,
    shapes_to_tensor,
    is_exporting,
    known_true,
    split_per_image,
)

__all__ = [
    "ASPP",
    "CycleBatchNormList",
    "FrozenBatchNorm2d",
    "LayerNorm",
    "NaiveSyncBatchNorm",
    "get_norm",
    "CNNBlockBase",
    "DepthwiseSeparableConv2d",
    "conv3x3_norm_act",
    "DeformConv",
    "ModulatedDeformConv",
    "ciou_loss",
    "diou_loss",
    "giou_loss",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_jit",
    "sigmoid_focal_loss_star",
    "sigmoid_focal_loss_star_jit",
    "smooth_l1_loss",
    "paste_masks_in_image",
    "batched_nms",
    "batched_nms_rotated",
    "batched_nms_topk",
    "nms",
    "nms_rotated",
    "ROIAlign",
    "roi_align",
    "ROIAlignRotated",
    "roi_align_rotated",
    "ROIPool",
    "pairwise_iou_rotated",
    "ShapeSpec",
    "BatchNorm2d",
    "Conv2d",
    "ConvTranspose2d",
    "Linear",
    "cat",
    "cross_entropy",
    "empty_input_loss_func_wrapper",
    "interpolate",
    "move_device_like",
    "nonzero_tuple",
    "shapes_to_tensor",
    "is_exporting",
    "known_true",
    "split_per_image",
]
