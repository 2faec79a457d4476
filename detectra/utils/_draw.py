"""Raster drawing primitives for the Visualizer: colours, alpha blending of masks and strokes, dashed lines, text.

Everything works on a PIL RGB canvas in output-image pixels; blending is done in numpy so that partially transparent
shapes compose exactly (alpha * colour + (1 - alpha) * canvas), which the pixel tests rely on.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Sequence, Union

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

Color = Union[str, Sequence[float]]

# matplotlib line styles as (dash, gap) lengths in multiples of the line width; None = solid.
_DASHES = {"-": None, "solid": None, "--": (3.7, 1.6), "dashed": (3.7, 1.6), ":": (1.0, 1.65), "dotted": (1.0, 1.65),
           "-.": (6.4, 1.6), "dashdot": (6.4, 1.6)}  # fmt: skip


def as_numpy(x: Any) -> np.ndarray:
    """Tensor (any device) / array / list -> numpy array."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


@functools.lru_cache(maxsize=16)
def font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=max(int(size), 1))


def to_rgb(color: Color) -> tuple[float, float, float]:
    """A matplotlib colour (name such as "g" / "white", hex string, or RGB(A) floats in [0, 1]) -> RGB floats."""
    if isinstance(color, str):
        from matplotlib import colors as mplc  # only strings need matplotlib's colour table

        return tuple(float(c) for c in mplc.to_rgb(color))  # type: ignore[return-value]
    arr = np.asarray(color, dtype=np.float64).ravel()
    if arr.size < 3:
        raise ValueError(f"A colour needs 3 RGB values in [0, 1] or a matplotlib colour name, got {color!r}.")
    return tuple(float(c) for c in arr[:3])  # type: ignore[return-value]


def to_rgb255(color: Color) -> tuple[int, int, int]:
    return tuple(int(round(min(max(c, 0.0), 1.0) * 255)) for c in to_rgb(color))  # type: ignore[return-value]


def darker(color: Color, factor: float = 0.6) -> tuple[float, float, float]:
    return tuple(c * factor for c in to_rgb(color))  # type: ignore[return-value]


def change_color_brightness(color: Color, brightness_factor: float) -> tuple[float, float, float]:
    """Lighter (factor in (0, 1]) or darker (factor in [-1, 0)) version of `color`, in HLS lightness."""
    import colorsys

    if not -1.0 <= brightness_factor <= 1.0:
        raise ValueError(f"brightness_factor must be in [-1, 1], got {brightness_factor}.")
    h, lightness, s = colorsys.rgb_to_hls(*to_rgb(color))
    lightness = min(max(lightness + brightness_factor * lightness, 0.0), 1.0)
    return tuple(min(max(c, 0.0), 1.0) for c in colorsys.hls_to_rgb(h, lightness, s))  # type: ignore[return-value]


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H, W) bool mask -> (height, width) bool, nearest neighbour."""
    if mask.shape == (height, width):
        return mask
    img = Image.fromarray(mask.astype(np.uint8) * 255).resize((width, height), Image.NEAREST)
    return np.asarray(img) > 127


def mask_edges(mask: np.ndarray) -> np.ndarray:
    """Pixels of `mask` with at least one 4-neighbour outside it (a 1-pixel outline, no OpenCV needed)."""
    padded = np.pad(mask, 1, constant_values=False)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~interior


def blend(canvas: Image.Image, weight: np.ndarray, color: Color) -> Image.Image:
    """canvas * (1 - weight) + color * weight, per pixel; `weight` is (H, W) float in [0, 1] or bool."""
    out = np.asarray(canvas).astype(np.float32)
    w = np.clip(np.asarray(weight, dtype=np.float32), 0.0, 1.0)
    touched = w > 0
    rgb = np.asarray(to_rgb255(color), dtype=np.float32)
    ww = w[touched][:, None]
    out[touched] = out[touched] * (1.0 - ww) + rgb * ww
    return Image.fromarray(out.round().astype(np.uint8))


def stroke(canvas: Image.Image, paint: Callable[[ImageDraw.ImageDraw], Any], color: Color, alpha: float) -> Image.Image:
    """Run `paint(draw)` on a coverage layer (fill 255 = covered) and blend `color` there with opacity `alpha`.

    Opaque strokes are drawn straight onto the canvas; translucent ones go through the layer so that overlapping
    parts of one shape are not blended twice.
    """
    if alpha >= 1.0:
        paint(_ColorDraw(ImageDraw.Draw(canvas), to_rgb255(color)))
        return canvas
    layer = Image.new("L", canvas.size, 0)
    paint(_ColorDraw(ImageDraw.Draw(layer), 255))
    return blend(canvas, (np.asarray(layer) > 0) * float(alpha), color)


class _ColorDraw:
    """An ImageDraw whose shape calls fill with a fixed colour, so one `paint` serves the canvas and the layer."""

    def __init__(self, draw: ImageDraw.ImageDraw, fill: Any):
        self._draw, self._fill = draw, fill

    def line(self, xy: Sequence[tuple[float, float]], width: int = 1) -> None:
        self._draw.line(list(xy), fill=self._fill, width=max(int(round(width)), 1), joint="curve")

    def polygon(self, xy: Sequence[tuple[float, float]]) -> None:
        self._draw.polygon(list(xy), fill=self._fill)

    def ellipse(self, box: Sequence[float]) -> None:
        self._draw.ellipse(list(box), fill=self._fill)


def polyline_segments(
    points: Sequence[tuple[float, float]], width: float, line_style: str = "-"
) -> list[list[tuple[float, float]]]:
    """Split a polyline into the pieces that a matplotlib `line_style` ("-", "--", ":", "-.") draws."""
    if line_style not in _DASHES:
        raise ValueError(f"Unknown line style {line_style!r}; use one of {sorted(_DASHES)}.")
    pattern = _DASHES[line_style]
    if pattern is None or len(points) < 2:
        return [list(points)]
    on, off = pattern[0] * max(width, 1.0), pattern[1] * max(width, 1.0)
    pieces: list[list[tuple[float, float]]] = []
    phase, drawing, current = 0.0, True, [tuple(points[0])]
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while pos < length:
            step = min((on if drawing else off) - phase, length - pos)
            pos += step
            phase += step
            point = (x0 + (x1 - x0) * pos / length, y0 + (y1 - y0) * pos / length)
            if drawing:
                current.append(point)
            if phase >= (on if drawing else off) - 1e-9:
                if drawing:
                    pieces.append(current)
                drawing, phase, current = not drawing, 0.0, [point]
    if drawing and len(current) > 1:
        pieces.append(current)
    return pieces


def text_image(text: str, size: int, color: Color, background: Color | None, rotation: float) -> Image.Image:
    """`text` rendered on a transparent RGBA tile (with an opaque background box if given), rotated CCW."""
    fnt = font(size)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=fnt)
    tile = Image.new("RGBA", (right - left + 4, bottom - top + 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tile)
    if background is not None:
        draw.rectangle([0, 0, tile.width - 1, tile.height - 1], fill=to_rgb255(background) + (255,))
    draw.text((2 - left, 2 - top), text, font=fnt, fill=to_rgb255(color) + (255,))
    if rotation:
        tile = tile.rotate(rotation, expand=True, resample=Image.BICUBIC)
    return tile
