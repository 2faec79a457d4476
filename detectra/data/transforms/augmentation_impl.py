"""Detectron2's augmentations, with its parameters and semantics. Randomness comes from ``np.random``."""
from __future__ import annotations

import sys
from typing import Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image
from torchvision.ops import box_iou

from .augmentation import Augmentation, _transform_to_aug
from .base import NoOpTransform, Transform, TransformList
from .transform import (
    BlendTransform,
    CropTransform,
    ExtentTransform,
    HFlipTransform,
    PadTransform,
    ResizeTransform,
    RotationTransform,
    VFlipTransform,
)

__all__ = [
    "FixedSizeCrop",
    "RandomApply",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomExtent",
    "RandomFlip",
    "RandomSaturation",
    "RandomLighting",
    "RandomRotation",
    "Resize",
    "ResizeScale",
    "ResizeShortestEdge",
    "RandomCrop_CategoryAreaConstraint",
    "RandomResize",
    "MinIoURandomCrop",
]


def _check_sample_style(sample_style: str, cls_name: str) -> None:
    if sample_style not in ("range", "choice"):
        raise ValueError(f"{cls_name}: sample_style must be 'range' or 'choice', got {sample_style!r}.")


class RandomApply(Augmentation):
    """Apply a transform or augmentation with probability ``prob``."""

    def __init__(self, tfm_or_aug: Union[Augmentation, Transform], prob: float = 0.5) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"RandomApply: prob must be in [0, 1], got {prob}.")
        self.aug = _transform_to_aug(tfm_or_aug)
        self.prob = prob

    def get_transform(self, *args) -> Transform:
        if self._rand_range() < self.prob:
            return self.aug.get_transform(*args)
        return NoOpTransform()

    def __repr__(self) -> str:
        prob = "" if self.prob == 0.5 else f", prob={self.prob}"
        return f"RandomApply({self.aug!r}{prob})"

    __str__ = __repr__

    def __call__(self, aug_input) -> Transform:
        if self._rand_range() < self.prob:
            return self.aug(aug_input)
        return NoOpTransform()


class RandomFlip(Augmentation):
    """Flip the image horizontally or vertically with probability ``prob``."""

    def __init__(self, prob: float = 0.5, *, horizontal: bool = True, vertical: bool = False) -> None:
        if horizontal and vertical:
            raise ValueError("RandomFlip cannot flip both horizontally and vertically; use two RandomFlip instead.")
        if not horizontal and not vertical:
            raise ValueError("RandomFlip needs horizontal=True or vertical=True.")
        self._init(locals())

    def get_transform(self, image: np.ndarray) -> Transform:
        h, w = image.shape[:2]
        if self._rand_range() < self.prob:
            return HFlipTransform(w) if self.horizontal else VFlipTransform(h)
        return NoOpTransform()


class Resize(Augmentation):
    """Resize to a fixed ``shape = (h, w)`` (an int means square)."""

    def __init__(self, shape: Union[int, Sequence[int]], interp: int = Image.BILINEAR) -> None:
        if isinstance(shape, int):
            shape = (shape, shape)
        self.shape = tuple(shape)
        self.interp = interp

    def get_transform(self, image: np.ndarray) -> Transform:
        return ResizeTransform(image.shape[0], image.shape[1], self.shape[0], self.shape[1], self.interp)


