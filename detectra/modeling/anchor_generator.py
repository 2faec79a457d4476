"""Anchor generators: a grid of cell anchors per feature level (Detectron2's `DefaultAnchorGenerator` layout)."""
import math
from typing import List, Sequence, Union

import torch
from torch import nn

from detectra.config import configurable
from detectra.layers import ShapeSpec, move_device_like
from detectra.structures import Boxes, RotatedBoxes
from detectra.utils.registry import Registry

__all__ = [
    "ANCHOR_GENERATOR_REGISTRY",
    "BufferList",
    "DefaultAnchorGenerator",
    "RotatedAnchorGenerator",
    "build_anchor_generator",
]

ANCHOR_GENERATOR_REGISTRY = Registry("ANCHOR_GENERATOR")
ANCHOR_GENERATOR_REGISTRY.__doc__ = """Anchor generators: ``cls(cfg, input_shape: List[ShapeSpec])``."""


class BufferList(nn.Module):
    """Holds tensors as non-persistent buffers so they follow ``.to(device)`` but stay out of checkpoints."""

    def __init__(self, buffers: List[torch.Tensor]):
        super().__init__()
        for i, buffer in enumerate(buffers):
            self.register_buffer(str(i), buffer, persistent=False)

    def __len__(self) -> int:
        return len(self._buffers)

    def __iter__(self):
        return iter(self._buffers.values())


def _create_grid_offsets(size: Sequence[int], stride: int, offset: float, target: torch.Tensor):
    grid_height, grid_width = size
    # arange on CPU then move: float arange on some devices differs in its last element
    shifts_x = move_device_like(
        torch.arange(offset * stride, grid_width * stride, step=stride, dtype=torch.float32), target
    )
    shifts_y = move_device_like(
        torch.arange(offset * stride, grid_height * stride, step=stride, dtype=torch.float32), target
    )
    shift_y, shift_x = torch.meshgrid(shifts_y, shifts_x, indexing="ij")
    return shift_x.reshape(-1), shift_y.reshape(-1)


def _broadcast_params(params, num_features: int, name: str) -> List[list]:
    """Turn ``[a, b]`` or ``[[a, b]]`` into one list per feature level; check ``[[...], ...]`` has one per level."""
    if not isinstance(params, Sequence):
        raise TypeError(f"ANCHOR_GENERATOR.{name} must be a list, got {params!r}.")
    if not len(params):
        raise ValueError(f"ANCHOR_GENERATOR.{name} cannot be empty.")
    if not isinstance(params[0], Sequence):
        return [params] * num_features
    if len(params) == 1:
        return list(params) * num_features
    if len(params) != num_features:
        raise ValueError(
            f"ANCHOR_GENERATOR.{name} has {len(params)} per-level entries but there are {num_features} feature "
            "levels; give one entry per level or a single entry for all."
        )
    return params


class _GridAnchorGenerator(nn.Module):
    """What both anchor generators share: per feature level, the cell anchors (``self.cell_anchors``, set by the
    subclass) repeated at every location of the level's grid. Args: ``strides`` and ``offset``, see
    `DefaultAnchorGenerator`."""

    box_dim: int = 4
    box_type: type = Boxes

    def __init__(self, strides: List[int], offset: float):
        super().__init__()
        self.strides = strides
        self.num_features = len(self.strides)
        if not 0.0 <= offset < 1.0:
            raise ValueError(f"ANCHOR_GENERATOR.OFFSET must be in [0, 1), got {offset}.")
        self.offset = offset

    @classmethod
    def from_config(cls, cfg, input_shape: List[ShapeSpec]):
        return {
            "sizes": cfg.MODEL.ANCHOR_GENERATOR.SIZES,
            "aspect_ratios": cfg.MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS,
            "strides": [x.stride for x in input_shape],
            "offset": cfg.MODEL.ANCHOR_GENERATOR.OFFSET,
        }

    @property
    def num_cell_anchors(self) -> List[int]:
        """Alias of :attr:`num_anchors`."""
        return self.num_anchors

    @property
    def num_anchors(self) -> List[int]:
        """Number of anchors per location, for each level."""
        return [len(cell_anchors) for cell_anchors in self.cell_anchors]

    def _location_shifts(self, shift_x: torch.Tensor, shift_y: torch.Tensor) -> torch.Tensor:
        """Tensor[H*W, box_dim]: what moves a cell anchor from (0, 0) to each location."""
        return torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)

    def _grid_anchors(self, grid_sizes: List[Sequence[int]]) -> List[torch.Tensor]:
        anchors = []
        b = self.box_dim
        for size, stride, base_anchors in zip(grid_sizes, self.strides, self.cell_anchors):
            shift_x, shift_y = _create_grid_offsets(size, stride, self.offset, base_anchors)
            shifts = self._location_shifts(shift_x, shift_y)
            # location-major, cell-anchor-minor: (H*W*A, B), matching the heads' (H, W, A) flattening
            anchors.append((shifts.view(-1, 1, b) + base_anchors.view(1, -1, b)).reshape(-1, b))
        return anchors

    def forward(self, features: List[torch.Tensor]) -> List[Boxes]:
        """Args: features: per level, Tensor[N, C, Hi, Wi]. Returns: per level, `box_type` of Hi * Wi * A anchors."""
        grid_sizes = [feature_map.shape[-2:] for feature_map in features]
        return [self.box_type(x) for x in self._grid_anchors(grid_sizes)]


