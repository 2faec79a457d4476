"""Augmentations: policies that look at the input and return a deterministic :class:`Transform`.

An ``Augmentation`` declares the inputs it needs by the parameter names of ``get_transform`` (``image``,
``boxes``, ``sem_seg``...), which are read as attributes of an :class:`AugInput`. All randomness goes through
numpy's global RNG (``np.random``), so seeding it before a sample makes that sample's augmentation reproducible.
"""
from __future__ import annotations

import inspect
from typing import Any, Optional, Union

import numpy as np

from .base import Transform, TransformList, _repr_from_init

__all__ = [
    "Augmentation",
    "AugmentationList",
    "AugInput",
    "TransformGen",
    "apply_augmentations",
    "StandardAugInput",
    "apply_transform_gens",
]


def _check_img_dtype(img: Any) -> None:
    if not isinstance(img, np.ndarray):
        raise TypeError(f"[Augmentation] needs a numpy array image, got {type(img).__name__}.")
    if np.issubdtype(img.dtype, np.integer) and img.dtype != np.uint8:
        raise TypeError(f"[Augmentation] integer images must be uint8, got {img.dtype}; convert with astype.")
    if img.ndim not in (2, 3):
        raise ValueError(f"[Augmentation] image must be HxW or HxWxC, got shape {img.shape}.")


def _get_aug_input_args(aug: "Augmentation", aug_input: Any) -> list[Any]:
    """The arguments of ``aug.get_transform``, read from ``aug_input`` by parameter name."""
    if aug.input_args is None:
        params = list(inspect.signature(aug.get_transform).parameters.items())
        if len(params) == 1:
            names: tuple[str, ...] = ("image",)  # a single argument is the image, whatever it is called
        else:
            names_list = []
            for name, prm in params:
                if prm.kind in (prm.VAR_POSITIONAL, prm.VAR_KEYWORD):
                    raise TypeError(
                        f"{type(aug).__name__}.get_transform takes *args/**kwargs, so its inputs cannot be found "
                        f"by name; set the class attribute `input_args` to the attribute names it needs."
                    )
                names_list.append(name)
            names = tuple(names_list)
        aug.input_args = names
    args = []
    for name in aug.input_args:
        if not hasattr(aug_input, name):
            raise AttributeError(
                f"{type(aug).__name__}.get_transform needs input attribute '{name}', but it is not an attribute "
                f"of {type(aug_input).__name__}; pass it when building the AugInput (e.g. AugInput(image, {name}=...))."
            )
        args.append(getattr(aug_input, name))
    return args


class Augmentation:
    """Base class: ``get_transform(...)`` returns the deterministic transform to apply to this input.

    Calling ``aug(aug_input)`` reads the arguments from ``aug_input`` (see module doc), applies the transform to it
    in place and returns the transform.
    """

    input_args: Optional[tuple[str, ...]] = None

    def _init(self, params: Optional[dict[str, Any]] = None) -> None:
        if params:
            for name, value in params.items():
                if name != "self" and not name.startswith("_"):
                    setattr(self, name, value)

    def get_transform(self, *args: Any) -> Transform:
        raise NotImplementedError

    def __call__(self, aug_input: "AugInput") -> Transform:
        args = _get_aug_input_args(self, aug_input)
        tfm = self.get_transform(*args)
        if not isinstance(tfm, Transform):
            raise TypeError(
                f"{type(self).__name__}.get_transform must return a Transform, got {type(tfm).__name__}."
            )
        aug_input.transform(tfm)
        return tfm

    def _rand_range(self, low: float = 1.0, high: Optional[float] = None, size: Any = None) -> Any:
        """Uniform float in [low, high) (or [0, low) when ``high`` is None)."""
        if high is None:
            low, high = 0, low
        if size is None:
            size = []
        return np.random.uniform(low, high, size)

    def __repr__(self) -> str:
        return _repr_from_init(self)

    __str__ = __repr__


TransformGen = Augmentation  # Detectron2's old name


class _TransformToAug(Augmentation):
    """Wrap a fixed transform as an augmentation."""

    def __init__(self, tfm: Transform) -> None:
        self.tfm = tfm

    def get_transform(self, *args: Any) -> Transform:
        return self.tfm

    def __call__(self, aug_input: "AugInput") -> Transform:
        aug_input.transform(self.tfm)
        return self.tfm

    def __repr__(self) -> str:
        return repr(self.tfm)


def _transform_to_aug(tfm_or_aug: Union[Transform, Augmentation]) -> Augmentation:
    if isinstance(tfm_or_aug, Augmentation):
        return tfm_or_aug
    if isinstance(tfm_or_aug, Transform):
        return _TransformToAug(tfm_or_aug)
    raise TypeError(f"Expected an Augmentation or a Transform, got {type(tfm_or_aug).__name__}: {tfm_or_aug!r}")


class AugmentationList(Augmentation):
    """Apply a sequence of augmentations (or fixed transforms) in order; returns the combined ``TransformList``."""

    def __init__(self, augs: list[Union[Augmentation, Transform]]) -> None:
        self.augs = [_transform_to_aug(a) for a in augs]

    def __call__(self, aug_input: "AugInput") -> TransformList:
        return TransformList([aug(aug_input) for aug in self.augs])

    def __repr__(self) -> str:
        return f"AugmentationList[{', '.join(repr(a) for a in self.augs)}]"

    __str__ = __repr__


class AugInput:
    """The inputs an augmentation may look at, transformed in place by :meth:`transform`.

    Args:
        image: HxW or HxWxC, uint8 or floating point.
        boxes: (N, 4) XYXY_ABS boxes, or None.
        sem_seg: HxW integer segmentation map, or None.
    """

    def __init__(self, image: np.ndarray, *, boxes: Optional[np.ndarray] = None,
                 sem_seg: Optional[np.ndarray] = None) -> None:
        _check_img_dtype(image)
        self.image = image
        self.boxes = boxes
        self.sem_seg = sem_seg

    def transform(self, tfm: Transform) -> None:
        """Apply ``tfm`` to every attribute that is set."""
        self.image = tfm.apply_image(self.image)
        if self.boxes is not None:
            self.boxes = tfm.apply_box(self.boxes)
        if self.sem_seg is not None:
            self.sem_seg = tfm.apply_segmentation(self.sem_seg)

    def apply_augmentations(self, augmentations: list[Union[Augmentation, Transform]]) -> TransformList:
        """Apply the augmentations in order (modifying this input) and return the transforms used."""
        return AugmentationList(augmentations)(self)


StandardAugInput = AugInput  # Detectron2's old name


def apply_augmentations(
    augmentations: list[Union[Augmentation, Transform]], inputs: Union[np.ndarray, AugInput]
) -> tuple[Union[np.ndarray, AugInput], TransformList]:
    """Apply augmentations to an image array or an :class:`AugInput`.

    Returns:
        (the augmented image, or the same AugInput modified in place; the TransformList used)
    """
    image_only = isinstance(inputs, np.ndarray)
    aug_input = AugInput(inputs) if image_only else inputs
    tfms = aug_input.apply_augmentations(augmentations)
    return (aug_input.image if image_only else aug_input), tfms


apply_transform_gens = apply_augmentations  # Detectron2's old name

