"""Transforms computed with ``torch.nn.functional``: a scale by ``interpolate`` and a warp by ``grid_sample``.

Both take any image dtype and layout that the other transforms take (HxW, HxWxC, NxHxWxC); integer images are
rounded and clipped back to their dtype.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .base import Transform
from .transform import _from_nchw, _to_nchw

__all__ = ["ScaleTransform", "GridSampleTransform"]

_MODES = ("nearest", "bilinear", "bicubic", "area")


def _check_mode(mode: str, who: str, allowed: tuple[str, ...] = _MODES) -> str:
    if mode not in allowed:
        raise ValueError(f"{who}: interp='{mode}' is not one of {', '.join(allowed)}.")
    return mode


class ScaleTransform(Transform):
    """Resize an ``h x w`` image to ``new_h x new_w`` with ``torch.nn.functional.interpolate``.

    Unlike :class:`ResizeTransform` (PIL filters, antialiased), this is torch's plain interpolation with
    ``align_corners=False``; coordinates scale by exactly ``new_w / w`` and ``new_h / h``.

    Args:
        h, w: input size.
        new_h, new_w: output size.
        interp: "nearest", "bilinear", "bicubic" or "area".
    """

    def __init__(self, h: int, w: int, new_h: int, new_w: int, interp: str = "bilinear") -> None:
        _check_mode(interp, "ScaleTransform")
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray, interp: str | None = None) -> np.ndarray:
        mode = _check_mode(interp or self.interp, "ScaleTransform")
        spatial_axis = 0 if img.ndim <= 3 else 1
        if tuple(img.shape[spatial_axis : spatial_axis + 2]) != (self.h, self.w):
            raise ValueError(f"ScaleTransform was built for images of size {(self.h, self.w)}, got shape {img.shape}.")
        t, shape = _to_nchw(img)
        align = False if mode in ("bilinear", "bicubic") else None
        t = F.interpolate(t.float(), (self.new_h, self.new_w), mode=mode, align_corners=align)
        shape[spatial_axis : spatial_axis + 2] = [self.new_h, self.new_w]
        return _from_nchw(t, shape, img.dtype)

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        coords = np.array(coords, dtype=np.float64 if np.asarray(coords).dtype == np.float64 else np.float32)
        coords[:, 0] *= self.new_w / self.w
        coords[:, 1] *= self.new_h / self.h
        return coords

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self.apply_image(segmentation, interp="nearest")

    def inverse(self) -> Transform:
        return ScaleTransform(self.new_h, self.new_w, self.h, self.w, self.interp)


class GridSampleTransform(Transform):
    """Warp images with ``torch.nn.functional.grid_sample`` (``align_corners=False``, zero padding).

    Args:
        grid (ndarray[N, H, W, 2]): for each output pixel, the (x, y) sampling location in the input, normalised
            to [-1, 1] (-1 and 1 being the outer edges of the first and last pixels).
        interp: "bilinear" or "nearest".

    The mapping has no closed-form inverse, so coordinates (and boxes, polygons) cannot be transformed:
    :meth:`apply_coords` raises ``NotImplementedError``; use it for images and segmentation maps only.
    """

    def __init__(self, grid: np.ndarray, interp: str = "bilinear") -> None:
        _check_mode(interp, "GridSampleTransform", ("bilinear", "nearest"))
        grid = np.asarray(grid)
        if grid.ndim != 4 or grid.shape[-1] != 2:
            raise ValueError(f"GridSampleTransform: grid must have shape (N, H, W, 2), got {grid.shape}.")
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray, interp: str | None = None) -> np.ndarray:
        mode = _check_mode(interp or self.interp, "GridSampleTransform", ("bilinear", "nearest"))
        t, shape = _to_nchw(img)
        grid = torch.from_numpy(np.ascontiguousarray(self.grid)).float()
        if grid.shape[0] != t.shape[0]:
            grid = grid.expand(t.shape[0], -1, -1, -1)
        out = F.grid_sample(t.float(), grid, mode=mode, padding_mode="zeros", align_corners=False)
        spatial_axis = 0 if img.ndim <= 3 else 1
        shape[spatial_axis : spatial_axis + 2] = list(out.shape[-2:])
        return _from_nchw(out, shape, img.dtype)

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        raise NotImplementedError(
            "GridSampleTransform cannot map coordinates (a sampling grid has no closed-form inverse); "
            "apply it to images and segmentation maps only."
        )

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self.apply_image(segmentation, interp="nearest")
