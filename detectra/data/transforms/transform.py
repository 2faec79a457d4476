"""Concrete deterministic transforms: flips, crop, pad, resize, extent, rotation, colour and blending.

Pixel coordinates are continuous: pixel ``(i, j)`` covers ``[j, j + 1) x [i, i + 1)``, so a horizontal flip maps
``x -> width - x`` and a resize scales coordinates by exactly ``new_w / w``.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .base import Transform, TransformList, _PixelTransform

__all__ = [
    "HFlipTransform",
    "VFlipTransform",
    "CropTransform",
    "PadTransform",
    "BlendTransform",
    "ResizeTransform",
    "ExtentTransform",
    "RotationTransform",
    "ColorTransform",
    "PILColorTransform",
]

# PIL resampling filter -> torch.nn.functional mode, for non-uint8 images that PIL cannot resize.
_PIL_TO_TORCH_MODE = {Image.NEAREST: "nearest", Image.BILINEAR: "bilinear", Image.BICUBIC: "bicubic"}


def _torch_mode(interp: int, what: str) -> str:
    if interp not in _PIL_TO_TORCH_MODE:
        raise ValueError(
            f"{what}: interp={interp} is not supported for float images; use Image.NEAREST, Image.BILINEAR "
            f"or Image.BICUBIC."
        )
    return _PIL_TO_TORCH_MODE[interp]


def _to_nchw(img: np.ndarray) -> tuple[torch.Tensor, list[int]]:
    """HxW, HxWxC or NxHxWxC numpy -> float tensor N'xCxHxW, plus the original shape to restore."""
    shape = list(img.shape)
    t = torch.from_numpy(np.ascontiguousarray(img))
    if img.ndim == 2:
        t = t[None, None]
    elif img.ndim == 3:
        t = t.permute(2, 0, 1)[None]
    else:
        t = t.permute(0, 3, 1, 2)
    return t, shape


def _from_nchw(t: torch.Tensor, shape: list[int], dtype: np.dtype) -> np.ndarray:
    if len(shape) == 2:
        out = t[0, 0]
    elif len(shape) == 3:
        out = t[0].permute(1, 2, 0)
    else:
        out = t.permute(0, 2, 3, 1)
    out = out.numpy()
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return out.astype(dtype)


def _resize_rgb_uint8(img: np.ndarray, new_h: int, new_w: int) -> np.ndarray:
    """Bilinear, antialiased resize of an HxWx3 uint8 image to ``new_h x new_w`` (HxWx3 uint8).

    torch's native uint8 kernel on a channels-last tensor computes PIL's BILINEAR filter (same support, weights
    and fixed-point rounding up to 1 grey level on ~0.2% of pixels, within Detectron2's parity tolerance) about 4x
    faster than PIL, and reads the array in place. A reversed channel axis (BGR views of RGB data) is undone
    before and redone after, since resizing treats channels independently; other negative strides are copied.
    """
    reversed_channels = img.strides[2] < 0
    if reversed_channels:
        img = img[:, :, ::-1]
    if any(s < 0 for s in img.strides):
        img = np.ascontiguousarray(img)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # read-only arrays (np.asarray of a PIL image): only read here
        t = torch.from_numpy(img)
    # (1, H, W, 3) -> (1, 3, H, W) with channels-last strides, the layout the fast uint8 kernel reads and writes
    t = F.interpolate(t[None].permute(0, 3, 1, 2), (new_h, new_w), mode="bilinear", align_corners=False,
                      antialias=True)  # fmt: skip
    out = t[0].permute(1, 2, 0).numpy()
    return out[:, :, ::-1] if reversed_channels else out


class _FlipTransform(Transform):
    """A mirror across one image axis: x (``_coord = 0``) across the ``width``, or y (``_coord = 1``) across the
    ``height``; a subclass stores that extent under Detectron2's attribute name."""

    _coord: int

    def _extent(self) -> int:
        return self.width if self._coord == 0 else self.height

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        axis = 1 - self._coord  # x runs along the columns of an HxW(xC) image, y along the rows
        return np.flip(img, axis=axis if img.ndim <= 3 else axis + 1)  # NxHxWxC: one more leading axis

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        coords = np.array(coords, dtype=np.float64 if np.asarray(coords).dtype == np.float64 else np.float32)
        coords[:, self._coord] = self._extent() - coords[:, self._coord]
        return coords

    def apply_rotated_box(self, rotated_boxes: np.ndarray) -> np.ndarray:
        boxes = np.array(rotated_boxes, dtype=np.float64)
        boxes[:, self._coord] = self._extent() - boxes[:, self._coord]
        boxes[:, 4] = -boxes[:, 4]  # mirroring reverses the rotation direction
        return boxes

    def inverse(self) -> Transform:
        return self


