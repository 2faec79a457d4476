"""Pairwise IoU of rotated boxes in pure, batched torch (replaces Detectron2's C++/CUDA kernel)."""
import math

import torch

__all__ = ["pairwise_iou_rotated"]

# work-memory budgets, so that large N x M stays bounded: box pairs per block of rows (each pair holds a few
# float64 values: distance, intersection, union), and candidate points per chunk of overlapping pairs (24 a pair)
_MAX_PAIRS_PER_BLOCK = 1 << 20
_MAX_POINTS_PER_CHUNK = 1 << 22
_EPS = 1e-6


def _box_corners(boxes: torch.Tensor) -> torch.Tensor:
    """Corners of rotated boxes, in order around the rectangle.

    Args:
        boxes (Tensor[..., 5]): (cx, cy, w, h, angle in degrees, counter-clockwise as Detectron2).

    Returns:
        Tensor[..., 4, 2].
    """
    cx, cy, w, h, a = boxes.unbind(-1)
    theta = a * (math.pi / 180.0)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # local corner offsets (dx, dy), then the rotation Detectron2 uses: x' = dx*cos + dy*sin, y' = -dx*sin + dy*cos
    dx = torch.stack([w, -w, -w, w], dim=-1) * 0.5
    dy = torch.stack([h, h, -h, -h], dim=-1) * 0.5
    x = cx[..., None] + dx * cos[..., None] + dy * sin[..., None]
    y = cy[..., None] - dx * sin[..., None] + dy * cos[..., None]
    return torch.stack([x, y], dim=-1)


