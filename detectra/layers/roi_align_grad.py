"""A faster CPU backward for `torchvision.ops.roi_align`, from the separability of bilinear RoIAlign.

torchvision's CPU backward walks every (RoI, channel, bin, sample) in one thread with scalar code; in a small CPU
Faster R-CNN it is a third of each training step. RoIAlign is separable: every sample's bilinear weight is a weight
over rows times a weight over columns, and the average over a bin's sample grid is an average over its rows times an
average over its columns. So for one RoI ``out[c] = Ay @ feature[c] @ Ax.T`` with ``Ay (PH, H)`` and ``Ax (PW, W)``,
and the gradient of one image's feature map is ``sum_r Ay[r].T @ grad_out[r, c] @ Ax[r]``. Only a window of each
RoI's ``Ay`` rows / ``Ax`` columns is non-zero, so the backward (`roi_align_windowed_backward` in
roi_align_forward.py, which shares the window grouping with the inference forward) computes each RoI's window
gradient with two batched products and adds it into the map with one ``index_add_`` per group of equal-size
windows. The forward stays torchvision's, so outputs are unchanged; only the gradient's float rounding differs
(tests: equal to torchvision's to 1e-12 in float64). `use_separable_backward` compares both costs per call.
"""
from __future__ import annotations

from typing import Tuple

import torch
from torchvision.ops import roi_align as _tv_roi_align

__all__ = ["roi_align_separable_grad", "use_separable_backward", "roi_align_axis_weights"]

# The windowed backward's multiply-adds over torchvision's (channel x bin x sample) count, below which it is faster.
# Measured single-thread on the box pooler's levels (AMX machine): 5-7.5x faster at ratios 10-20.
_WORK_RATIO = 60.0


def roi_align_axis_weights(
    start: torch.Tensor, size: torch.Tensor, bins: int, grid: torch.Tensor, length: int
) -> torch.Tensor:
    """Per-RoI weights of one axis: ``out = sum_i A[r, p, i] * feature[i]`` along that axis.

    Args:
        start (Tensor[R]): RoI start along the axis, in feature coordinates (after the aligned shift).
        size (Tensor[R]): RoI extent along the axis.
        bins: pooled output size along the axis.
        grid (Tensor[R], int64): samples per bin along the axis (>= 0).
        length: feature map size along the axis.

    Returns:
        Tensor[R, bins, length]: bilinear weights, already divided by the number of samples.
    """
    num_rois = start.shape[0]
    max_grid = max(int(grid.max()), 1) if num_rois else 1
    bin_size = size / bins  # (R,)
    p = torch.arange(bins, dtype=start.dtype, device=start.device)
    i = torch.arange(max_grid, dtype=start.dtype, device=start.device)
    grid_f = grid.clamp(min=1).to(start.dtype)
    # sample positions, exactly as torchvision computes them: start + p * bin + (i + 0.5) * bin / grid
    pos = (
        start[:, None, None]
        + p[None, :, None] * bin_size[:, None, None]
        + (i[None, None, :] + 0.5) * (bin_size / grid_f)[:, None, None]
    )  # (R, bins, G)
    in_grid = i[None, None, :] < grid[:, None, None].to(start.dtype)
    # torchvision: a sample outside [-1, length] contributes 0; otherwise it is clamped into [0, length - 1]
    valid = in_grid & (pos >= -1.0) & (pos <= length)
    pos = pos.clamp(min=0)
    low = pos.floor().to(torch.int64)
    at_end = low >= length - 1
    low = torch.where(at_end, torch.full_like(low, length - 1), low)
    pos = torch.where(at_end, low.to(pos.dtype), pos)
    high = torch.where(at_end, low, low + 1)
    frac = pos - low.to(pos.dtype)
    scale = valid.to(pos.dtype) / grid_f[:, None, None]
    weights = torch.zeros(num_rois, bins, length, dtype=start.dtype, device=start.device)
    weights.scatter_add_(2, low, (1 - frac) * scale)
    weights.scatter_add_(2, high, frac * scale)
    return weights


