"""``detectron2.projects.deeplab`` for the code that imports it: DeepLab's config keys and its poly LR schedule.

The DeepLab models (``DeepLabV3PlusHead``, ``DeepLabV3Head``, ``build_resnet_deeplab_backbone``) are not implemented
in detectra; importing one raises an ImportError that says so.
"""
from typing import Any

from detectra.projects.deeplab import build_solver, config, lr_scheduler
from detectra.projects.deeplab.build_solver import *
from detectra.projects.deeplab.config import *
from detectra.projects.deeplab.lr_scheduler import *

# every submodule here is re-exported whole: the package's API is their `__all__` lists
__all__ = [name for module in (build_solver, config, lr_scheduler) for name in module.__all__]

_MODEL_NAMES = {"DeepLabV3PlusHead", "DeepLabV3Head", "build_resnet_deeplab_backbone"}


def __getattr__(name: str) -> Any:
    if name in _MODEL_NAMES:
        raise ImportError(
            f"{name} belongs to the DeepLab model (Detectron2's projects/DeepLab), which detectra does not implement; "
            f"only {', '.join(__all__)} are here.",
            name=name,
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
