"""Axis-aligned boxes (`Boxes`), box-mode conversion (`BoxMode`) and pairwise box math."""
import math
from enum import IntEnum, unique
from typing import Iterator, List, Tuple, Union

import numpy as np
import torch
from torchvision.ops import box_area

from detectra.layers.wrappers import is_exporting as _is_exporting
from detectra.layers.wrappers import known_true

__all__ = [
    "BoxMode",
    "Boxes",
    "pairwise_intersection",
    "pairwise_iou",
    "pairwise_ioa",
    "pairwise_point_box_distance",
    "matched_pairwise_iou",
]

_RawBoxType = Union[List[float], Tuple[float, ...], torch.Tensor, np.ndarray]


@unique
class BoxMode(IntEnum):
    """How a box is represented; the integer values match Detectron2's (they are stored in dataset dicts).

    - XYXY_ABS: (x0, y0, x1, y1) in absolute pixels.
    - XYWH_ABS: (x0, y0, w, h) in absolute pixels (COCO's format).
    - XYXY_REL, XYWH_REL: as above, relative to the image size (not supported by `convert`).
    - XYWHA_ABS: (xc, yc, w, h, a) in absolute pixels, `a` in degrees counter-clockwise.
    """

    XYXY_ABS = 0
    XYWH_ABS = 1
    XYXY_REL = 2
    XYWH_REL = 3
    XYWHA_ABS = 4

    @staticmethod
    def convert(box: _RawBoxType, from_mode: "BoxMode", to_mode: "BoxMode") -> _RawBoxType:
        """Convert boxes between modes.

        Args:
            box: one box as a list/tuple of 4 or 5 numbers, or a Tensor / ndarray of shape (N, 4) or (N, 5).
            from_mode, to_mode: `BoxMode` (or its int value).

        Returns:
            The converted box(es), in the same type as `box`.
        """
        from_mode, to_mode = BoxMode(from_mode), BoxMode(to_mode)
        if from_mode == to_mode:
            return box
        relative = (BoxMode.XYXY_REL, BoxMode.XYWH_REL)
        if from_mode in relative or to_mode in relative:
            raise NotImplementedError(
                f"BoxMode.convert from {from_mode.name} to {to_mode.name}: relative box modes are not supported; "
                "multiply by the image size first and use an *_ABS mode."
            )

        original_type = type(box)
        is_numpy = isinstance(box, np.ndarray)
        single_box = isinstance(box, (list, tuple))
        if single_box:
            if len(box) not in (4, 5):
                raise ValueError(
                    f"BoxMode.convert got a single box of length {len(box)}; a box is 4 numbers (or 5 for XYWHA_ABS)."
                )
            arr = torch.tensor(box)[None, :]
        elif is_numpy:
            arr = torch.from_numpy(np.asarray(box)).clone()
        else:
            arr = box.clone()

        if from_mode == BoxMode.XYWHA_ABS and to_mode == BoxMode.XYXY_ABS:
            if arr.shape[-1] != 5:
                raise ValueError(f"XYWHA_ABS boxes must have 5 values, got shape {tuple(arr.shape)}.")
            dtype = arr.dtype
            arr = arr.double()
            w, h, a = arr[:, 2], arr[:, 3], arr[:, 4]
            c = torch.abs(torch.cos(a * math.pi / 180.0))
            s = torch.abs(torch.sin(a * math.pi / 180.0))
            # the axis-aligned box enclosing the rotated one
            new_w = c * w + s * h
            new_h = c * h + s * w
            x0 = arr[:, 0] - new_w / 2.0
            y0 = arr[:, 1] - new_h / 2.0
            arr = torch.stack([x0, y0, x0 + new_w, y0 + new_h], dim=1).to(dtype=dtype)
        elif from_mode == BoxMode.XYWH_ABS and to_mode == BoxMode.XYWHA_ABS:
            dtype = arr.dtype
            arr = arr.double()
            arr[:, 0] += arr[:, 2] / 2.0
            arr[:, 1] += arr[:, 3] / 2.0
            angles = torch.zeros((arr.shape[0], 1), dtype=arr.dtype)
            arr = torch.cat((arr, angles), dim=1).to(dtype=dtype)
        elif from_mode == BoxMode.XYWH_ABS and to_mode == BoxMode.XYXY_ABS:
            arr[:, 2] += arr[:, 0]
            arr[:, 3] += arr[:, 1]
        elif from_mode == BoxMode.XYXY_ABS and to_mode == BoxMode.XYWH_ABS:
            arr[:, 2] -= arr[:, 0]
            arr[:, 3] -= arr[:, 1]
        else:
            raise NotImplementedError(f"BoxMode.convert from {from_mode.name} to {to_mode.name} is not supported.")

        if single_box:
            return original_type(arr.flatten().tolist())
        if is_numpy:
            return arr.numpy()
        return arr