@ANCHOR_GENERATOR_REGISTRY.register()
class DefaultAnchorGenerator(_GridAnchorGenerator):
    """Axis-aligned anchors: for every level, ``len(sizes) * len(aspect_ratios)`` cell anchors at every location.

    Args:
        sizes: per level, anchor sizes (sqrt of area) in input pixels; a flat list is used for every level.
        aspect_ratios: per level, height / width ratios; a flat list is used for every level.
        strides: stride of each feature level.
        offset: anchor center offset in units of stride; 0.0 puts the first center at the image corner (Detectron2's
            default), 0.5 at the first cell's center.
    """

    @configurable
    def __init__(self, *, sizes, aspect_ratios, strides: List[int], offset: float = 0.5):
        super().__init__(strides, offset)
        sizes = _broadcast_params(sizes, self.num_features, "SIZES")
        aspect_ratios = _broadcast_params(aspect_ratios, self.num_features, "ASPECT_RATIOS")
        self.cell_anchors = self._calculate_anchors(sizes, aspect_ratios)

    def _calculate_anchors(self, sizes, aspect_ratios) -> BufferList:
        return BufferList([self.generate_cell_anchors(s, a).float() for s, a in zip(sizes, aspect_ratios)])

    def generate_cell_anchors(
        self, sizes: Sequence[float] = (32, 64, 128, 256, 512), aspect_ratios: Sequence[float] = (0.5, 1, 2)
    ) -> torch.Tensor:
        """Anchors centered at (0, 0), sizes outer loop, aspect ratios inner loop.

        Returns:
            Tensor[len(sizes) * len(aspect_ratios), 4]: XYXY boxes.
        """
        return torch.tensor([[-w / 2.0, -h / 2.0, w / 2.0, h / 2.0] for w, h in _cell_sides(sizes, aspect_ratios)])


@ANCHOR_GENERATOR_REGISTRY.register()
class RotatedAnchorGenerator(_GridAnchorGenerator):
    """Rotated anchors (cx, cy, w, h, angle in degrees) for Rotated RPN.

    Args: as `DefaultAnchorGenerator`, plus ``angles``: per level, anchor angles in degrees.
    """

    box_dim: int = 5
    box_type: type = RotatedBoxes

    @configurable
    def __init__(self, *, sizes, aspect_ratios, strides: List[int], angles, offset: float = 0.5):
        super().__init__(strides, offset)
        sizes = _broadcast_params(sizes, self.num_features, "SIZES")
        aspect_ratios = _broadcast_params(aspect_ratios, self.num_features, "ASPECT_RATIOS")
        angles = _broadcast_params(angles, self.num_features, "ANGLES")
        self.cell_anchors = BufferList(
            [self.generate_cell_anchors(s, a, r).float() for s, a, r in zip(sizes, aspect_ratios, angles)]
        )

    @classmethod
    def from_config(cls, cfg, input_shape: List[ShapeSpec]):
        return {**super().from_config(cfg, input_shape), "angles": cfg.MODEL.ANCHOR_GENERATOR.ANGLES}

    def _location_shifts(self, shift_x: torch.Tensor, shift_y: torch.Tensor) -> torch.Tensor:
        zeros = torch.zeros_like(shift_x)  # sides and angle stay
        return torch.stack((shift_x, shift_y, zeros, zeros, zeros), dim=1)

    def generate_cell_anchors(
        self,
        sizes: Sequence[float] = (32, 64, 128, 256, 512),
        aspect_ratios: Sequence[float] = (0.5, 1, 2),
        angles: Sequence[float] = (-90, -60, -30, 0, 30, 60, 90),
    ) -> torch.Tensor:
        """Returns: Tensor[len(sizes) * len(aspect_ratios) * len(angles), 5] of (0, 0, w, h, angle)."""
        return torch.tensor([[0, 0, w, h, a] for w, h in _cell_sides(sizes, aspect_ratios) for a in angles])


def _cell_sides(sizes: Sequence[float], aspect_ratios: Sequence[float]) -> List[tuple]:
    """(w, h) of each cell anchor, sizes outer loop, aspect ratios inner loop: w * h = size**2, h / w = ratio."""
    sides = []
    for size in sizes:
        area = size**2.0
        for aspect_ratio in aspect_ratios:
            w = math.sqrt(area / aspect_ratio)
            sides.append((w, aspect_ratio * w))
    return sides


def build_anchor_generator(cfg, input_shape: List[ShapeSpec]) -> Union[DefaultAnchorGenerator, nn.Module]:
    """Build the anchor generator named by ``cfg.MODEL.ANCHOR_GENERATOR.NAME``."""
    return ANCHOR_GENERATOR_REGISTRY.get(cfg.MODEL.ANCHOR_GENERATOR.NAME)(cfg, input_shape)
