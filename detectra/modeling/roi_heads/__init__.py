"""ROI heads: box heads, `FastRCNNOutputLayers`, `StandardROIHeads`, `Res5ROIHeads` and their registries."""
from .box_head import ROI_BOX_HEAD_REGISTRY, FastRCNNConvFCHead, build_box_head
from .fast_rcnn import FastRCNNOutputLayers, fast_rcnn_inference, fast_rcnn_inference_single_image
from .head_registries import ROI_KEYPOINT_HEAD_REGISTRY, ROI_MASK_HEAD_REGISTRY, build_keypoint_head, build_mask_head
from .roi_heads import (
    ROI_HEADS_REGISTRY,
    Res5ROIHeads,
    ROIHeads,
    StandardROIHeads,
    build_roi_heads,
    select_foreground_proposals,
    select_proposals_with_visible_keypoints,
)
from .mask_head import BaseMaskRCNNHead, MaskRCNNConvUpsampleHead, mask_rcnn_inference, mask_rcnn_loss
from .keypoint_head import (
    BaseKeypointRCNNHead,
    KRCNNConvDeconvUpsampleHead,
    keypoint_rcnn_inference,
    keypoint_rcnn_loss,
)
from .cascade_rcnn import CascadeROIHeads
from .rotated_fast_rcnn import (
    RotatedFastRCNNOutputLayers,
    RROIHeads,
    fast_rcnn_inference_rotated,
    fast_rcnn_inference_single_image_rotated,
)

__all__ = [
    "ROI_BOX_HEAD_REGISTRY",
    "FastRCNNConvFCHead",
    "build_box_head",
    "FastRCNNOutputLayers",
    "fast_rcnn_inference",
    "fast_rcnn_inference_single_image",
    "ROI_KEYPOINT_HEAD_REGISTRY",
    "ROI_MASK_HEAD_REGISTRY",
    "build_keypoint_head",
    "build_mask_head",
    "ROI_HEADS_REGISTRY",
    "Res5ROIHeads",
    "ROIHeads",
    "StandardROIHeads",
    "build_roi_heads",
    "select_foreground_proposals",
    "select_proposals_with_visible_keypoints",
    "BaseMaskRCNNHead",
    "MaskRCNNConvUpsampleHead",
    "mask_rcnn_inference",
    "mask_rcnn_loss",
    "BaseKeypointRCNNHead",
    "KRCNNConvDeconvUpsampleHead",
    "keypoint_rcnn_inference",
    "keypoint_rcnn_loss",
    "CascadeROIHeads",
    "RotatedFastRCNNOutputLayers",
    "RROIHeads",
    "fast_rcnn_inference_rotated",
    "fast_rcnn_inference_single_image_rotated",
]
