"""`GenericMask`: one instance mask as polygons, an RLE or a bitmask, converting lazily between them.

Contours are traced without OpenCV by following the pixel cracks between mask and background (see
`mask_to_polygons`): the traced polygons run along pixel borders, so re-rasterising them with pycocotools gives back
exactly the original pixels (Detectron2 traces through pixel centres with OpenCV, which loses a half-pixel rim).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["GenericMask", "mask_to_polygons"]

# Direction codes in clockwise order on screen (y points down): a right turn is +1, a left turn is +3 (mod 4).
_E, _S, _W, _N = 0, 1, 2, 3


def mask_to_polygons(mask: np.ndarray) -> tuple[list[np.ndarray], bool]:
    """Trace the outer boundaries and holes of a binary mask.

    Mask pixels are 8-connected (as OpenCV's findContours), so pixels touching at a corner share one contour.

    Args:
        mask: (H, W) array, non-zero = inside.

    Returns:
        polygons: flat float arrays [x0, y0, x1, y1, ...] of corner points in continuous pixel coordinates
            (pixel (r, c) covers [c, c + 1] x [r, r + 1]); outer boundaries run clockwise on screen, holes
            counter-clockwise.
        has_holes: whether any contour is a hole.
    """
    m = np.pad(np.asarray(mask) != 0, 1)  # background border: every boundary closes
    inside = m[1:-1, 1:-1]
    width1 = m.shape[1] - 1  # corners per row of the padded-back image is W + 1
    rows, cols = np.nonzero(inside)
    if rows.size == 0:
        return [], False
    # One directed crack per (pixel, background neighbour), oriented so that the pixel is on its right.
    starts, dirs = [], []
    for d, (dr, dc), (sx, sy) in (
        (_E, (-1, 0), (0, 0)),  # top edge, (c, r) -> (c + 1, r)
        (_S, (0, 1), (1, 0)),  # right edge, (c + 1, r) -> (c + 1, r + 1)
        (_W, (1, 0), (1, 1)),  # bottom edge, (c + 1, r + 1) -> (c, r + 1)
        (_N, (0, -1), (0, 1)),  # left edge, (c, r + 1) -> (c, r)
    ):
        sel = ~m[rows + 1 + dr, cols + 1 + dc]
        starts.append((rows[sel] + sy) * width1 + cols[sel] + sx)
        dirs.append(np.full(int(sel.sum()), d, dtype=np.int64))
    start = np.concatenate(starts)
    direction = np.concatenate(dirs)
    step = np.array([1, width1, -1, -width1])  # corner-index offset of one step E, S, W, N
    end = start + step[direction]

    # Successor of each crack: the crack leaving its end corner. A corner has two leaving cracks only where two
    # mask pixels touch diagonally; turning left there walks around both, which makes them 8-connected.
    order = np.argsort(start, kind="stable")
    sorted_starts = start[order]
    first = np.searchsorted(sorted_starts, end, side="left")
    count = np.searchsorted(sorted_starts, end, side="right") - first
    succ = order[first]
    two = np.nonzero(count == 2)[0]
    if two.size:
        alt = order[first[two] + 1]
        want_left = (direction[two] + 3) % 4
        succ[two] = np.where(direction[succ[two]] == want_left, succ[two], alt)

    succ_list = succ.tolist()
    seen = bytearray(len(succ_list))
    polygons, has_holes = [], False
    for e0 in range(len(succ_list)):
        if seen[e0]:
            continue
        cycle, e = [], e0
        while not seen[e]:
            seen[e] = 1
            cycle.append(e)
            e = succ_list[e]
        idx = np.asarray(cycle)
        d = direction[idx]
        corners = start[idx[d != np.roll(d, 1)]]  # keep only the corners where the direction turns
        xy = np.stack([corners % width1, corners // width1], axis=1).astype(np.float64)
        x, y = xy[:, 0], xy[:, 1]
        signed_area = 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
        has_holes |= signed_area < 0
        polygons.append(xy.ravel())
    return polygons, bool(has_holes)


class GenericMask:
    """One instance mask, built from any of Detectron2's mask formats; the other formats are computed on demand.

    Attributes:
        mask (ndarray[H, W] uint8), polygons (list of flat [x0, y0, ...] float arrays), has_holes (bool),
        height, width.
    """

    def __init__(self, mask_or_polygons: Any, height: int, width: int):
        """
        Args:
            mask_or_polygons: a list of polygons (each flat [x0, y0, x1, y1, ...] or (K, 2)), a COCO RLE dict
                (compressed or uncompressed counts), or an (H, W) binary mask (array or tensor).
            height, width: image size.
        """
        from pycocotools import mask as mask_util

        self._mask: np.ndarray | None = None
        self._polygons: list[np.ndarray] | None = None
        self._has_holes: bool | None = None
        self.height, self.width = int(height), int(width)

        m = mask_or_polygons
        if isinstance(m, dict):
            if "counts" not in m or "size" not in m:
                raise ValueError(f"An RLE mask needs 'counts' and 'size' keys, got keys {sorted(m)}.")
            if isinstance(m["counts"], list):  # uncompressed RLE
                h, w = m["size"]
                if (h, w) != (self.height, self.width):
                    raise ValueError(f"RLE size {(h, w)} does not match the image size {(self.height, self.width)}.")
                m = mask_util.frPyObjects(m, h, w)
            self._mask = mask_util.decode(m)[:, :]
            return
        if isinstance(m, list):
            self._polygons = [np.asarray(p, dtype=np.float64).reshape(-1) for p in m]
            return
        if isinstance(m, torch.Tensor):
            m = m.detach().cpu().numpy()
        if isinstance(m, np.ndarray):
            if m.shape != (self.height, self.width):
                raise ValueError(
                    f"A bitmask must have the image's shape {(self.height, self.width)}, got {m.shape}. "
                    "Pass polygons as a list of arrays."
                )
            self._mask = m.astype(np.uint8)
            return
        raise ValueError(f"GenericMask takes a polygon list, an RLE dict or an (H, W) array, got {type(m).__name__}.")

    @property
    def mask(self) -> np.ndarray:
        if self._mask is None:
            self._mask = self.polygons_to_mask(self._polygons)  # type: ignore[arg-type]
        return self._mask

    @property
    def polygons(self) -> list[np.ndarray]:
        if self._polygons is None:
            self._polygons, self._has_holes = self.mask_to_polygons(self._mask)  # type: ignore[arg-type]
        return self._polygons

    @property
    def has_holes(self) -> bool:
        if self._has_holes is None:
            if self._mask is not None:
                self._polygons, self._has_holes = self.mask_to_polygons(self._mask)
            else:
                self._has_holes = False  # polygons given by the user are read as outer boundaries
        return self._has_holes

    def mask_to_polygons(self, mask: np.ndarray) -> tuple[list[np.ndarray], bool]:
        """(polygons, has_holes) of a binary mask; see `mask_to_polygons`."""
        return mask_to_polygons(mask)

    def polygons_to_mask(self, polygons: list[np.ndarray]) -> np.ndarray:
        """Rasterise polygons (their union) with pycocotools; (H, W) uint8."""
        from detectra.structures.masks import polygons_to_bitmask  # it bounds far-out polygons' memory

        polys = [np.asarray(p, dtype=np.float64) for p in polygons if len(p) >= 6]
        return polygons_to_bitmask(polys, self.height, self.width).astype(np.uint8)

    def area(self) -> int:
        """Number of mask pixels."""
        return int(self.mask.sum())

    def bbox(self) -> np.ndarray:
        """Tight XYXY box of the polygons, float64 (4,); zeros for an empty mask."""
        from pycocotools import mask as mask_util

        polys = [p.tolist() for p in self.polygons if len(p) >= 6]
        if not polys:
            return np.zeros(4, dtype=np.float64)
        rle = mask_util.merge(mask_util.frPyObjects(polys, self.height, self.width))
        box = mask_util.toBbox(rle).astype(np.float64)  # XYWH
        box[2] += box[0]
        box[3] += box[1]
        return box
