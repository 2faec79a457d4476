"""Data transforms (deterministic ``Transform`` objects) and augmentations (policies that produce them).

Same names as ``detectron2.data.transforms``; no fvcore dependency.
"""
from .augmentation import *
from .augmentation_impl import *
from .base import *
from .torch_transforms import *
from .transform import *

from . import augmentation, augmentation_impl, base, torch_transforms, transform

# every submodule here is re-exported whole: the package's API is their `__all__` lists
__all__ = [
    name
    for module in (augmentation, augmentation_impl, base, torch_transforms, transform)
    for name in module.__all__
]