class ResizeShortestEdge(Augmentation):
    """Resize so the short edge is a sampled length, unless that makes the long edge exceed ``max_size``.

    Args:
        short_edge_length: with "range", (min, max) sampled uniformly as an integer; with "choice", the candidates.
            An int means that single length. A sampled 0 means no resize.
        max_size: cap on the long edge.
        sample_style: "range" or "choice".
        interp: PIL resampling filter.
    """

    def __init__(
        self,
        short_edge_length: Union[int, Sequence[int]],
        max_size: int = sys.maxsize,
        sample_style: str = "range",
        interp: int = Image.BILINEAR,
    ) -> None:
        _check_sample_style(sample_style, "ResizeShortestEdge")
        self.is_range = sample_style == "range"
        if isinstance(short_edge_length, int):
            short_edge_length = (short_edge_length, short_edge_length)
        if self.is_range and len(short_edge_length) != 2:
            raise ValueError(
                f"ResizeShortestEdge: with sample_style='range', short_edge_length must be (min, max), "
                f"got {short_edge_length}; use sample_style='choice' for a list of sizes."
            )
        self.short_edge_length = tuple(short_edge_length)
        self.max_size = max_size
        self.sample_style = sample_style
        self.interp = interp

    def get_transform(self, image: np.ndarray) -> Transform:
        h, w = image.shape[:2]
        if self.is_range:
            size = int(np.random.randint(self.short_edge_length[0], self.short_edge_length[1] + 1))
        else:
            size = int(np.random.choice(self.short_edge_length))
        if size == 0:
            return NoOpTransform()
        new_h, new_w = ResizeShortestEdge.get_output_shape(h, w, size, self.max_size)
        return ResizeTransform(h, w, new_h, new_w, self.interp)

    @staticmethod
    def get_output_shape(oldh: int, oldw: int, short_edge_length: int, max_size: int) -> tuple[int, int]:
        """Output (h, w) for an input of (oldh, oldw), rounded half up as Detectron2 does."""
        size = short_edge_length * 1.0
        scale = size / min(oldh, oldw)
        if oldh < oldw:
            newh, neww = size, scale * oldw
        else:
            newh, neww = scale * oldh, size
        if max(newh, neww) > max_size:
            scale = max_size * 1.0 / max(newh, neww)
            newh, neww = newh * scale, neww * scale
        return int(newh + 0.5), int(neww + 0.5)


class ResizeScale(Augmentation):
    """Scale the target size by a random factor in [min_scale, max_scale], then fit the image inside it
    keeping its aspect ratio (large-scale jitter)."""

    def __init__(
        self, min_scale: float, max_scale: float, target_height: int, target_width: int,
        interp: int = Image.BILINEAR,
    ) -> None:
        self._init(locals())

    def _get_resize(self, image: np.ndarray, scale: float) -> Transform:
        input_size = image.shape[:2]
        target_scale_size = np.multiply((self.target_height, self.target_width), scale)
        output_scale = np.minimum(target_scale_size[0] / input_size[0], target_scale_size[1] / input_size[1])
        output_size = np.round(np.multiply(input_size, output_scale)).astype(int)
        return ResizeTransform(input_size[0], input_size[1], int(output_size[0]), int(output_size[1]), self.interp)

    def get_transform(self, image: np.ndarray) -> Transform:
        return self._get_resize(image, np.random.uniform(self.min_scale, self.max_scale))


class RandomRotation(Augmentation):
    """Rotate by a random angle (degrees, counter-clockwise) about a random centre.

    Args:
        angle: "range": (min, max); "choice": candidate angles. A number means that angle.
        expand: enlarge the canvas so the whole rotated image fits.
        center: "range": ((xmin, ymin), (xmax, ymax)) relative to the image size; "choice": candidate (x, y).
            None means the image centre.
        interp: PIL resampling filter (NEAREST / BILINEAR / BICUBIC).
    """

    def __init__(
        self, angle, expand: bool = True, center=None, sample_style: str = "range", interp: Optional[int] = None
    ) -> None:
        _check_sample_style(sample_style, "RandomRotation")
        self.is_range = sample_style == "range"
        if isinstance(angle, (float, int)):
            angle = (angle, angle)
        if center is not None and isinstance(center[0], (float, int)):
            center = (center, center)
        self._init(locals())

    def get_transform(self, image: np.ndarray) -> Transform:
        h, w = image.shape[:2]
        center = None
        if self.is_range:
            angle = np.random.uniform(self.angle[0], self.angle[1])
            if self.center is not None:
                center = (
                    np.random.uniform(self.center[0][0], self.center[1][0]),
                    np.random.uniform(self.center[0][1], self.center[1][1]),
                )
        else:
            angle = np.random.choice(self.angle)
            if self.center is not None:
                center = self.center[np.random.choice(len(self.center))]
        if center is not None:
            center = (w * center[0], h * center[1])  # relative -> absolute
        if angle % 360 == 0:
            return NoOpTransform()
        return RotationTransform(h, w, float(angle), expand=self.expand, center=center, interp=self.interp)