def _points_in_boxes(points: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Whether each point lies inside (or on the border of) its rotated box.

    Args:
        points (Tensor[P, Q, 2]).
        boxes (Tensor[P, 5]).

    Returns:
        Tensor[P, Q] bool.
    """
    cx, cy, w, h, a = boxes.unbind(-1)
    theta = a * (math.pi / 180.0)
    cos, sin = torch.cos(theta)[:, None], torch.sin(theta)[:, None]
    px = points[..., 0] - cx[:, None]
    py = points[..., 1] - cy[:, None]
    # invert the corner rotation to get box-local coordinates
    lx = px * cos - py * sin
    ly = px * sin + py * cos
    tol_w = w[:, None] * 0.5 * (1 + _EPS) + _EPS
    tol_h = h[:, None] * 0.5 * (1 + _EPS) + _EPS
    return (lx.abs() <= tol_w) & (ly.abs() <= tol_h)


def _edge_intersections(c1: torch.Tensor, c2: torch.Tensor):
    """Intersection points of every edge of polygon 1 with every edge of polygon 2.

    Args:
        c1, c2 (Tensor[P, 4, 2]): rectangle corners.

    Returns:
        points (Tensor[P, 16, 2]), valid (Tensor[P, 16] bool).
    """
    a = c1[:, :, None, :]  # (P, 4, 1, 2) edge starts
    da = (c1.roll(-1, dims=1) - c1)[:, :, None, :]
    b = c2[:, None, :, :]  # (P, 1, 4, 2)
    db = (c2.roll(-1, dims=1) - c2)[:, None, :, :]

    def cross(u, v):
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    denom = cross(da, db)  # (P, 4, 4); 0 for parallel edges
    ab = b - a
    safe = torch.where(denom.abs() > 1e-12, denom, torch.ones_like(denom))
    t = cross(ab, db) / safe
    u = cross(ab, da) / safe
    valid = (denom.abs() > 1e-12) & (t >= -_EPS) & (t <= 1 + _EPS) & (u >= -_EPS) & (u <= 1 + _EPS)
    points = a + t[..., None] * da  # (P, 4, 4, 2)
    return points.flatten(1, 2), valid.flatten(1, 2)


def _intersection_area(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Intersection area of matched pairs of rotated boxes.

    The intersection of two convex polygons is the convex hull of (corners of each inside the other) and (edge
    crossings). Those up-to-24 candidate points, sorted by angle around their centroid, form the polygon, whose
    area is the shoelace sum; invalid candidates are replaced by the first valid point and so add zero area.

    Args:
        boxes1, boxes2 (Tensor[P, 5]).

    Returns:
        Tensor[P].
    """
    c1, c2 = _box_corners(boxes1), _box_corners(boxes2)
    in1 = _points_in_boxes(c1, boxes2)  # corners of box 1 inside box 2, (P, 4)
    in2 = _points_in_boxes(c2, boxes1)
    cross_pts, cross_valid = _edge_intersections(c1, c2)
    pts = torch.cat([c1, c2, cross_pts], dim=1)  # (P, 24, 2)
    valid = torch.cat([in1, in2, cross_valid], dim=1)  # (P, 24)

    num_valid = valid.sum(dim=1)
    validf = valid.to(pts.dtype)
    centroid = (pts * validf[..., None]).sum(dim=1) / num_valid.clamp(min=1)[:, None].to(pts.dtype)
    rel = pts - centroid[:, None, :]
    angles = torch.atan2(rel[..., 1], rel[..., 0])
    angles = torch.where(valid, angles, torch.full_like(angles, 10.0))  # > pi: invalid points sort last
    order = angles.argsort(dim=1)
    rel = rel.gather(1, order[..., None].expand(-1, -1, 2))
    valid = valid.gather(1, order)
    rel = torch.where(valid[..., None], rel, rel[:, :1, :])

    nxt = rel.roll(-1, dims=1)
    area = 0.5 * (rel[..., 0] * nxt[..., 1] - rel[..., 1] * nxt[..., 0]).sum(dim=1).abs()
    return torch.where(num_valid >= 3, area, torch.zeros_like(area))


def pairwise_iou_rotated(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """IoU between every pair of rotated boxes.

    Pure torch, vectorised over all pairs and computed in float64. Slower than a custom kernel but exact up to
    floating point, with no compiled extension. Work memory is bounded: rows of ``boxes1`` are taken in blocks of
    about ``_MAX_PAIRS_PER_BLOCK / M``, so only the returned matrix grows with N x M.

    Args:
        boxes1 (Tensor[N, 5]), boxes2 (Tensor[M, 5]): (cx, cy, w, h, angle in degrees).

    Returns:
        Tensor[N, M] in boxes1's dtype; 0 where either box has (near) zero area.
    """
    n, m = boxes1.shape[0], boxes2.shape[0]
    out_dtype = boxes1.dtype if boxes1.dtype.is_floating_point else torch.float32
    iou = boxes1.new_zeros((n, m), dtype=out_dtype)
    if n == 0 or m == 0:
        return iou
    b2 = boxes2.to(torch.float64)
    rows_per_block = max(1, _MAX_PAIRS_PER_BLOCK // m)
    for start in range(0, n, rows_per_block):
        b1 = boxes1[start : start + rows_per_block].to(torch.float64)
        iou[start : start + rows_per_block] = _pairwise_iou_block(b1, b2).to(out_dtype)
    return iou


def _pairwise_iou_block(b1: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    """`pairwise_iou_rotated` of float64 Tensor[N, 5] and Tensor[M, 5], as one float64 Tensor[N, M]."""
    area1 = b1[:, 2] * b1[:, 3]
    area2 = b2[:, 2] * b2[:, 3]

    # only pairs whose circumscribed circles meet can intersect; typically most pairs are far apart
    radius1 = b1[:, 2:4].norm(dim=1) / 2
    radius2 = b2[:, 2:4].norm(dim=1) / 2
    center_dist = torch.cdist(b1[:, :2], b2[:, :2])  # (N, M)
    candidates = (center_dist <= radius1[:, None] + radius2[None, :]).nonzero()  # (P, 2)

    inter = torch.zeros((b1.shape[0], b2.shape[0]), dtype=torch.float64, device=b1.device)
    pairs_per_chunk = max(1, _MAX_POINTS_PER_CHUNK // 24)
    for start in range(0, candidates.shape[0], pairs_per_chunk):
        i, j = candidates[start : start + pairs_per_chunk].unbind(1)
        p1, p2 = b1[i], b2[j]
        # centre each pair on its midpoint: far-from-origin coordinates lose precision in the cross products
        mid = (p1[:, :2] + p2[:, :2]) / 2
        p1 = torch.cat([p1[:, :2] - mid, p1[:, 2:]], dim=1)
        p2 = torch.cat([p2[:, :2] - mid, p2[:, 2:]], dim=1)
        inter[i, j] = _intersection_area(p1, p2)

    union = area1[:, None] + area2[None, :] - inter
    degenerate = (area1[:, None] < 1e-14) | (area2[None, :] < 1e-14)
    return torch.where(degenerate, torch.zeros_like(inter), inter / union.clamp(min=1e-14))