def _axis_weights(
    rois: torch.Tensor,
    feature_hw: Tuple[int, int],
    output_size: Tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool,
    dtype: torch.dtype,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """(Ay (R, PH, H), Ax (R, PW, W)) in ``dtype`` for rois (R, 5), computed in float32 (float64 for float64)."""
    rois = rois.to(torch.float64 if dtype == torch.float64 else torch.float32)
    offset = 0.5 if aligned else 0.0
    boxes = rois[:, 1:] * spatial_scale - offset  # (R, 4) x0, y0, x1, y1
    width = boxes[:, 2] - boxes[:, 0]
    height = boxes[:, 3] - boxes[:, 1]
    if not aligned:  # the original RoIAlign forces boxes to at least one feature pixel
        width, height = width.clamp(min=1.0), height.clamp(min=1.0)
    (ph, pw), (h, w) = output_size, feature_hw
    if sampling_ratio > 0:
        grid_h = torch.full_like(height, sampling_ratio, dtype=torch.int64)
        grid_w = torch.full_like(width, sampling_ratio, dtype=torch.int64)
    else:
        grid_h = torch.ceil(height / ph).clamp(min=0).to(torch.int64)
        grid_w = torch.ceil(width / pw).clamp(min=0).to(torch.int64)
    ay = roi_align_axis_weights(boxes[:, 1], height, ph, grid_h, h)
    ax = roi_align_axis_weights(boxes[:, 0], width, pw, grid_w, w)
    return ay.to(dtype), ax.to(dtype)


def _torchvision_samples(
    rois: torch.Tensor, output_size: Tuple[int, int], spatial_scale: float, sampling_ratio: int
) -> float:
    """Bilinear samples per bin, summed over the RoIs: torchvision's kernel does this much work per channel and bin."""
    if sampling_ratio > 0:
        return float(rois.shape[0] * sampling_ratio * sampling_ratio)
    ph, pw = output_size
    size = (rois[:, 3:5] - rois[:, 1:3]).detach().float() * spatial_scale  # (R, 2) width, height
    grid = torch.ceil(size / torch.tensor([pw, ph], dtype=size.dtype, device=size.device)).clamp(min=1)
    return float(grid.prod(dim=1).sum())


def use_separable_backward(
    input: torch.Tensor,
    rois: torch.Tensor,
    output_size: Tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int,
) -> bool:
    """Whether the separable backward is cheaper than torchvision's CPU kernel for this call.

    torchvision's work grows with the number of bilinear samples (RoI area), the separable one with the size of the
    feature map; the ratio at which they cost the same was measured with benchmarks/bench_roi_align.py.
    """
    if input.device.type != "cpu" or not input.requires_grad or input.dtype not in (torch.float32, torch.float64):
        return False
    if rois.shape[0] == 0:
        return False
    from .roi_align_forward import _window_cost

    _, c, h, w = input.shape
    ph, pw = output_size
    torchvision_work = c * ph * pw * _torchvision_samples(rois, output_size, spatial_scale, sampling_ratio)
    return _window_cost(rois, c, (h, w), output_size, spatial_scale) <= _WORK_RATIO * torchvision_work


class _ROIAlignSeparableGrad(torch.autograd.Function):
    """`torchvision.ops.roi_align` (same positional arguments, rois (K, 5)) with the separable CPU backward.

    No gradient flows to ``rois``, as with torchvision's kernel.
    """

    @staticmethod
    def forward(ctx, input, rois, output_size, spatial_scale, sampling_ratio, aligned):
        ctx.save_for_backward(rois)
        ctx.params = (tuple(input.shape), spatial_scale, sampling_ratio, aligned)
        return _tv_roi_align(input, rois, output_size, spatial_scale, sampling_ratio, aligned)

    @staticmethod
    def backward(ctx, grad_out):
        (rois,) = ctx.saved_tensors
        input_shape, spatial_scale, sampling_ratio, aligned = ctx.params
        from .roi_align_forward import roi_align_windowed_backward

        grad_in = roi_align_windowed_backward(grad_out, rois, input_shape, spatial_scale, sampling_ratio, aligned)
        return grad_in, None, None, None, None, None


roi_align_separable_grad = _ROIAlignSeparableGrad.apply
