"""Backbones: `Backbone` contract, ResNet / ResNeXt, RegNet, FPN, ViT (+ SimpleFeaturePyramid), Swin, MViTv2,
and `BACKBONE_REGISTRY`."""
from .backbone import *
from .build import *
from .fpn import *
from .resnet import *
from .regnet import RegNet
from .mvit import *
from .swin import SwinTransformer
from .vit import *

from . import backbone, build, fpn, mvit, resnet, vit

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = ["RegNet", "SwinTransformer"]
__all__ += [name for module in (backbone, build, fpn, resnet, mvit, vit) for name in module.__all__]
