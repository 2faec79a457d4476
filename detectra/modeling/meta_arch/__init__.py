"""Meta-architectures: whole models built from config (`META_ARCH_REGISTRY`, `build_model`)."""
from .build import *
from .dense_detector import DenseDetector
from .fcos import FCOS
from .rcnn import *
from .retinanet import *
from .semantic_seg import *
from .panoptic_fpn import *

from . import build, panoptic_fpn, rcnn, retinanet, semantic_seg

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = ["DenseDetector", "FCOS"]
__all__ += [name for module in (build, panoptic_fpn, rcnn, retinanet, semantic_seg) for name in module.__all__]
