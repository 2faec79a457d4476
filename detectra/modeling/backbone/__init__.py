"""Backbones: `Backbone` contract, ResNet / ResNeXt, RegNet, FPN, ViT (+ SimpleFeaturePyramid), Swin, MViTv2,
and `BACKBONE_REGISTRY`."""
from .backbone import Backbone
from .build import BACKBONE_REGISTRY, build_backbone
from .fpn import FPN, LastLevelMaxPool, LastLevelP6P7, build_resnet_fpn_backbone, build_retinanet_resnet_fpn_backbone
from .resnet import (
    BasicBlock,
    BasicStem,
    BottleneckBlock,
    DeformBottleneckBlock,
    ResNet,
    ResNetBlockBase,
    build_resnet_backbone,
    make_stage,
)
from .regnet import RegNet
from .mvit import MViT
from .swin import SwinTransformer
from .vit import SimpleFeaturePyramid, ViT, get_vit_lr_decay_rate

__all__ = [
    "Backbone",
    "BACKBONE_REGISTRY",
    "build_backbone",
    "FPN",
    "LastLevelMaxPool",
    "LastLevelP6P7",
    "build_resnet_fpn_backbone",
    "build_retinanet_resnet_fpn_backbone",
    "BasicBlock",
    "BasicStem",
    "BottleneckBlock",
    "DeformBottleneckBlock",
    "ResNet",
    "ResNetBlockBase",
    "build_resnet_backbone",
    "make_stage",
    "RegNet",
    "MViT",
    "SwinTransformer",
    "SimpleFeaturePyramid",
    "ViT",
    "get_vit_lr_decay_rate",
]