class Boxes:
    """A list of N axis-aligned boxes stored as one Tensor[N, 4] in XYXY_ABS.

    `RotatedBoxes` subclasses it with ``box_dim = 5``; the methods that do not depend on the box format (indexing,
    ``cat``, ``clone``, ``to``, ...) serve both and return the caller's class.

    Attributes:
        tensor (Tensor[N, 4]): (x1, y1, x2, y2).
        box_dim (int): numbers per box (class attribute).
    """

    box_dim: int = 4

    def __init__(self, tensor: torch.Tensor):
        box_dim = self.box_dim
        if not isinstance(tensor, torch.Tensor):
            tensor = torch.as_tensor(tensor, dtype=torch.float32, device=torch.device("cpu"))
        else:
            tensor = tensor.to(torch.float32)
        if known_true(tensor.numel() == 0):
            # keep (0, box_dim) so downstream code can index columns
            tensor = tensor.reshape((-1, box_dim)).to(dtype=torch.float32)
        if tensor.dim() != 2 or tensor.size(-1) != box_dim:
            name = type(self).__name__
            raise ValueError(f"{name} expects a Tensor of shape (N, {box_dim}), got {tuple(tensor.shape)}.")
        self.tensor = tensor

    def clone(self) -> "Boxes":
        return type(self)(self.tensor.clone())

    def to(self, device: torch.device) -> "Boxes":
        return type(self)(self.tensor.to(device=device))

    def area(self) -> torch.Tensor:
        """Returns Tensor[N]: the area of each box."""
        return box_area(self.tensor)

    def clip(self, box_size: Tuple[int, int]) -> None:
        """Clip (in place) the boxes to [0, width] x [0, height].

        Args:
            box_size: (height, width).
        """
        if not _is_exporting() and not torch.isfinite(self.tensor).all():
            raise ValueError("Boxes.clip: box tensor contains infinite or NaN values.")
        h, w = box_size
        x1 = self.tensor[:, 0].clamp(min=0, max=w)
        y1 = self.tensor[:, 1].clamp(min=0, max=h)
        x2 = self.tensor[:, 2].clamp(min=0, max=w)
        y2 = self.tensor[:, 3].clamp(min=0, max=h)
        self.tensor = torch.stack((x1, y1, x2, y2), dim=-1)

    def nonempty(self, threshold: float = 0.0) -> torch.Tensor:
        """Returns Tensor[N] bool: True where both sides are longer than `threshold`."""
        widths = self.tensor[:, 2] - self.tensor[:, 0]
        heights = self.tensor[:, 3] - self.tensor[:, 1]
        return (widths > threshold) & (heights > threshold)

    def __getitem__(self, item) -> "Boxes":
        """Index with an int, a slice, a bool mask or an index tensor; always returns this class."""
        if isinstance(item, int):
            return type(self)(self.tensor[item].view(1, -1))
        b = self.tensor[item]
        if b.dim() != 2:
            name = type(self).__name__
            raise IndexError(f"Indexing {name} with {item!r} did not return a (K, {self.box_dim}) tensor.")
        return type(self)(b)

    def __len__(self) -> int:
        return self.tensor.shape[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.tensor})"

    def inside_box(self, box_size: Tuple[int, int], boundary_threshold: int = 0) -> torch.Tensor:
        """Returns Tensor[N] bool: True where the box lies inside the (height, width) image, allowing
        `boundary_threshold` pixels outside."""
        height, width = box_size
        t = boundary_threshold
        return (
            (self.tensor[..., 0] >= -t)
            & (self.tensor[..., 1] >= -t)
            & (self.tensor[..., 2] < width + t)
            & (self.tensor[..., 3] < height + t)
        )

    def get_centers(self) -> torch.Tensor:
        """Returns Tensor[N, 2]: box centers (x, y)."""
        return (self.tensor[:, :2] + self.tensor[:, 2:]) / 2

    def scale(self, scale_x: float, scale_y: float) -> None:
        """Scale (in place) x coordinates by `scale_x` and y coordinates by `scale_y`."""
        self.tensor[:, 0::2] *= scale_x
        self.tensor[:, 1::2] *= scale_y

    @classmethod
    def cat(cls, boxes_list: List["Boxes"]) -> "Boxes":
        """Concatenate a list of boxes of this class into one."""
        if not isinstance(boxes_list, (list, tuple)):
            raise TypeError(f"{cls.__name__}.cat expects a list of {cls.__name__}, got {type(boxes_list).__name__}.")
        if len(boxes_list) == 0:
            return cls(torch.empty(0))
        if not all(isinstance(b, cls) for b in boxes_list):
            raise TypeError(f"{cls.__name__}.cat: every element must be a {cls.__name__}.")
        return cls(torch.cat([b.tensor for b in boxes_list], dim=0))

    @property
    def device(self) -> torch.device:
        return self.tensor.device

    @torch.jit.unused
    def __iter__(self) -> Iterator[torch.Tensor]:
        """Yield each box as a Tensor[box_dim]."""
        yield from self.tensor


