"""Detection models with Detectron2's module paths and parameter names (checkpoint-compatible)."""
from detectra.layers import ShapeSpec  # re-exported, as detectron2.modeling does

from .anchor_generator import ANCHOR_GENERATOR_REGISTRY, DefaultAnchorGenerator, RotatedAnchorGenerator, build_anchor_generator
from .backbone import (
    BACKBONE_REGISTRY,
    FPN,
    LastLevelMaxPool,
    LastLevelP6P7,
    Backbone,
    BasicBlock,
    BasicStem,
    BottleneckBlock,
    DeformBottleneckBlock,
    ResNet,
    ResNetBlockBase,
    build_backbone,
    build_resnet_backbone,
    build_resnet_fpn_backbone,
    build_retinanet_resnet_fpn_backbone,
    make_stage,
)
from .backbone import RegNet
from .backbone import MViT, SimpleFeaturePyramid, SwinTransformer, ViT, get_vit_lr_decay_rate
from .meta_arch import FCOS
from .box_regression import Box2BoxTransform, Box2BoxTransformLinear, Box2BoxTransformRotated
from .matcher import Matcher
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
from .postprocessing import detector_postprocess, sem_seg_postprocess
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
from .sampling import subsample_labels
from .mmdet_wrapper import MMDetBackbone, MMDetDetector
from .test_time_augmentation import DatasetMapperTTA, GeneralizedRCNNWithTTA

import types as _types

__all__ = [k for k, v in globals().items() if not k.startswith("_") and not isinstance(v, _types.ModuleType)]
