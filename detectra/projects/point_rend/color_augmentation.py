"""SSD-style photometric distortion, the colour augmentation that PointRend's and Mask2Former's semantic
segmentation mappers apply (``INPUT.COLOR_AUG_SSD``)."""
from __future__ import annotations

import random

import numpy as np
from PIL import Image

from detectra.data.transforms.base import _PixelTransform

__all__ = ["ColorAugSSDTransform"]

# Hue in OpenCV's 8-bit HSV runs over [0, 180) (the deltas below are in those units); PIL's over [0, 256).
_PIL_HUE_PER_OPENCV_UNIT = 256 / 180


class ColorAugSSDTransform(_PixelTransform):
    """Random brightness, then contrast / saturation / hue in a random order, each applied with probability 1/2.

    Unlike most transforms, the random draws happen in :meth:`apply_image` (with Python's `random`), so applying one
    instance to two images distorts them differently, as in Detectron2. Coordinates and segmentation maps are
    unchanged.

    Args:
        img_format: "BGR" or "RGB", the channel order of the uint8 images it will get.
        brightness_delta: the added offset is uniform in ``[-delta, delta]``.
        contrast_low, contrast_high: range of the factor multiplying every channel.
        saturation_low, saturation_high: range of the factor multiplying the HSV saturation.
        hue_delta: the hue shift is an integer in ``[-delta, delta]``, in OpenCV units (180 per full turn).
    """

    def __init__(
        self,
        img_format: str,
        brightness_delta: int = 32,
        contrast_low: float = 0.5,
        contrast_high: float = 1.5,
        saturation_low: float = 0.5,
        saturation_high: float = 1.5,
        hue_delta: int = 18,
    ) -> None:
        super().__init__()
        if img_format not in ("BGR", "RGB"):
            raise ValueError(f"ColorAugSSDTransform: img_format must be 'BGR' or 'RGB', got {img_format!r}.")
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray, interp: int | None = None) -> np.ndarray:
        rgb = img if self.img_format == "RGB" else img[:, :, ::-1]
        rgb = self._brightness(rgb)
        if random.randrange(2):
            rgb = self._hue(self._saturation(self._contrast(rgb)))
        else:
            rgb = self._contrast(self._hue(self._saturation(rgb)))
        out = rgb if self.img_format == "RGB" else rgb[:, :, ::-1]
        return np.ascontiguousarray(out)

    @staticmethod
    def _scale_shift(values: np.ndarray, alpha: float = 1.0, beta: float = 0.0) -> np.ndarray:
        return np.clip(values.astype(np.float32) * alpha + beta, 0, 255).astype(np.uint8)

    def _brightness(self, rgb: np.ndarray) -> np.ndarray:
        if random.randrange(2):
            return self._scale_shift(rgb, beta=random.uniform(-self.brightness_delta, self.brightness_delta))
        return rgb

    def _contrast(self, rgb: np.ndarray) -> np.ndarray:
        if random.randrange(2):
            return self._scale_shift(rgb, alpha=random.uniform(self.contrast_low, self.contrast_high))
        return rgb

    def _saturation(self, rgb: np.ndarray) -> np.ndarray:
        if random.randrange(2):
            hsv = np.array(Image.fromarray(np.ascontiguousarray(rgb)).convert("HSV"))
            hsv[:, :, 1] = self._scale_shift(hsv[:, :, 1], alpha=random.uniform(self.saturation_low, self.saturation_high))
            return _hsv_to_rgb(hsv)
        return rgb

    def _hue(self, rgb: np.ndarray) -> np.ndarray:
        if random.randrange(2):
            hsv = np.array(Image.fromarray(np.ascontiguousarray(rgb)).convert("HSV"))
            shift = random.randint(-self.hue_delta, self.hue_delta) * _PIL_HUE_PER_OPENCV_UNIT
            hsv[:, :, 0] = np.round(hsv[:, :, 0].astype(np.float32) + shift).astype(np.int64) % 256
            return _hsv_to_rgb(hsv)
        return rgb


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    height, width = hsv.shape[:2]
    return np.array(Image.frombytes("HSV", (width, height), np.ascontiguousarray(hsv).tobytes()).convert("RGB"))
