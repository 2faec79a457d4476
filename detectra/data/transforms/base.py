"""Deterministic transforms: the ``Transform`` protocol, ``TransformList`` and ``NoOpTransform``.

A ``Transform`` holds the parameters of one concrete operation (flip this width, crop that window) and applies it
consistently to every kind of data that lives in image space: the image, point coordinates, boxes, polygons,
segmentation maps and rotated boxes. Augmentations (``augmentation.py``) decide the parameters at random; transforms
only apply them. This replaces ``fvcore.transforms`` with the same public contract.
"""
from __future__ import annotations

import inspect
import pprint
from typing import Any, Callable, Iterator, Union

import numpy as np

__all__ = ["Transform", "TransformList", "NoOpTransform"]

# Corner index pairs (x, y) of an XYXY box: top-left, top-right, bottom-left, bottom-right.
_BOX_CORNERS = [[0, 1], [2, 1], [0, 3], [2, 3]]


def _repr_from_init(obj: Any) -> str:
    """``ClassName(arg=value, ...)`` from the ``__init__`` arguments stored as attributes of ``obj``."""
    try:
        sig = inspect.signature(type(obj).__init__)
    except (TypeError, ValueError):
        return super(type(obj), obj).__repr__()
    items = []
    for name, param in sig.parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or not hasattr(obj, name):
            continue
        value = getattr(obj, name)
        if param.default is not param.empty and _same(value, param.default):
            continue
        text = pprint.pformat(value)
        if "\n" in text or isinstance(value, np.ndarray) and value.size > 8:
            text = "..."  # keep the repr to one line; large arrays say nothing useful here
        items.append(f"{name}={text}")
    return f"{type(obj).__name__}({', '.join(items)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # arrays and other objects whose == is not a bool
        return False


