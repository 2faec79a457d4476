"""Features at continuous points: PointRend's point sampling, as query-based segmenters reuse it.

Points are (x, y) in ``[0, 1] x [0, 1]``, relative to an image, a box or a feature map, where ``(0, 0)`` is the
top-left corner of the top-left pixel and ``(1, 1)`` the bottom-right corner of the bottom-right pixel (so the
centre of pixel ``(i, j)`` of an ``H x W`` map is ``((j + 0.5) / W, (i + 0.5) / H)``).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
from torch.nn import functional as F

from detectra.layers import cat
from detectra.structures import Boxes

__all__ = [
    "point_sample",
    "generate_regular_grid_point_coords",
    "get_uncertain_point_coords_with_randomness",
    "get_uncertain_point_coords_on_grid",
    "point_sample_fine_grained_features",
]


def point_sample(input: torch.Tensor, point_coords: torch.Tensor, **kwargs: Any) -> torch.Tensor:
    """Bilinearly sample ``input`` at points given in ``[0, 1]`` coordinates (`F.grid_sample` on ``[-1, 1]``).

    Args:
        input: (N, C, H, W) maps.
        point_coords: (N, P, 2) points, or (N, Hgrid, Wgrid, 2) grids of points, as (x, y) in ``[0, 1]``.
        **kwargs: passed to `torch.nn.functional.grid_sample` (e.g. ``align_corners=False``, ``mode``).

    Returns:
        (N, C, P) for (N, P, 2) points, (N, C, Hgrid, Wgrid) for grids.
    """
    as_points = point_coords.dim() == 3
    grid = point_coords.unsqueeze(2) if as_points else point_coords  # (N, P, 1, 2): grid_sample wants a 2-D grid
    output = F.grid_sample(input, 2.0 * grid - 1.0, **kwargs)
    return output.squeeze(3) if as_points else output


def generate_regular_grid_point_coords(R: int, side_size: int, device: torch.device | str) -> torch.Tensor:
    """The centres of a ``side_size x side_size`` grid of cells, for each of ``R`` regions.

    Returns:
        (R, side_size * side_size, 2) points (x, y) in ``[0, 1]``, row by row (x varies fastest).
    """
    centres = (torch.arange(side_size, dtype=torch.float32, device=device) + 0.5) / side_size
    ys, xs = torch.meshgrid(centres, centres, indexing="ij")
    grid = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (side*side, 2)
    return grid.unsqueeze(0).expand(R, -1, -1)


def get_uncertain_point_coords_with_randomness(
    coarse_logits: torch.Tensor,
    uncertainty_func: Callable[[torch.Tensor], torch.Tensor],
    num_points: int,
    oversample_ratio: int,
    importance_sample_ratio: float,
) -> torch.Tensor:
    """Training-time point selection: the most uncertain of many random points, plus some purely random ones.

    ``num_points * oversample_ratio`` random points are scored by ``uncertainty_func``; the
    ``int(importance_sample_ratio * num_points)`` most uncertain are kept and the rest of the ``num_points`` are
    drawn uniformly at random.

    Args:
        coarse_logits: (N, C, Hmask, Wmask) predictions (C is 1 for class-agnostic masks).
        uncertainty_func: maps (N, C, P) point logits to (N, 1, P) uncertainties (higher is more uncertain).
        num_points: points to return per region.
        oversample_ratio: at least 1.
        importance_sample_ratio: in ``[0, 1]``.

    Returns:
        (N, num_points, 2) points (x, y) in ``[0, 1]``.
    """
    if oversample_ratio < 1:
        raise ValueError(f"oversample_ratio must be >= 1, got {oversample_ratio}.")
    if not 0 <= importance_sample_ratio <= 1:
        raise ValueError(f"importance_sample_ratio must be in [0, 1], got {importance_sample_ratio}.")
    num_boxes = coarse_logits.shape[0]
    num_sampled = int(num_points * oversample_ratio)
    candidates = torch.rand(num_boxes, num_sampled, 2, device=coarse_logits.device)
    point_logits = point_sample(coarse_logits, candidates, align_corners=False)  # (N, C, num_sampled)
    # Rank on the logits of the sampled points: interpolating uncertainties instead would score the boundary (where
    # the logit crosses 0) as certain, since both sides of it are.
    uncertainties = uncertainty_func(point_logits)  # (N, 1, num_sampled)
    num_uncertain = int(importance_sample_ratio * num_points)
    num_random = num_points - num_uncertain
    idx = torch.topk(uncertainties[:, 0, :], k=num_uncertain, dim=1)[1]  # (N, num_uncertain)
    point_coords = torch.gather(candidates, 1, idx.unsqueeze(-1).expand(-1, -1, 2))
    if num_random > 0:
        random_coords = torch.rand(num_boxes, num_random, 2, device=coarse_logits.device)
        point_coords = cat([point_coords, random_coords], dim=1)
    return point_coords


def get_uncertain_point_coords_on_grid(
    uncertainty_map: torch.Tensor, num_points: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inference-time point selection: the centres of the ``num_points`` most uncertain cells of a map.

    Args:
        uncertainty_map: (R, 1, H, W) uncertainties (higher is more uncertain).
        num_points: cells to pick per region; at most ``H * W`` are returned.

    Returns:
        point_indices: (R, P) flat indices into the H x W grid.
        point_coords: (R, P, 2) cell centres (x, y) in ``[0, 1]``.
    """
    R, _, H, W = uncertainty_map.shape
    num_points = min(H * W, num_points)
    point_indices = torch.topk(uncertainty_map.view(R, H * W), k=num_points, dim=1)[1]
    point_coords = torch.stack(
        [
            ((point_indices % W).to(torch.float) + 0.5) / W,
            ((point_indices // W).to(torch.float) + 0.5) / H,
        ],
        dim=2,
    )
    return point_indices, point_coords


def _point_coords_wrt_image(boxes: torch.Tensor, point_coords: torch.Tensor) -> torch.Tensor:
    """(R, P, 2) box-relative points -> absolute image coordinates, for (R, 4) XYXY_ABS boxes."""
    with torch.no_grad():
        origin = boxes[:, None, 0:2]  # (R, 1, 2)
        size = boxes[:, None, 2:4] - origin
        return point_coords * size + origin


def point_sample_fine_grained_features(
    features_list: Sequence[torch.Tensor],
    feature_scales: Sequence[float],
    boxes: Sequence[Boxes],
    point_coords: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample every feature map at points given relative to boxes, and concatenate the levels' channels.

    Args:
        features_list: (N, C_l, H_l, W_l) maps, one per level, for the N images of a batch.
        feature_scales: each level's scale, ``1 / stride``.
        boxes: one `Boxes` per image (XYXY_ABS); R boxes in total.
        point_coords: (R, P, 2) points (x, y) in ``[0, 1]`` relative to each box, boxes in image order.

    Returns:
        point_features: (R, sum of C_l, P).
        point_coords_wrt_image: (R, P, 2) the same points in absolute image coordinates.
    """
    num_boxes = [len(b) for b in boxes]
    point_coords_wrt_image = _point_coords_wrt_image(Boxes.cat(list(boxes)).tensor, point_coords)
    point_features = []
    for image_index, image_points in enumerate(torch.split(point_coords_wrt_image, num_boxes)):
        per_level = []
        for feature_map, scale in zip(features_list, feature_scales):
            h, w = feature_map.shape[-2:]
            extent = torch.tensor([w, h], dtype=image_points.dtype, device=image_points.device) / scale
            sampled = point_sample(feature_map[image_index : image_index + 1], (image_points / extent).unsqueeze(0),
                                   align_corners=False)  # (1, C_l, R_i, P)
            per_level.append(sampled.squeeze(0).transpose(0, 1))  # (R_i, C_l, P)
        point_features.append(cat(per_level, dim=1))
    return cat(point_features, dim=0), point_coords_wrt_image
