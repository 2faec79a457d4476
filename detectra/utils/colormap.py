"""A fixed palette of distinct colours, so every class keeps its colour across images and runs."""

from __future__ import annotations

import colorsys

import numpy as np

__all__ = ["colormap", "random_color", "random_colors", "class_color"]


def _build_palette(n: int = 80) -> np.ndarray:
    """`n` colours spread around the hue circle by the golden ratio, alternating saturation and value so that
    neighbouring indices stay distinguishable. (n, 3) float32 RGB in [0, 1]."""
    golden = 0.618033988749895
    colors = []
    for i in range(n):
        hue = (i * golden) % 1.0
        sat = (0.85, 0.6, 0.95)[i % 3]
        val = (0.95, 0.75, 0.55)[(i // 3) % 3]
        colors.append(colorsys.hsv_to_rgb(hue, sat, val))
    return np.asarray(colors, dtype=np.float32)


_COLORS = _build_palette()  # Detectron2's name for its palette array; custom visualizers import it


def colormap(rgb: bool = False, maximum: float = 255) -> np.ndarray:
    """The palette as an (80, 3) float32 array scaled to [0, maximum]; BGR unless `rgb`."""
    c = _COLORS * maximum
    return c if rgb else c[:, ::-1].copy()


def class_color(index: int, rgb: bool = True, maximum: float = 1.0) -> np.ndarray:
    """The palette colour of class `index` (wrapping around), RGB in [0, maximum] by default."""
    c = _COLORS[int(index) % len(_COLORS)] * maximum
    return c if rgb else c[::-1].copy()


def random_color(rgb: bool = False, maximum: float = 255) -> np.ndarray:
    """One palette colour picked at random (numpy's global RNG)."""
    c = _COLORS[np.random.randint(0, len(_COLORS))] * maximum
    return c if rgb else c[::-1].copy()


def random_colors(n: int, rgb: bool = False, maximum: float = 255) -> list[np.ndarray]:
    """`n` distinct palette colours in random order (repeating once the palette is exhausted)."""
    indices = np.random.permutation(max(n, len(_COLORS)))[:n] % len(_COLORS)
    out = [_COLORS[i] * maximum for i in indices]
    return out if rgb else [c[::-1].copy() for c in out]
