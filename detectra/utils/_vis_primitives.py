"""Drawing primitives of the Visualizer (text, boxes, rotated boxes, lines, discs, polygons, masks).

A mixin so that `visualizer.py` keeps the high-level drawing (instances, dataset dicts, segmentation) and this file
the shapes; both work on `self.output` (a `VisImage`) in input-image coordinates scaled by `self._scale`.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from PIL import Image

from . import _draw
from ._draw import Color, change_color_brightness, darker, resize_mask, to_rgb
from ._draw import as_numpy as _as_numpy
from ._generic_mask import mask_to_polygons
from ._vis_image import VisImage
from .colormap import random_color

# In pixels of the output image: smaller rotated boxes get thinner outlines, smaller instances their label above the
# box. Detectron2's name (custom visualizers import it from detectron2.utils.visualizer).
_SMALL_OBJECT_AREA_THRESH = 1000


def _drop_small_regions(mask: np.ndarray, min_area: float) -> np.ndarray:
    """`mask` without the connected regions whose outer boundary encloses fewer than `min_area` pixels."""
    from pycocotools import mask as mask_util

    small = []
    for poly in mask_to_polygons(mask)[0]:
        x, y = poly[0::2], poly[1::2]
        area = 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))  # > 0: outer boundary
        if 0 < area < min_area:
            small.append(poly.tolist())
    if not small:
        return mask
    h, w = mask.shape
    # Traced boundaries follow pixel edges, so rasterising them gives back exactly the region's pixels.
    covered = mask_util.decode(mask_util.merge(mask_util.frPyObjects(small, h, w))).astype(bool)
    return mask & ~covered


class _PrimitivesMixin:
    """Needs `self.output` (VisImage), `self._scale`, `self._default_font_size` and `self._line_width`."""

    output: Any
    _scale: float
    _default_font_size: int
    _line_width: int

    def draw_text(
        self,
        text: str,
        position: Sequence[float],
        *,
        font_size: float | None = None,
        color: Color = "g",
        horizontal_alignment: str = "center",
        rotation: float = 0,
        background: Color | None = (0.0, 0.0, 0.0),
    ) -> VisImage:
        """Text whose top edge is at `position`, on a background box, kept inside the image.

        Args:
            text: the string.
            position: (x, y) of the top-left / top-centre / top-right corner, per `horizontal_alignment`
                ("left", "center" or "right").
            font_size: in output pixels; a size scaled to the image when None.
            color: text colour; brightened as in Detectron2 so that dark colours stay readable.
            rotation: counter-clockwise, in degrees.
            background: colour of the box behind the text, or None for none (a detectra addition).
        """
        if horizontal_alignment not in ("left", "center", "right"):
            raise ValueError(f"horizontal_alignment must be 'left', 'center' or 'right', got {horizontal_alignment!r}.")
        rgb = np.maximum(np.asarray(to_rgb(color)), 0.2)
        rgb[np.argmax(rgb)] = max(0.8, float(np.max(rgb)))
        tile = _draw.text_image(text, int(round(font_size or self._default_font_size)), rgb, background, rotation)
        x, y = position[0] * self._scale, position[1] * self._scale
        x -= {"left": 0.0, "center": tile.width / 2, "right": float(tile.width)}[horizontal_alignment]
        x = int(round(min(max(x, 0), max(self.output.width - tile.width, 0))))
        y = int(round(min(max(y, 0), max(self.output.height - tile.height, 0))))
        self.output.canvas.paste(tile, (x, y), tile)
        return self.output

    def draw_box(
        self, box_coord: Sequence[float], alpha: float = 0.5, edge_color: Color = "g", line_style: str = "-"
    ) -> VisImage:
        """Outline an XYXY box with opacity `alpha`."""
        x0, y0, x1, y1 = (float(v) * self._scale for v in box_coord[:4])
        x1, y1 = max(x1, x0), max(y1, y0)
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        self._stroke_polyline(corners, edge_color, self._line_width, line_style, alpha)
        return self.output

    def draw_rotated_box_with_label(
        self,
        rotated_box: Sequence[float],
        alpha: float = 0.5,
        edge_color: Color = "g",
        line_style: str = "-",
        label: str | None = None,
    ) -> VisImage:
        """Outline a rotated box; its top edge (before rotation) is dashed to show which way the box faces.

        Args:
            rotated_box: (cx, cy, w, h, angle), angle in degrees counter-clockwise (y pointing down).
            alpha: unused, kept for Detectron2's signature (the outline is opaque there as well).
            edge_color, line_style: outline colour and matplotlib line style.
            label: text drawn at the box's top-left corner, rotated with the box.
        """
        cnt_x, cnt_y, w, h, angle = (float(v) for v in rotated_box)
        small = w * h * self._scale**2 < _SMALL_OBJECT_AREA_THRESH
        width = max(self._default_font_size / (6 if small else 3), 1.0)
        theta = math.radians(angle)
        c, s = math.cos(theta), math.sin(theta)
        rect = [(-w / 2, h / 2), (-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2)]
        corners = [(s * yy + c * xx + cnt_x, c * yy - s * xx + cnt_y) for xx, yy in rect]
        for k in range(4):
            (xa, ya), (xb, yb) = corners[k], corners[(k + 1) % 4]
            self.draw_line([xa, xb], [ya, yb], color=edge_color, linestyle="--" if k == 1 else line_style,
                           linewidth=width)  # fmt: skip
        if label is not None:
            height_ratio = h / np.sqrt(self.output.height * self.output.width)
            font_size = np.clip((height_ratio - 0.02) / 0.08 + 1, 1.2, 2) * 0.5 * self._default_font_size
            self.draw_text(label, corners[1], color=change_color_brightness(edge_color, 0.7), font_size=font_size,
                           rotation=angle, horizontal_alignment="left")  # fmt: skip
        return self.output

    def draw_circle(self, circle_coord: Sequence[float], color: Color, radius: float = 3) -> VisImage:
        """A filled disc of `radius` input pixels."""
        r = radius * self._scale
        x, y = circle_coord[0] * self._scale, circle_coord[1] * self._scale
        self.output.canvas = _draw.stroke(self.output.canvas, lambda d: d.ellipse([x - r, y - r, x + r, y + r]),
                                          color, 1.0)  # fmt: skip
        return self.output

    def draw_line(
        self,
        x_data: Sequence[float],
        y_data: Sequence[float],
        color: Color,
        linestyle: str = "-",
        linewidth: float | None = None,
    ) -> VisImage:
        """A polyline through the points (x_data[i], y_data[i]) (two points for a segment).

        Args:
            linestyle: matplotlib style: "-", "--", ":" or "-.".
            linewidth: in output pixels; scaled to the image when None.
        """
        if len(x_data) != len(y_data):
            raise ValueError(f"draw_line got {len(x_data)} x values and {len(y_data)} y values.")
        points = [(float(x) * self._scale, float(y) * self._scale) for x, y in zip(x_data, y_data)]
        self._stroke_polyline(points, color, linewidth or self._line_width, linestyle, 1.0)
        return self.output

    def draw_polygon(
        self, segment: Any, color: Color, edge_color: Color | None = None, alpha: float = 0.5
    ) -> VisImage:
        """Fill a polygon with opacity `alpha` and outline it (opaque).

        Args:
            segment: (K, 2) vertices (x, y), or flat [x0, y0, x1, y1, ...].
            edge_color: outline colour; `color` itself, or a much darker shade when alpha > 0.8.
        """
        pts = _as_numpy(segment).astype(np.float64).reshape(-1, 2) * self._scale
        if len(pts) < 3:
            raise ValueError(f"A polygon needs at least 3 vertices, got {len(pts)}.")
        if edge_color is None:
            edge_color = change_color_brightness(color, -0.7) if alpha > 0.8 else color
        xy = [tuple(p) for p in pts.tolist()]
        self.output.canvas = _draw.stroke(self.output.canvas, lambda d: d.polygon(xy), color, alpha)
        width = max(self._default_font_size // 15 * self._scale, 1)
        self._stroke_polyline(xy + [xy[0]], edge_color, width, "-", 1.0)
        return self.output

    def draw_binary_mask(
        self,
        binary_mask: Any,
        color: Color | None = None,
        *,
        edge_color: Color | None = None,
        text: str | None = None,
        alpha: float = 0.5,
        area_threshold: int | None = 10,
    ) -> VisImage:
        """Blend an (H, W) mask over the image with opacity `alpha`, outline it, optionally label its centre.

        Connected regions (8-connected) of fewer than `area_threshold` pixels are left out, as Detectron2 drops
        small polygons. A random palette colour when `color` is None; the outline is a darker shade of it when
        `edge_color` is None.
        """
        mask = _as_numpy(binary_mask).astype(bool)
        if area_threshold is not None and area_threshold > 1 and mask.any():
            mask = _drop_small_regions(mask, area_threshold)
        if not mask.any():
            return self.output
        color = to_rgb(color) if color is not None else tuple(random_color(rgb=True, maximum=1))
        mask = resize_mask(mask, self.output.width, self.output.height)
        canvas = _draw.blend(self.output.canvas, mask * float(alpha), color)
        edge = _draw.mask_edges(mask)
        self.output.canvas = _draw.blend(canvas, edge, edge_color if edge_color is not None else darker(color))
        if text is not None:
            self._draw_text_in_mask(mask, text, color)
        return self.output

    def draw_soft_mask(
        self, soft_mask: Any, color: Color | None = None, *, text: str | None = None, alpha: float = 0.5
    ) -> VisImage:
        """Blend `color` with per-pixel opacity `soft_mask * alpha`.

        Args:
            soft_mask: (H, W) float in [0, 1], e.g. a mask probability map.
            color: a random palette colour when None.
            text: label drawn inside the region where soft_mask > 0.5.
        """
        soft = np.clip(_as_numpy(soft_mask).astype(np.float32), 0.0, 1.0)
        if soft.ndim != 2:
            raise ValueError(f"draw_soft_mask expects an (H, W) map, got shape {soft.shape}.")
        color = to_rgb(color) if color is not None else tuple(random_color(rgb=True, maximum=1))
        if soft.shape != (self.output.height, self.output.width):
            soft = np.asarray(Image.fromarray(soft, mode="F").resize((self.output.width, self.output.height),
                                                                      Image.BILINEAR))  # fmt: skip
        self.output.canvas = _draw.blend(self.output.canvas, soft * float(alpha), color)
        if text is not None:
            self._draw_text_in_mask(soft > 0.5, text, color)
        return self.output

    # ---- helpers -------------------------------------------------------------------------------------------

    def _stroke_polyline(
        self, points: list[tuple[float, float]], color: Color, width: float, line_style: str, alpha: float
    ) -> None:
        pieces = _draw.polyline_segments(points, width, line_style)

        def paint(draw: Any) -> None:
            for piece in pieces:
                draw.line(piece, width=width)

        self.output.canvas = _draw.stroke(self.output.canvas, paint, color, alpha)

    def _draw_text_in_mask(self, mask: np.ndarray, text: str, color: Color) -> None:
        """Label a mask (in output pixels) at its median pixel, which lies inside it for convex-ish shapes."""
        ys, xs = np.nonzero(mask)
        if xs.size == 0:
            return
        cx, cy = float(np.median(xs)) / self._scale, float(np.median(ys)) / self._scale
        self.draw_text(text, (cx, cy), color=(1.0, 1.0, 1.0), background=darker(color, 0.5))

    @staticmethod
    def _change_color_brightness(color: Color, brightness_factor: float) -> tuple[float, float, float]:
        return change_color_brightness(color, brightness_factor)

    def _create_grayscale_image(self, mask: np.ndarray | None = None) -> np.ndarray:
        """The current drawing in grey, except inside `mask` ((H, W) of the input image) where colour is kept."""
        grey = np.asarray(self.output.canvas.convert("L").convert("RGB")).copy()
        if mask is not None:
            keep = resize_mask(np.asarray(mask).astype(bool), self.output.width, self.output.height)
            grey[keep] = np.asarray(self.output.canvas)[keep]
        return grey