class HFlipTransform(_FlipTransform):
    """Horizontal flip of an image of the given width."""

    _coord = 0

    def __init__(self, width: int) -> None:
        self._set_attributes(locals())


class VFlipTransform(_FlipTransform):
    """Vertical flip of an image of the given height."""

    _coord = 1

    def __init__(self, height: int) -> None:
        self._set_attributes(locals())


def _clip_polygon_to_rect(poly: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Sutherland-Hodgman clipping of polygon (K, 2) to a rectangle; written here because shapely is not a dependency.

    A concave polygon that leaves and re-enters the window comes back as one polygon with zero-width bridges
    along the border, which cover no area when rasterized.
    """
    edges = [(0, x0, 1.0), (0, x1, -1.0), (1, y0, 1.0), (1, y1, -1.0)]  # (axis, limit, sign): inside if sign*(v-limit)>=0
    out = np.asarray(poly, dtype=np.float64)
    for axis, limit, sign in edges:
        if len(out) == 0:
            break
        prev = np.roll(out, 1, axis=0)
        cur_in = sign * (out[:, axis] - limit) >= 0
        prev_in = sign * (prev[:, axis] - limit) >= 0
        pts = []
        for p, c, pi, ci in zip(prev, out, prev_in, cur_in):
            if ci != pi:  # the edge crosses the clip line: add the crossing point
                t = (limit - p[axis]) / (c[axis] - p[axis])
                pts.append(p + t * (c - p))
            if ci:
                pts.append(c)
        out = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    return out


def _polygon_area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


class _ShiftTransform(Transform):
    """A crop or a pad: every point moves by the same ``_offset()`` (dx, dy); rotated boxes keep size and angle. Its
    inverse needs the image size before the transform (``orig_w``, ``orig_h``)."""

    def _offset(self) -> tuple[int, int]:
        raise NotImplementedError

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        coords = np.array(coords, dtype=np.float64 if np.asarray(coords).dtype == np.float64 else np.float32)
        dx, dy = self._offset()
        coords[:, 0] += dx
        coords[:, 1] += dy
        return coords

    def apply_rotated_box(self, rotated_boxes: np.ndarray) -> np.ndarray:
        boxes = np.array(rotated_boxes, dtype=np.float64)
        boxes[:, :2] = self.apply_coords(boxes[:, :2])
        return boxes

    def _check_orig_size(self) -> None:
        if self.orig_w is None or self.orig_h is None:
            raise NotImplementedError(
                f"{type(self).__name__}.inverse() needs the original image size: build it with orig_w and orig_h."
            )


class CropTransform(_ShiftTransform):
    """Crop the window ``[x0, x0 + w) x [y0, y0 + h)``.

    Args:
        x0, y0, w, h: the window in pixels.
        orig_w, orig_h: size of the image before cropping; needed only for :meth:`inverse`.
    """

    def __init__(
        self, x0: int, y0: int, w: int, h: int, orig_w: Optional[int] = None, orig_h: Optional[int] = None
    ) -> None:
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        if img.ndim <= 3:
            return img[self.y0 : self.y0 + self.h, self.x0 : self.x0 + self.w]
        return img[..., self.y0 : self.y0 + self.h, self.x0 : self.x0 + self.w, :]

    def _offset(self) -> tuple[int, int]:
        return -self.x0, -self.y0

    def apply_polygons(self, polygons: list[np.ndarray]) -> list[np.ndarray]:
        """Clip each polygon to the crop window; polygons left with no area are dropped."""
        out = []
        for poly in polygons:
            clipped = _clip_polygon_to_rect(poly, self.x0, self.y0, self.x0 + self.w, self.y0 + self.h)
            if len(clipped) >= 3 and _polygon_area(clipped) > 0:
                out.append(self.apply_coords(clipped))
        return out

    def inverse(self) -> Transform:
        self._check_orig_size()
        pad_x1 = self.orig_w - self.x0 - self.w
        pad_y1 = self.orig_h - self.y0 - self.h
        return PadTransform(self.x0, self.y0, pad_x1, pad_y1, orig_w=self.w, orig_h=self.h)


class PadTransform(_ShiftTransform):
    """Pad ``x0``/``y0`` pixels on the left/top and ``x1``/``y1`` on the right/bottom.

    Args:
        pad_value: fill value for images; seg_pad_value: fill value for segmentation maps.
        orig_w, orig_h: size before padding; needed only for :meth:`inverse`.
    """

    def __init__(
        self,
        x0: int,
        y0: int,
        x1: int,
        y1: int,
        orig_w: Optional[int] = None,
        orig_h: Optional[int] = None,
        pad_value: float = 0,
        seg_pad_value: int = 0,
    ) -> None:
        self._set_attributes(locals())

    def _pad(self, img: np.ndarray, value: float) -> np.ndarray:
        spatial = [(self.y0, self.y1), (self.x0, self.x1)]
        if img.ndim <= 3:
            widths = spatial + [(0, 0)] * (img.ndim - 2)
        else:
            widths = [(0, 0)] + spatial + [(0, 0)]
        return np.pad(img, widths, mode="constant", constant_values=value)

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return self._pad(img, self.pad_value)

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self._pad(segmentation, self.seg_pad_value)

    def _offset(self) -> tuple[int, int]:
        return self.x0, self.y0

    def inverse(self) -> Transform:
        self._check_orig_size()
        new_w = self.orig_w + self.x0 + self.x1
        new_h = self.orig_h + self.y0 + self.y1
        return CropTransform(self.x0, self.y0, self.orig_w, self.orig_h, new_w, new_h)


class BlendTransform(_PixelTransform):
    """``result = src_weight * src_image + dst_weight * image`` (clipped to [0, 255] for uint8 images).

    Photometric only: coordinates and segmentation maps pass through unchanged.

    Args:
        src_image: array broadcastable to the image (a scalar, a per-channel vector or a full image).
    """

    def __init__(self, src_image: np.ndarray, src_weight: float, dst_weight: float) -> None:
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray, interp: Any = None) -> np.ndarray:
        if img.dtype == np.uint8:
            out = self.src_weight * self.src_image + self.dst_weight * img.astype(np.float32)
            return np.clip(out, 0, 255).astype(np.uint8)
        return self.src_weight * self.src_image + self.dst_weight * img


class ResizeTransform(Transform):
    """Resize an ``h x w`` image to ``new_h x new_w``.

    uint8 HxWx3 images with ``Image.BILINEAR`` (the default) go through torch's uint8 kernel, which matches PIL
    (and so Detectron2) within 1 grey level and is ~4x faster; other uint8 images go through PIL with ``interp``
    (bit for bit as Detectron2); other dtypes through ``torch.nn.functional.interpolate``. Segmentation maps
    always use nearest sampling.

    Args:
        interp: a PIL resampling filter (``Image.BILINEAR`` by default).
    """

    def __init__(self, h: int, w: int, new_h: int, new_w: int, interp: Optional[int] = None) -> None:
        if interp is None:
            interp = Image.BILINEAR
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray, interp: Optional[int] = None) -> np.ndarray:
        if tuple(img.shape[:2]) != (self.h, self.w) and not (img.ndim == 4 and tuple(img.shape[1:3]) == (self.h, self.w)):
            raise ValueError(
                f"ResizeTransform was built for images of size {(self.h, self.w)} but got shape {img.shape}."
            )
        interp = self.interp if interp is None else interp
        if img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and interp == Image.BILINEAR:
            return _resize_rgb_uint8(img, self.new_h, self.new_w)
        if img.dtype == np.uint8 and img.ndim <= 3:
            single_channel = img.ndim == 3 and img.shape[2] == 1
            pil = Image.fromarray(img[:, :, 0] if single_channel else img)
            out = np.asarray(pil.resize((self.new_w, self.new_h), interp))
            return out[:, :, None] if single_channel else out
        mode = _torch_mode(interp, "ResizeTransform")
        t, shape = _to_nchw(img)
        align = None if mode == "nearest" else False
        t = F.interpolate(t.float() if not t.is_floating_point() else t, (self.new_h, self.new_w), mode=mode,
                          align_corners=align)
        spatial_axis = 0 if img.ndim <= 3 else 1
        shape[spatial_axis : spatial_axis + 2] = [self.new_h, self.new_w]
        return _from_nchw(t, shape, img.dtype)

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        coords = np.array(coords, dtype=np.float64 if np.asarray(coords).dtype == np.float64 else np.float32)
        coords[:, 0] *= self.new_w * 1.0 / self.w
        coords[:, 1] *= self.new_h * 1.0 / self.h
        return coords

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self.apply_image(segmentation, interp=Image.NEAREST)

    def apply_rotated_box(self, rotated_boxes: np.ndarray) -> np.ndarray:
        boxes = np.array(rotated_boxes, dtype=np.float64)
        sx, sy = self.new_w * 1.0 / self.w, self.new_h * 1.0 / self.h
        boxes[:, 0] *= sx
        boxes[:, 1] *= sy
        theta = boxes[:, 4] * np.pi / 180.0
        c, s = np.cos(theta), np.sin(theta)
        # Anisotropic scaling changes both the box sides and its angle.
        boxes[:, 2] *= np.sqrt(np.square(sx * c) + np.square(sy * s))
        boxes[:, 3] *= np.sqrt(np.square(sx * s) + np.square(sy * c))
        boxes[:, 4] = np.arctan2(sx * s, sy * c) * 180 / np.pi
        return boxes

    def inverse(self) -> Transform:
        return ResizeTransform(self.new_h, self.new_w, self.h, self.w, self.interp)


class ExtentTransform(Transform):
    """Map the source rectangle ``src_rect = (x0, y0, x1, y1)`` onto an output image of ``output_size = (h, w)``.

    Parts of ``src_rect`` outside the image are filled with ``fill``.
    """

    def __init__(
        self, src_rect: tuple[float, float, float, float], output_size: tuple[int, int], interp: int = Image.BILINEAR,
        fill: int = 0,
    ) -> None:
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray, interp: Optional[int] = None) -> np.ndarray:
        h, w = self.output_size
        single_channel = img.ndim == 3 and img.shape[2] == 1
        pil = Image.fromarray(img[:, :, 0] if single_channel else img)
        pil = pil.transform(
            size=(w, h), method=Image.EXTENT, data=tuple(float(v) for v in self.src_rect),
            resample=self.interp if interp is None else interp, fill=self.fill,
        )
        out = np.asarray(pil)
        return out[:, :, None] if single_channel else out

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        h, w = self.output_size
        x0, y0, x1, y1 = self.src_rect
        out = np.array(coords, dtype=np.float32)
        out[:, 0] = (out[:, 0] - 0.5 * (x0 + x1)) * (w / (x1 - x0)) + 0.5 * w
        out[:, 1] = (out[:, 1] - 0.5 * (y0 + y1)) * (h / (y1 - y0)) + 0.5 * h
        return out

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self.apply_image(segmentation, interp=Image.NEAREST)


def _rotation_matrix(center: tuple[float, float], angle: float) -> np.ndarray:
    """2x3 matrix rotating by ``angle`` degrees counter-clockwise (as seen on screen, y down) about ``center``."""
    a, b = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    cx, cy = center
    return np.array([[a, b, (1 - a) * cx - b * cy], [-b, a, b * cx + (1 - a) * cy]], dtype=np.float64)


def _warp_affine(img: np.ndarray, matrix: np.ndarray, out_hw: tuple[int, int], interp: int) -> np.ndarray:
    """Warp ``img`` with the 2x3 forward ``matrix`` (input coords -> output coords); outside pixels become 0.

    Written with ``grid_sample`` since OpenCV is not a dependency; works for any dtype and channel count.
    """
    out_h, out_w = out_hw
    in_h, in_w = img.shape[:2]
    inv = np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]  # output -> input
    ys, xs = np.meshgrid(np.arange(out_h) + 0.5, np.arange(out_w) + 0.5, indexing="ij")  # pixel centres
    src_x = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
    src_y = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
    # align_corners=False: normalized -1/+1 are the outer edges of the border pixels.
    grid = np.stack([src_x / in_w * 2 - 1, src_y / in_h * 2 - 1], axis=-1)
    grid_t = torch.from_numpy(grid).to(torch.float64)[None]
    t, shape = _to_nchw(img)
    mode = _torch_mode(interp, "RotationTransform")
    out = F.grid_sample(t.to(torch.float64), grid_t.expand(t.shape[0], -1, -1, -1), mode=mode,
                        padding_mode="zeros", align_corners=False)
    shape[:2] = [out_h, out_w]
    return _from_nchw(out, shape, img.dtype)


class RotationTransform(Transform):
    """Rotate an ``h x w`` image by ``angle`` degrees counter-clockwise about ``center``.

    Args:
        expand: grow the output so the whole rotated image fits (its centre lands at the output's centre).
        center: (x, y) in absolute pixels; the image centre by default.
        interp: PIL resampling constant, ``Image.BILINEAR`` by default (NEAREST / BILINEAR / BICUBIC).
    """

    def __init__(
        self, h: int, w: int, angle: float, expand: bool = True, center: Optional[tuple[float, float]] = None,
        interp: Optional[int] = None,
    ) -> None:
        image_center = np.array((w / 2, h / 2))
        if center is None:
            center = image_center
        if interp is None:
            interp = Image.BILINEAR
        abs_cos, abs_sin = abs(np.cos(np.deg2rad(angle))), abs(np.sin(np.deg2rad(angle)))
        if expand:
            bound_w, bound_h = np.rint([h * abs_sin + w * abs_cos, h * abs_cos + w * abs_sin]).astype(int)
        else:
            bound_w, bound_h = w, h
        self._set_attributes(locals())
        self.bound_w, self.bound_h = int(bound_w), int(bound_h)
        self.rm_coords = self.create_rotation_matrix()

    def create_rotation_matrix(self) -> np.ndarray:
        """The 2x3 affine matrix of this rotation (about ``center``, shifted onto the enlarged canvas if expand)."""
        rm = _rotation_matrix((float(self.center[0]), float(self.center[1])), self.angle)
        if self.expand:
            # Shift so the rotated image centre lands at the centre of the enlarged canvas.
            rot_center = rm[:, :2] @ self.image_center + rm[:, 2]
            rm[:, 2] += np.array([self.bound_w / 2, self.bound_h / 2]) - rot_center
        return rm

    def apply_image(self, img: np.ndarray, interp: Optional[int] = None) -> np.ndarray:
        if len(img) == 0 or self.angle % 360 == 0:
            return img
        if tuple(img.shape[:2]) != (self.h, self.w):
            raise ValueError(f"RotationTransform was built for size {(self.h, self.w)} but got shape {img.shape}.")
        return _warp_affine(img, self.rm_coords, (self.bound_h, self.bound_w), self.interp if interp is None else interp)

    def apply_coords(self, coords: np.ndarray) -> np.ndarray:
        coords = np.asarray(coords, dtype=np.float64)
        if len(coords) == 0 or self.angle % 360 == 0:
            return coords.copy()
        return coords @ self.rm_coords[:, :2].T + self.rm_coords[:, 2]

    def apply_segmentation(self, segmentation: np.ndarray) -> np.ndarray:
        return self.apply_image(segmentation, interp=Image.NEAREST)

    def apply_rotated_box(self, rotated_boxes: np.ndarray) -> np.ndarray:
        boxes = np.array(rotated_boxes, dtype=np.float64)
        boxes[:, :2] = self.apply_coords(boxes[:, :2])
        boxes[:, 4] += self.angle
        return boxes

    def inverse(self) -> Transform:
        if not self.expand:
            raise NotImplementedError("RotationTransform.inverse() is only defined for expand=True.")
        rotation = RotationTransform(self.bound_h, self.bound_w, -self.angle, True, None, self.interp)
        crop = CropTransform((rotation.bound_w - self.w) // 2, (rotation.bound_h - self.h) // 2, self.w, self.h)
        return TransformList([rotation, crop])


class ColorTransform(_PixelTransform):
    """Apply ``op(image) -> image`` to the pixels only; geometry and segmentation pass through."""

    def __init__(self, op: Callable[[np.ndarray], np.ndarray]) -> None:
        if not callable(op):
            raise TypeError(f"ColorTransform needs a callable op(image) -> image, got {op!r}.")
        self._set_attributes(locals())

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return self.op(img)


class PILColorTransform(ColorTransform):
    """Like :class:`ColorTransform` but ``op`` takes and returns a ``PIL.Image`` (e.g. ``ImageEnhance`` ops)."""

    def apply_image(self, img: np.ndarray) -> np.ndarray:
        return np.asarray(self.op(Image.fromarray(img)))
