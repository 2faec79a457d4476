"""Meta-architectures: whole models built from config (`META_ARCH_REGISTRY`, `build_model`)."""
from .build import META_ARCH_REGISTRY, build_model
from .dense_detector import DenseDetector
from .fcos import FCOS
from .rcnn import GeneralizedRCNN, ProposalNetwork
from .retinanet import RetinaNet, RetinaNetHead
from .semantic_seg import SEM_SEG_HEADS_REGISTRY, SemanticSegmentor, SemSegFPNHead, build_sem_seg_head
from .panoptic_fpn import PanopticFPN, combine_semantic_and_instance_outputs

__all__ = [
    "META_ARCH_REGISTRY",
    "build_model",
    "DenseDetector",
    "FCOS",
    "GeneralizedRCNN",
    "ProposalNetwork",
    "RetinaNet",
    "RetinaNetHead",
    "SEM_SEG_HEADS_REGISTRY",
    "SemanticSegmentor",
    "SemSegFPNHead",
    "build_sem_seg_head",
    "PanopticFPN",
    "combine_semantic_and_instance_outputs",
]