class Transform:
    """Base class of deterministic transforms on images and image-space annotations.

    Subclasses implement ``apply_image`` and ``apply_coords``; boxes, polygons and segmentation maps default to
    those two. Extra data types are added with :meth:`register_type`.

    Conventions: images are ``HxW``, ``HxWxC`` (or ``NxHxWxC``) numpy arrays, uint8 in [0, 255] or floating point;
    coordinates are absolute floats where pixel ``(i, j)`` covers ``[j, j + 1) x [i, i + 1)``.
    """

    def _set_attributes(self, params: dict[str, Any] | None = None) -> None:
        """Store the ``__init__`` arguments (all but ``self`` and names starting with ``_``) as attributes."""
        if params:
            for name, value in params.items():
                if name != "self" and not name.startswith("_"):
                    setattr(self, name, value)

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        """Apply to an image ``HxW``, ``HxWxC`` or ``NxHxWxC``; returns an array of the same dtype."""
        raise NotImplementedError

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        """Apply to coordinates.

        Args:
            coords: float array (N, 2) of absolute (x, y).

        Returns:
            A new float array (N, 2); the input is not modified.
        """
        raise NotImplementedError

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        """Apply to a segmentation map ``HxW`` (label ids or a binary mask); subclasses use nearest sampling."""
        return self.apply_image(segmentation)

    def apply_box(self, box: np.ndarray) -> np.ndarray:
        """Apply to boxes (N, 4) XYXY_ABS, returning the axis-aligned boxes enclosing the transformed corners.

        Exact for flips, crops, pads and resizes; for rotations the result encloses the rotated box.
        """
        box = np.asarray(box, dtype=np.float64 if np.asarray(box).dtype == np.float64 else np.float32)
        corners = box.reshape(-1, 4)[:, _BOX_CORNERS].reshape(-1, 2)  # (N*4, 2)
        corners = np.asarray(self.apply_coords(corners)).reshape(-1, 4, 2)
        return np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1).astype(box.dtype)

    def apply_polygons(self, polygons: list[np.ndarray]) -> list[np.ndarray]:
        """Apply to a list of polygons, each a float array (K, 2) of (x, y); may drop or split polygons."""
        return [self.apply_coords(np.asarray(p, dtype=np.float64)) for p in polygons]

    def apply_rotated_box(self, rotated_boxes: np.ndarray) -> np.ndarray:
        """Apply to rotated boxes (N, 5) XYWHA_ABS (center x, center y, w, h, angle in degrees, counter-clockwise)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no apply_rotated_box; register one with "
            f"{type(self).__name__}.register_type('rotated_box', func)."
        )

    def inverse(self) -> "Transform":
        """The transform that undoes this one (on coordinates exactly; on pixels up to resampling)."""
        raise NotImplementedError(f"{type(self).__name__} does not define an inverse.")

    @classmethod
    def register_type(cls, data_type: str, func: Callable[["Transform", Any], Any] | None = None):
        """Register ``func(transform, data)`` as ``cls.apply_<data_type>``.

        Example::

            HFlipTransform.register_type("voxel", lambda t, voxel: voxel[:, ::-1])

        Without ``func``, returns a decorator.
        """
        if func is None:

            def wrapper(decorated: Callable) -> Callable:
                cls.register_type(data_type, decorated)
                return decorated

            return wrapper
        if not callable(func):
            raise TypeError(f"register_type({data_type!r}) needs a callable func(transform, data), got {func!r}.")
        n_args = len(inspect.signature(func).parameters)
        if n_args != 2:
            raise TypeError(
                f"register_type({data_type!r}): func must take exactly 2 arguments (transform, data), "
                f"it takes {n_args}."
            )
        setattr(cls, "apply_" + data_type, func)
        return None

    def __repr__(self) -> str:
        return _repr_from_init(self)

    __str__ = __repr__


class _PixelTransform(Transform):
    """A transform of pixel values only: coordinates, boxes and segmentation maps pass through, and the inverse is
    a no-op (pixel changes are not undone, as in Detectron2)."""

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        return coords

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return segmentation

    def apply_rotated_box(self, rotated_boxes: np.ndarray) -> np.ndarray:
        return rotated_boxes

    def inverse(self) -> Transform:
        return NoOpTransform()


class NoOpTransform(_PixelTransform):
    """The identity: every ``apply_*`` (including registered ones) returns its input."""

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return img

    def inverse(self) -> "Transform":
        return self

    def __getattr__(self, name: str):
        if name.startswith("apply_"):
            return lambda x: x
        raise AttributeError(f"NoOpTransform has no attribute {name!r}")


class TransformList(Transform):
    """A sequence of transforms applied in order; nested lists are flattened.

    Every ``apply_*`` method (including types registered later) applies each transform's method in turn.
    """

    def __init__(self, transforms: list[Transform]) -> None:
        flat: list[Transform] = []
        for t in transforms:
            if not isinstance(t, Transform):
                raise TypeError(f"TransformList takes Transform objects, got {type(t).__name__}: {t!r}")
            flat.extend(t.transforms if isinstance(t, TransformList) else [t])
        self.transforms = flat

    def _apply(self, x: Any, method: str) -> Any:
        for t in self.transforms:
            x = getattr(t, method)(x)
        return x

    def __getattribute__(self, name: str):
        if name.startswith("apply_"):
            return lambda x: self._apply(x, name)
        return super().__getattribute__(name)

    def __add__(self, other: Union[Transform, "TransformList"]) -> "TransformList":
        others = other.transforms if isinstance(other, TransformList) else [other]
        return TransformList(self.transforms + others)

    def __iadd__(self, other: Union[Transform, "TransformList"]) -> "TransformList":
        others = other.transforms if isinstance(other, TransformList) else [other]
        self.transforms.extend(others)
        return self

    def __radd__(self, other: Union[Transform, "TransformList"]) -> "TransformList":
        others = other.transforms if isinstance(other, TransformList) else [other]
        return TransformList(others + self.transforms)

    def __len__(self) -> int:
        return len(self.transforms)

    def __getitem__(self, idx: int) -> Transform:
        return self.transforms[idx]

    def __iter__(self) -> Iterator[Transform]:
        return iter(self.transforms)

    def inverse(self) -> "TransformList":
        return TransformList([t.inverse() for t in reversed(self.transforms)])

    def __repr__(self) -> str:
        return f"TransformList[{', '.join(repr(t) for t in self.transforms)}]"

    __str__ = __repr__
