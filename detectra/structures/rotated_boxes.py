"""`RotatedBoxes`: boxes with an angle, (cx, cy, w, h, angle in degrees)."""
import math
from typing import Tuple

import torch

from detectra.layers.rotated_boxes import pairwise_iou_rotated

from .boxes import Boxes

__all__ = ["RotatedBoxes", "pairwise_iou"]


class RotatedBoxes(Boxes):
    """N rotated boxes stored as Tensor[N, 5] of (x_center, y_center, width, height, angle).

    The angle is in degrees, counter-clockwise in the image (y pointing down), in (-180, 180] after
    `normalize_angles`. A box rotated by 180 degrees is the same box; its "front" edge is what flips.

    Attributes:
        tensor (Tensor[N, 5]).
    """

    box_dim: int = 5

    def area(self) -> torch.Tensor:
        """Returns Tensor[N]: w * h."""
        return self.tensor[:, 2] * self.tensor[:, 3]

    def normalize_angles(self) -> None:
        """Bring angles (in place) into [-180, 180)."""
        self.tensor[:, 4] = (self.tensor[:, 4] + 180.0) % 360.0 - 180.0

    def clip(self, box_size: Tuple[int, int], clip_angle_threshold: float = 1.0) -> None:
        """Clip (in place) the nearly horizontal boxes to the image.

        Only boxes whose |angle| <= clip_angle_threshold (degrees) are clipped, as axis-aligned boxes; clipping a
        truly rotated box has no single right answer, so those are left untouched.

        Args:
            box_size: (height, width).
            clip_angle_threshold: in degrees.
        """
        h, w = box_size
        self.normalize_angles()
        idx = torch.where(torch.abs(self.tensor[:, 4]) <= clip_angle_threshold)[0]
        x1 = self.tensor[idx, 0] - self.tensor[idx, 2] / 2.0
        y1 = self.tensor[idx, 1] - self.tensor[idx, 3] / 2.0
        x2 = self.tensor[idx, 0] + self.tensor[idx, 2] / 2.0
        y2 = self.tensor[idx, 1] + self.tensor[idx, 3] / 2.0
        x1.clamp_(min=0, max=w)
        y1.clamp_(min=0, max=h)
        x2.clamp_(min=0, max=w)
        y2.clamp_(min=0, max=h)
        self.tensor[idx, 0] = (x1 + x2) / 2.0
        self.tensor[idx, 1] = (y1 + y2) / 2.0
        # min() so that float error never makes a clipped box larger
        self.tensor[idx, 2] = torch.min(self.tensor[idx, 2], x2 - x1)
        self.tensor[idx, 3] = torch.min(self.tensor[idx, 3], y2 - y1)

    def nonempty(self, threshold: float = 0.0) -> torch.Tensor:
        """Returns Tensor[N] bool: True where width and height are both > threshold."""
        return (self.tensor[:, 2] > threshold) & (self.tensor[:, 3] > threshold)

    def inside_box(self, box_size: Tuple[int, int], boundary_threshold: int = 0) -> torch.Tensor:
        """Returns Tensor[N] bool: True where the box's axis-aligned envelope is inside the (height, width) image,
        allowing `boundary_threshold` pixels outside."""
        height, width = box_size
        cnt_x, cnt_y = self.tensor[..., 0], self.tensor[..., 1]
        half_w, half_h = self.tensor[..., 2] / 2.0, self.tensor[..., 3] / 2.0
        a = self.tensor[..., 4]
        c = torch.abs(torch.cos(a * math.pi / 180.0))
        s = torch.abs(torch.sin(a * math.pi / 180.0))
        max_rect_dx = c * half_w + s * half_h
        max_rect_dy = c * half_h + s * half_w
        t = boundary_threshold
        return (
            (cnt_x - max_rect_dx >= -t)
            & (cnt_y - max_rect_dy >= -t)
            & (cnt_x + max_rect_dx < width + t)
            & (cnt_y + max_rect_dy < height + t)
        )

    def get_centers(self) -> torch.Tensor:
        """Returns Tensor[N, 2]: (x, y) centers."""
        return self.tensor[:, :2]

    def scale(self, scale_x: float, scale_y: float) -> None:
        """Scale (in place) by different factors along x and y.

        A rotated rectangle scaled anisotropically is a parallelogram; as Detectron2, the result is the rectangle
        whose sides are the scaled images of the original sides (exact for scale_x == scale_y or angles that are
        multiples of 90 degrees).
        """
        self.tensor[:, 0] *= scale_x
        self.tensor[:, 1] *= scale_y
        theta = self.tensor[:, 4] * math.pi / 180.0
        c = torch.cos(theta)
        s = torch.sin(theta)
        # the width side is (w cos, -w sin) and the height side (h sin, h cos) in image coordinates
        self.tensor[:, 2] *= torch.sqrt((scale_x * c) ** 2 + (scale_y * s) ** 2)
        self.tensor[:, 3] *= torch.sqrt((scale_x * s) ** 2 + (scale_y * c) ** 2)
        self.tensor[:, 4] = torch.atan2(scale_x * s, scale_y * c) * 180 / math.pi


def pairwise_iou(boxes1: RotatedBoxes, boxes2: RotatedBoxes) -> torch.Tensor:
    """IoU between every pair of rotated boxes.

    Returns:
        Tensor[N, M].
    """
    return pairwise_iou_rotated(boxes1.tensor, boxes2.tensor)
