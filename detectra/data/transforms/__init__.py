"""Data transforms (deterministic ``Transform`` objects) and augmentations (policies that produce them).

Same names as ``detectron2.data.transforms``; no fvcore dependency.
"""
from .augmentation import (
    Augmentation,
    AugmentationList,
    AugInput,
    StandardAugInput,
    TransformGen,
    apply_augmentations,
    apply_transform_gens,
)
from .augmentation_impl import (
    FixedSizeCrop,
    MinIoURandomCrop,
    RandomApply,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomCrop_CategoryAreaConstraint,
    RandomExtent,
    RandomFlip,
    RandomLighting,
    RandomResize,
    RandomRotation,
    RandomSaturation,
    Resize,
    ResizeScale,
    ResizeShortestEdge,
)
from .base import NoOpTransform, Transform, TransformList
from .torch_transforms import GridSampleTransform, ScaleTransform
from .transform import (
    BlendTransform,
    ColorTransform,
    CropTransform,
    ExtentTransform,
    HFlipTransform,
    PadTransform,
    PILColorTransform,
    ResizeTransform,
    RotationTransform,
    VFlipTransform,
)

__all__ = [k for k in globals().keys() if not k.startswith("_")]