class FixedSizeCrop(Augmentation):
    """Random crop to ``crop_size = (h, w)`` where the image is larger; pad to it where smaller (if ``pad``)."""

    def __init__(
        self, crop_size: tuple[int, int], pad: bool = True, pad_value: float = 128.0, seg_pad_value: int = 255
    ) -> None:
        self._init(locals())

    def _get_crop(self, image: np.ndarray) -> Transform:
        input_size = image.shape[:2]
        max_offset = np.maximum(np.subtract(input_size, self.crop_size), 0)
        offset = np.round(np.multiply(max_offset, np.random.uniform(0.0, 1.0))).astype(int)
        return CropTransform(
            int(offset[1]), int(offset[0]), int(self.crop_size[1]), int(self.crop_size[0]),
            int(input_size[1]), int(input_size[0]),
        )

    def _get_pad(self, image: np.ndarray) -> Transform:
        input_size = image.shape[:2]
        pad_size = np.maximum(np.subtract(self.crop_size, input_size), 0)
        original_size = np.minimum(input_size, self.crop_size)
        return PadTransform(
            0, 0, int(pad_size[1]), int(pad_size[0]), int(original_size[1]), int(original_size[0]),
            self.pad_value, self.seg_pad_value,
        )

    def get_transform(self, image: np.ndarray) -> TransformList:
        transforms = [self._get_crop(image)]
        if self.pad:
            transforms.append(self._get_pad(image))
        return TransformList(transforms)


_CROP_TYPES = ("relative_range", "relative", "absolute", "absolute_range")


class RandomCrop(Augmentation):
    """Crop a random window whose size follows ``crop_type``:

    - "relative": (h * crop_size[0], w * crop_size[1]);
    - "relative_range": uniform in [crop_size[0], 1] x [crop_size[1], 1] times (h, w);
    - "absolute": crop_size (clamped to the image);
    - "absolute_range": integers in [crop_size[0], crop_size[1]] for each side (clamped to the image).
    """

    def __init__(self, crop_type: str, crop_size: Sequence[float]) -> None:
        if crop_type not in _CROP_TYPES:
            raise ValueError(f"RandomCrop: crop_type must be one of {_CROP_TYPES}, got {crop_type!r}.")
        self.crop_type = crop_type
        self.crop_size = crop_size

    def get_transform(self, image: np.ndarray) -> Transform:
        h, w = image.shape[:2]
        croph, cropw = self.get_crop_size((h, w))
        if croph > h or cropw > w:
            raise ValueError(
                f"RandomCrop({self.crop_type!r}, {self.crop_size}) asks for a {croph}x{cropw} crop of a {h}x{w} "
                f"image; relative sizes must be in (0, 1]."
            )
        h0 = np.random.randint(h - croph + 1)
        w0 = np.random.randint(w - cropw + 1)
        return CropTransform(int(w0), int(h0), int(cropw), int(croph))

    def get_crop_size(self, image_size: tuple[int, int]) -> tuple[int, int]:
        """The (h, w) of the crop for an image of ``image_size = (h, w)``."""
        h, w = image_size
        if self.crop_type == "relative":
            ch, cw = self.crop_size
            return int(h * ch + 0.5), int(w * cw + 0.5)
        if self.crop_type == "relative_range":
            crop_size = np.asarray(self.crop_size, dtype=np.float32)
            ch, cw = crop_size + np.random.rand(2) * (1 - crop_size)
            return int(h * ch + 0.5), int(w * cw + 0.5)
        if self.crop_type == "absolute":
            return min(int(self.crop_size[0]), h), min(int(self.crop_size[1]), w)
        lo, hi = int(self.crop_size[0]), int(self.crop_size[1])
        if lo > hi:
            raise ValueError(f"RandomCrop 'absolute_range' needs crop_size[0] <= crop_size[1], got {self.crop_size}.")
        ch = np.random.randint(min(h, lo), min(h, hi) + 1)
        cw = np.random.randint(min(w, lo), min(w, hi) + 1)
        return int(ch), int(cw)