def pairwise_intersection(boxes1: Boxes, boxes2: Boxes) -> torch.Tensor:
    """Intersection area between every pair of boxes.

    Returns:
        Tensor[N, M].
    """
    b1, b2 = boxes1.tensor, boxes2.tensor
    width_height = torch.min(b1[:, None, 2:], b2[:, 2:]) - torch.max(b1[:, None, :2], b2[:, :2])  # (N, M, 2)
    width_height.clamp_(min=0)
    return width_height.prod(dim=2)


def pairwise_iou(boxes1: Boxes, boxes2: Boxes) -> torch.Tensor:
    """IoU between every pair of boxes; 0 where the boxes do not intersect (also for empty boxes, never NaN).

    Returns:
        Tensor[N, M].
    """
    area1, area2 = boxes1.area(), boxes2.area()
    inter = pairwise_intersection(boxes1, boxes2)
    return torch.where(
        inter > 0, inter / (area1[:, None] + area2 - inter), torch.zeros(1, dtype=inter.dtype, device=inter.device)
    )


def pairwise_ioa(boxes1: Boxes, boxes2: Boxes) -> torch.Tensor:
    """Intersection over the area of `boxes2`, for every pair.

    Returns:
        Tensor[N, M].
    """
    area2 = boxes2.area()
    inter = pairwise_intersection(boxes1, boxes2)
    return torch.where(inter > 0, inter / area2, torch.zeros(1, dtype=inter.dtype, device=inter.device))


def pairwise_point_box_distance(points: torch.Tensor, boxes: Boxes) -> torch.Tensor:
    """Distances from each point to the four sides of each box (negative where the point is outside).

    Args:
        points (Tensor[N, 2]): (x, y).
        boxes: M boxes.

    Returns:
        Tensor[N, M, 4]: (left, top, right, bottom) distances.
    """
    x, y = points.unsqueeze(dim=2).unbind(dim=1)  # (N, 1) each
    x0, y0, x1, y1 = boxes.tensor.unsqueeze(dim=0).unbind(dim=2)  # (1, M) each
    return torch.stack([x - x0, y - y0, x1 - x, y1 - y], dim=2)


def matched_pairwise_iou(boxes1: Boxes, boxes2: Boxes) -> torch.Tensor:
    """IoU between boxes1[i] and boxes2[i] for every i.

    Returns:
        Tensor[N].
    """
    if len(boxes1) != len(boxes2):
        raise ValueError(f"matched_pairwise_iou needs boxes of equal length, got {len(boxes1)} and {len(boxes2)}.")
    area1, area2 = boxes1.area(), boxes2.area()
    b1, b2 = boxes1.tensor, boxes2.tensor
    lt = torch.max(b1[:, :2], b2[:, :2])
    rb = torch.min(b1[:, 2:], b2[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=1)
    return inter / (area1 + area2 - inter)
