"""Meta-architectures: whole models built from config (`META_ARCH_REGISTRY`, `build_model`)."""
from .build import META_ARCH_REGISTRY, build_model
from .dense_detector import DenseDetector
from .rcnn import GeneralizedRCNN, ProposalNetwork
from .retinanet import RetinaNet, RetinaNetHead

__all__ = [k for k in globals().keys() if not k.startswith("_")]
