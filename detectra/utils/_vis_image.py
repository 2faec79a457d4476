"""`VisImage`: the RGB canvas that `Visualizer` and its drawing primitives draw on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["VisImage"]


class VisImage:
    """An RGB image being drawn on, at `scale` times the size of the input image."""

    def __init__(self, img: np.ndarray, scale: float = 1.0):
        """
        Args:
            img: (H, W, 3) RGB image, uint8 in [0, 255] (floats are clipped and cast).
            scale: output size relative to the input.
        """
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"VisImage expects an (H, W, 3) RGB image, got shape {tuple(img.shape)}.")
        self.img = np.clip(img, 0, 255).astype(np.uint8)
        self.scale = scale
        h, w = self.img.shape[:2]
        self.width, self.height = max(int(round(w * scale)), 1), max(int(round(h * scale)), 1)
        pil = Image.fromarray(self.img)
        if (self.width, self.height) != (w, h):
            pil = pil.resize((self.width, self.height), Image.BILINEAR)
        self.canvas = pil

    def reset_image(self, img: np.ndarray) -> None:
        """Replace the drawing with `img`, an (H * scale, W * scale, 3) RGB array (e.g. a greyed-out copy)."""
        img = np.clip(np.asarray(img), 0, 255).astype(np.uint8)
        if img.shape[:2] != (self.height, self.width):
            raise ValueError(f"reset_image expects shape {(self.height, self.width, 3)}, got {img.shape}.")
        self.canvas = Image.fromarray(img[:, :, :3])

    def get_image(self) -> np.ndarray:
        """The drawing as an (H * scale, W * scale, 3) uint8 RGB array."""
        return np.asarray(self.canvas).copy()

    def save(self, filepath: str | Path) -> None:
        """Write the drawing; the format follows the extension (.png, .jpg, ...), JPEG at quality 95."""
        path = Path(filepath)
        path.parent.mkdir(parents=True, exist_ok=True)
        # PIL's default JPEG quality (75) smears the thin outlines and small label text
        options = {"quality": 95} if path.suffix.lower() in (".jpg", ".jpeg") else {}
        self.canvas.save(path, **options)