class RandomCrop_CategoryAreaConstraint(Augmentation):
    """A :class:`RandomCrop` retried (up to 10 times) until no single category of ``sem_seg`` covers more than
    ``single_category_max_area`` of the crop (pixels of ``ignored_category`` not counted)."""

    def __init__(
        self, crop_type: str, crop_size: Sequence[float], single_category_max_area: float = 1.0,
        ignored_category: Optional[int] = None,
    ) -> None:
        self.crop_type, self.crop_size = crop_type, crop_size  # for the repr
        self.crop_aug = RandomCrop(crop_type, crop_size)
        self.single_category_max_area = single_category_max_area
        self.ignored_category = ignored_category

    def get_transform(self, image: np.ndarray, sem_seg: np.ndarray) -> Transform:
        if self.single_category_max_area >= 1.0:
            return self.crop_aug.get_transform(image)
        h, w = sem_seg.shape
        for _ in range(10):
            crop_size = self.crop_aug.get_crop_size((h, w))
            y0 = np.random.randint(h - crop_size[0] + 1)
            x0 = np.random.randint(w - crop_size[1] + 1)
            window = sem_seg[y0 : y0 + crop_size[0], x0 : x0 + crop_size[1]]
            labels, cnt = np.unique(window, return_counts=True)
            if self.ignored_category is not None:
                cnt = cnt[labels != self.ignored_category]
            if len(cnt) > 1 and np.max(cnt) < np.sum(cnt) * self.single_category_max_area:
                break
        return CropTransform(int(x0), int(y0), int(crop_size[1]), int(crop_size[0]))


class RandomExtent(Augmentation):
    """Take a random sub-rectangle (or super-rectangle) of the image: scaled by ``scale_range`` and shifted by
    up to ``shift_range`` (fractions of the image size, each side), output at the rectangle's own size."""

    def __init__(self, scale_range: tuple[float, float], shift_range: tuple[float, float]) -> None:
        self._init(locals())

    def get_transform(self, image: np.ndarray) -> Transform:
        img_h, img_w = image.shape[:2]
        src_rect = np.array([-0.5 * img_w, -0.5 * img_h, 0.5 * img_w, 0.5 * img_h])
        src_rect *= np.random.uniform(self.scale_range[0], self.scale_range[1])
        src_rect[0::2] += self.shift_range[0] * img_w * (np.random.rand() - 0.5)
        src_rect[1::2] += self.shift_range[1] * img_h * (np.random.rand() - 0.5)
        src_rect[0::2] += 0.5 * img_w
        src_rect[1::2] += 0.5 * img_h
        return ExtentTransform(
            src_rect=tuple(float(v) for v in src_rect),
            output_size=(int(src_rect[3] - src_rect[1]), int(src_rect[2] - src_rect[0])),
        )


class RandomContrast(Augmentation):
    """Blend with the image mean: ``w * image + (1 - w) * mean``, ``w ~ U(intensity_min, intensity_max)``."""

    def __init__(self, intensity_min: float, intensity_max: float) -> None:
        self._init(locals())

    def get_transform(self, image: np.ndarray) -> Transform:
        w = np.random.uniform(self.intensity_min, self.intensity_max)
        return BlendTransform(src_image=image.mean(), src_weight=1 - w, dst_weight=w)


class RandomBrightness(Augmentation):
    """Scale intensities: ``w * image``, ``w ~ U(intensity_min, intensity_max)``."""

    def __init__(self, intensity_min: float, intensity_max: float) -> None:
        self._init(locals())

    def get_transform(self, image: np.ndarray) -> Transform:
        w = np.random.uniform(self.intensity_min, self.intensity_max)
        return BlendTransform(src_image=0, src_weight=1 - w, dst_weight=w)


