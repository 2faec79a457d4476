"""`ROIPooler`: crop fixed-size features for boxes from a multi-level feature pyramid."""
import math
from typing import List, Sequence, Tuple, Union

import torch
from torch import nn

from detectra.layers import ROIAlign, cat, nonzero_tuple, shapes_to_tensor
from detectra.structures import Boxes

__all__ = ["ROIPooler", "assign_boxes_to_levels", "convert_boxes_to_pooler_format"]


def assign_boxes_to_levels(
    box_lists: List[Boxes], min_level: int, max_level: int, canonical_box_size: int, canonical_level: int
) -> torch.Tensor:
    """FPN paper eq. 1: a box of size sqrt(area) = canonical_box_size goes to canonical_level, one level up per 2x.

    Args:
        box_lists: per image, Boxes (or RotatedBoxes).
        min_level, max_level: the pyramid's finest / coarsest levels (e.g. 2 and 5).
        canonical_box_size, canonical_level: the anchor of the rule (224 px at level 4).

    Returns:
        int64 Tensor[sum(len(b))]: level index of every box, relative to ``min_level``.
    """
    box_sizes = torch.sqrt(cat([boxes.area() for boxes in box_lists]))
    # the 1e-8 keeps exact powers of two on the upper level despite float rounding in log2
    level_assignments = torch.floor(canonical_level + torch.log2(box_sizes / canonical_box_size + 1e-8))
    level_assignments = torch.clamp(level_assignments, min=min_level, max=max_level)
    return level_assignments.to(torch.int64) - min_level


def _convert_boxes_to_pooler_format(boxes: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    sizes = sizes.to(device=boxes.device)
    indices = torch.repeat_interleave(torch.arange(len(sizes), dtype=boxes.dtype, device=boxes.device), sizes)
    return cat([indices[:, None], boxes], dim=1)


def convert_boxes_to_pooler_format(box_lists: List[Boxes]) -> torch.Tensor:
    """Concatenate per-image boxes into the (batch index, box) rows that torchvision's ROI ops take.

    Args:
        box_lists: per image, Boxes (or RotatedBoxes).

    Returns:
        Tensor[K, 5] (or [K, 6] for rotated boxes): column 0 is the image index in the batch.
    """
    boxes = torch.cat([x.tensor for x in box_lists], dim=0)
    if len(box_lists) == 1:
        # one image (always the case in an exported graph): no per-image sizes to read
        return cat([boxes.new_zeros(boxes.shape[0], 1), boxes], dim=1)
    sizes = shapes_to_tensor([x.__len__() for x in box_lists])
    return _convert_boxes_to_pooler_format(boxes, sizes)


class ROIPooler(nn.Module):
    """Pools a ``output_size`` region of features for every box, choosing each box's pyramid level by its size.

    Args:
        output_size: (height, width) of the pooled features, or one int for both.
        scales: per level, 1 / stride (e.g. 1/4 .. 1/32), finest first; must be powers of 2.
        sampling_ratio: ROIAlign's samples per bin (0: adaptive).
        pooler_type: "ROIAlign" (aligned=False, Detectron's original), "ROIAlignV2" (aligned=True),
            "ROIPool", or "ROIAlignRotated".
        canonical_box_size, canonical_level: level-assignment rule, see `assign_boxes_to_levels`.
    """

    def __init__(
        self,
        output_size: Union[int, Tuple[int, int]],
        scales: Sequence[float],
        sampling_ratio: int,
        pooler_type: str,
        canonical_box_size: int = 224,
        canonical_level: int = 4,
    ):
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        if len(output_size) != 2 or not all(isinstance(x, int) for x in output_size):
            raise ValueError(f"ROIPooler output_size must be an int or two ints, got {output_size}.")
        self.output_size = tuple(output_size)

        if pooler_type == "ROIAlign":
            poolers = [ROIAlign(output_size, spatial_scale=s, sampling_ratio=sampling_ratio, aligned=False) for s in scales]
        elif pooler_type == "ROIAlignV2":
            poolers = [ROIAlign(output_size, spatial_scale=s, sampling_ratio=sampling_ratio, aligned=True) for s in scales]
        elif pooler_type == "ROIPool":
            from detectra.layers import ROIPool

            poolers = [ROIPool(output_size, spatial_scale=s) for s in scales]
        elif pooler_type == "ROIAlignRotated":
            from detectra.layers import ROIAlignRotated

            poolers = [ROIAlignRotated(output_size, spatial_scale=s, sampling_ratio=sampling_ratio) for s in scales]
        else:
            raise ValueError(
                f"Unknown pooler type {pooler_type!r}; use ROIAlign, ROIAlignV2, ROIPool or ROIAlignRotated."
            )
        self.level_poolers = nn.ModuleList(poolers)

        min_level = -math.log2(scales[0])
        max_level = -math.log2(scales[-1])
        if not (math.isclose(min_level, int(min_level)) and math.isclose(max_level, int(max_level))):
            raise ValueError(f"ROIPooler scales must be powers of 2 (1 / stride), got {list(scales)}.")
        self.min_level = int(min_level)
        self.max_level = int(max_level)
        if len(scales) != self.max_level - self.min_level + 1:
            raise ValueError(f"ROIPooler scales {list(scales)} must cover contiguous pyramid levels.")
        if not 0 <= self.min_level <= self.max_level:
            raise ValueError(f"ROIPooler scales {list(scales)} must be <= 1 and decreasing.")
        self.canonical_level = canonical_level
        if canonical_box_size <= 0:
            raise ValueError(f"canonical_box_size must be > 0, got {canonical_box_size}.")
        self.canonical_box_size = canonical_box_size

    def forward(self, x: List[torch.Tensor], box_lists: List[Boxes]) -> torch.Tensor:
        """Args:
            x: per level, Tensor[N, C, Hi, Wi], finest first (same order as ``scales``).
            box_lists: N Boxes (one per image) in input-image coordinates.

        Returns:
            Tensor[K, C, output_h, output_w] for the K boxes, in the order of ``box_lists``.
        """
        num_level_assignments = len(self.level_poolers)
        if not isinstance(x, list) or not isinstance(box_lists, list):
            raise TypeError("ROIPooler takes a list of feature maps and a list of Boxes.")
        if len(x) != num_level_assignments:
            raise ValueError(f"ROIPooler has {num_level_assignments} levels but got {len(x)} feature maps.")
        if len(box_lists) != x[0].size(0):
            raise ValueError(f"ROIPooler got {len(box_lists)} box lists for a batch of {x[0].size(0)} images.")
        if len(box_lists) == 0:
            return x[0].new_zeros((0, x[0].shape[1]) + self.output_size)

        pooler_fmt_boxes = convert_boxes_to_pooler_format(box_lists)
        if num_level_assignments == 1:
            return self.level_poolers[0](x[0], pooler_fmt_boxes)

        level_assignments = assign_boxes_to_levels(
            box_lists, self.min_level, self.max_level, self.canonical_box_size, self.canonical_level
        )
        output = x[0].new_zeros((pooler_fmt_boxes.shape[0], x[0].shape[1]) + self.output_size)
        for level, pooler in enumerate(self.level_poolers):
            inds = nonzero_tuple(level_assignments == level)[0]
            pooled = pooler(x[level], pooler_fmt_boxes[inds])
            # pooled may be float32 under autocast while features are bf16: follow the output's dtype
            output.index_put_((inds,), pooled.to(output.dtype))
        return output
