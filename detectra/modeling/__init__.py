"""Detection models with Detectron2's module paths and parameter names (checkpoint-compatible)."""
from detectra.layers import ShapeSpec  # re-exported, as detectron2.modeling does

from .anchor_generator import ANCHOR_GENERATOR_REGISTRY, DefaultAnchorGenerator, RotatedAnchorGenerator, build_anchor_generator
from .backbone import *
from .meta_arch import FCOS
from .box_regression import Box2BoxTransform, Box2BoxTransformLinear, Box2BoxTransformRotated
from .matcher import *
from .meta_arch import (
    META_ARCH_REGISTRY,
    DenseDetector,
    GeneralizedRCNN,
    ProposalNetwork,
    RetinaNet,
    RetinaNetHead,
    build_model,
)
from .meta_arch import SEM_SEG_HEADS_REGISTRY, PanopticFPN, SemanticSegmentor, SemSegFPNHead, build_sem_seg_head
from .poolers import ROIPooler
from .postprocessing import *
from .proposal_generator import (
    PROPOSAL_GENERATOR_REGISTRY,
    RPN_HEAD_REGISTRY,
    RPN,
    StandardRPNHead,
    build_proposal_generator,
    build_rpn_head,
)
from .roi_heads import (
    ROI_BOX_HEAD_REGISTRY,
    ROI_HEADS_REGISTRY,
    ROI_KEYPOINT_HEAD_REGISTRY,
    ROI_MASK_HEAD_REGISTRY,
    FastRCNNConvFCHead,
    FastRCNNOutputLayers,
    Res5ROIHeads,
    ROIHeads,
    StandardROIHeads,
    build_box_head,
    build_keypoint_head,
    build_mask_head,
    build_roi_heads,
)
from .roi_heads import (
    BaseKeypointRCNNHead,
    BaseMaskRCNNHead,
    CascadeROIHeads,
    KRCNNConvDeconvUpsampleHead,
    MaskRCNNConvUpsampleHead,
)
from .sampling import *
from .mmdet_wrapper import *
from .test_time_augmentation import *

from . import backbone, matcher, mmdet_wrapper, postprocessing, sampling, test_time_augmentation

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = [
    "ShapeSpec",
    "ANCHOR_GENERATOR_REGISTRY",
    "DefaultAnchorGenerator",
    "RotatedAnchorGenerator",
    "build_anchor_generator",
    "FCOS",
    "Box2BoxTransform",
    "Box2BoxTransformLinear",
    "Box2BoxTransformRotated",
    "META_ARCH_REGISTRY",
    "DenseDetector",
    "GeneralizedRCNN",
    "ProposalNetwork",
    "RetinaNet",
    "RetinaNetHead",
    "build_model",
    "SEM_SEG_HEADS_REGISTRY",
    "PanopticFPN",
    "SemanticSegmentor",
    "SemSegFPNHead",
    "build_sem_seg_head",
    "ROIPooler",
    "PROPOSAL_GENERATOR_REGISTRY",
    "RPN_HEAD_REGISTRY",
    "RPN",
    "StandardRPNHead",
    "build_proposal_generator",
    "build_rpn_head",
    "ROI_BOX_HEAD_REGISTRY",
    "ROI_HEADS_REGISTRY",
    "ROI_KEYPOINT_HEAD_REGISTRY",
    "ROI_MASK_HEAD_REGISTRY",
    "FastRCNNConvFCHead",
    "FastRCNNOutputLayers",
    "Res5ROIHeads",
    "ROIHeads",
    "StandardROIHeads",
    "build_box_head",
    "build_keypoint_head",
    "build_mask_head",
    "build_roi_heads",
    "BaseKeypointRCNNHead",
    "BaseMaskRCNNHead",
    "CascadeROIHeads",
    "KRCNNConvDeconvUpsampleHead",
    "MaskRCNNConvUpsampleHead",
]
__all__ += [
    name
    for module in (backbone, matcher, postprocessing, sampling, mmdet_wrapper, test_time_augmentation)
    for name in module.__all__
]