class RandomSaturation(Augmentation):
    """Blend with the grayscale image: ``w * image + (1 - w) * gray``. Expects 3-channel RGB input."""

    def __init__(self, intensity_min: float, intensity_max: float) -> None:
        self._init(locals())

    def get_transform(self, image: np.ndarray) -> Transform:
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"RandomSaturation needs an RGB HxWx3 image, got shape {image.shape}.")
        w = np.random.uniform(self.intensity_min, self.intensity_max)
        grayscale = image.dot([0.299, 0.587, 0.114])[:, :, np.newaxis]
        return BlendTransform(src_image=grayscale, src_weight=1 - w, dst_weight=w)


class RandomLighting(Augmentation):
    """AlexNet-style PCA lighting noise with ImageNet's RGB eigenvectors; weights ~ N(0, scale)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.eigen_vecs = np.array(
            [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
        )
        self.eigen_vals = np.array([0.2175, 0.0188, 0.0045])

    def get_transform(self, image: np.ndarray) -> Transform:
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"RandomLighting needs an RGB HxWx3 image, got shape {image.shape}.")
        weights = np.random.normal(scale=self.scale, size=3)
        return BlendTransform(src_image=self.eigen_vecs.dot(weights * self.eigen_vals), src_weight=1.0,
                              dst_weight=1.0)


class RandomResize(Augmentation):
    """Resize to a (h, w) drawn uniformly from ``shape_list``."""

    def __init__(self, shape_list: Sequence[tuple[int, int]], interp: int = Image.BILINEAR) -> None:
        self.shape_list = shape_list
        self.interp = interp

    def get_transform(self, image: np.ndarray) -> Transform:
        h, w = self.shape_list[np.random.randint(low=0, high=len(self.shape_list))]
        return ResizeTransform(image.shape[0], image.shape[1], int(h), int(w), self.interp)


class MinIoURandomCrop(Augmentation):
    """SSD-style crop: the crop's IoU with every box is at least a sampled ``min_iou`` and at least one box
    centre lies inside it.

    Args:
        min_ious: candidate minimum IoUs (a mode of 1 means no crop).
        min_crop_size: minimum crop side, as a fraction of the image side.
        mode_trials, crop_trials: attempts per sampled mode and crops per attempt.
    """

    def __init__(
        self, min_ious: Sequence[float] = (0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size: float = 0.3,
        mode_trials: int = 1000, crop_trials: int = 50,
    ) -> None:
        self._init(locals())
        self.sample_mode = (1, *min_ious, 0)

    def get_transform(self, image: np.ndarray, boxes: Optional[np.ndarray]) -> Transform:
        if boxes is None:
            return NoOpTransform()
        h, w = image.shape[:2]
        boxes_t = torch.as_tensor(np.asarray(boxes, dtype=np.float64).reshape(-1, 4))
        for _ in range(self.mode_trials):
            mode = self.sample_mode[np.random.randint(len(self.sample_mode))]
            if mode == 1:
                return NoOpTransform()
            for _ in range(self.crop_trials):
                new_w = np.random.uniform(self.min_crop_size * w, w)
                new_h = np.random.uniform(self.min_crop_size * h, h)
                if new_h / new_w < 0.5 or new_h / new_w > 2:  # keep the aspect ratio within [1/2, 2]
                    continue
                left = np.random.uniform(w - new_w)
                top = np.random.uniform(h - new_h)
                patch = np.array((int(left), int(top), int(left + new_w), int(top + new_h)))
                if patch[2] == patch[0] or patch[3] == patch[1]:
                    continue
                overlaps = box_iou(torch.as_tensor(patch, dtype=torch.float64)[None], boxes_t).reshape(-1)
                if len(overlaps) > 0 and overlaps.min() < mode:
                    continue
                if len(overlaps) > 0:
                    centers = (boxes_t[:, :2] + boxes_t[:, 2:]) / 2
                    inside = (
                        (centers[:, 0] > patch[0]) & (centers[:, 1] > patch[1])
                        & (centers[:, 0] < patch[2]) & (centers[:, 1] < patch[3])
                    )
                    if not inside.any():
                        continue
                return CropTransform(int(left), int(top), int(new_w), int(new_h))
        return NoOpTransform()
