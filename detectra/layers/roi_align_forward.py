"""A dense CPU forward for RoIAlign at inference, from the same separability as `roi_align_grad`.

For one RoI ``out[c] = Ay @ feature[c] @ Ax.T`` with ``Ay (PH, H)`` and ``Ax (PW, W)`` the per-axis bilinear weights
(averaged over each bin's samples). Only a window of ``Ay``'s rows and ``Ax``'s columns is non-zero (the RoI's
support), so RoIs are grouped by window size: per group, one gather copies every RoI's window of channel vectors and
two batched products contract its rows and columns. RoIs that cover the whole map skip the gather. The products run
in the features' own dtype (bf16 on AMX: no round trip through float32); torchvision's CPU kernel walks every
(RoI, channel, bin, sample) with scalar code, in float32 only. The weights are computed in float32 from float32 boxes
(bf16 box coordinates would move by pixels) and only then cast to the features' dtype.

`use_separable_forward` estimates both costs per call and takes this path where it is cheaper (measured: 1.3-8x
faster in float32 and 2-12x in bf16 on the box pooler's levels, single thread); training keeps torchvision's forward
(with the separable backward of `roi_align_grad`).
"""
from __future__ import annotations

from typing import Tuple

import torch

from .roi_align_grad import _axis_weights, _torchvision_samples

__all__ = ["roi_align_separable_forward", "use_separable_forward"]

# Dense multiply-adds over torchvision's (channel x bin x sample) count below which the dense forward is faster,
# per feature dtype (bf16 also saves torchvision's cast of the features to float32 and back). Measured with
# benchmarks/bench_roi_align.py (single-thread CPU time, AMX): faster at every ratio measured (12-24); the bounds
# leave room for other machines' slower bf16 products.
_WORK_RATIO = {torch.float32: 40.0, torch.float64: 40.0, torch.bfloat16: 100.0}


def _window_cost(rois: torch.Tensor, channels: int, feature_hw: Tuple[int, int], output_size: Tuple[int, int],
                 spatial_scale: float) -> float:
    """Multiply-adds plus gathered (or scattered) elements of the windowed forward / backward, per RoI window."""
    (h, w), (ph, pw) = feature_hw, output_size
    size = (rois[:, 3:5] - rois[:, 1:3]).detach().float().clamp(min=0) * spatial_scale  # (R, 2) width, height
    # + the interpolation neighbour and rounding, then rounded up to the window step as the forward does
    size = ((size + 3) / _WINDOW_STEP).ceil() * _WINDOW_STEP
    sw, sh = size[:, 0].clamp(max=w), size[:, 1].clamp(max=h)
    windowed = sh * sw + ph * sh * sw + ph * pw * sw
    whole_map = min(ph * w * (h + pw), pw * h * (w + ph))
    per_roi = torch.where((sh >= h) & (sw >= w), torch.full_like(windowed, whole_map), windowed)
    return float(per_roi.sum()) * channels


def use_separable_forward(
    input: torch.Tensor, rois: torch.Tensor, output_size: Tuple[int, int], spatial_scale: float, sampling_ratio: int
) -> bool:
    """Whether the dense forward is cheaper than torchvision's CPU kernel for this call (inference only).

    Args:
        input (Tensor[N, C, H, W]): features; must not require grad (training keeps torchvision's forward).
        rois (Tensor[K, 5]): (batch index, x0, y0, x1, y1).
    """
    if input.device.type != "cpu" or input.requires_grad or input.dtype not in _WORK_RATIO or rois.shape[0] == 0:
        return False
    _, c, h, w = input.shape
    ph, pw = output_size
    torchvision_work = c * ph * pw * _torchvision_samples(rois, output_size, spatial_scale, sampling_ratio)
    dense_work = _window_cost(rois, c, (h, w), output_size, spatial_scale)
    return dense_work <= _WORK_RATIO[input.dtype] * torchvision_work


def roi_align_separable_forward(
    input: torch.Tensor,
    rois: torch.Tensor,
    output_size: Tuple[int, int],
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool,
) -> torch.Tensor:
    """`torchvision.ops.roi_align`'s forward as dense products (no autograd support; use at inference).

    Args:
        input (Tensor[N, C, H, W]): float32 or bfloat16 features (any memory format).
        rois (Tensor[K, 5]): float32 (batch index, x0, y0, x1, y1) in input-image coordinates.
        output_size, spatial_scale, sampling_ratio, aligned: as for torchvision.

    Returns:
        Tensor[K, C, PH, PW] in ``input``'s dtype.
    """
    n, c, h, w = input.shape
    ph, pw = output_size
    if rois.shape[0] == 0:
        return input.new_zeros((0, c, ph, pw))
    ay, ax = _axis_weights(rois, (h, w), (ph, pw), spatial_scale, sampling_ratio, aligned, input.dtype)
    with torch.autocast(input.device.type, enabled=False):  # compute in the features' dtype, as documented
        return _forward(input, ay, ax, rois[:, 0].to(torch.int64))


def _forward(input: torch.Tensor, ay: torch.Tensor, ax: torch.Tensor, batch_index: torch.Tensor) -> torch.Tensor:
    """`roi_align_separable_forward` once the axis weights are known: (R, C, PH, PW)."""
    n, c, h, w = input.shape
    ph, pw = ay.shape[1], ax.shape[1]
    out = input.new_empty((ay.shape[0], c, ph, pw))
    channels_last = input.is_contiguous(memory_format=torch.channels_last) and not input.is_contiguous()
    rows_first = ph * w * (h + pw) <= pw * h * (w + ph)
    for sel, b, ys, xs in _window_groups(ay, ax, batch_index):
        feature = input[b]  # (C, H, W)
        if ys.shape[1] == h and xs.shape[1] == w:  # RoIs as large as the map: products over the whole map
            if channels_last:
                out[sel] = _pool_hwc(feature.permute(1, 2, 0), ay[sel], ax[sel], rows_first)
            else:
                out[sel] = _pool_chw(feature, ay[sel], ax[sel], rows_first)
        else:
            out[sel] = _pool_windows(feature.permute(1, 2, 0), ay[sel], ax[sel], ys, xs)
    return out


def _window_groups(ay: torch.Tensor, ax: torch.Tensor, batch_index: torch.Tensor):
    """RoIs grouped by image and by window size (rounded up to _WINDOW_STEP): one gather + two products per group.

    Yields:
        (RoI indices (Tensor[r]), image index, window rows (Tensor[r, Sh]), window columns (Tensor[r, Sw])): every
        RoI's non-zero weights lie inside its window, which lies inside the map.
    """
    h, w = ay.shape[2], ax.shape[2]
    (y0, sh), (x0, sw) = _support(ay), _support(ax)
    sh = (sh + _WINDOW_STEP - 1).div(_WINDOW_STEP, rounding_mode="floor").mul(_WINDOW_STEP).clamp(max=h)
    sw = (sw + _WINDOW_STEP - 1).div(_WINDOW_STEP, rounding_mode="floor").mul(_WINDOW_STEP).clamp(max=w)
    group = (batch_index * (h + 1) + sh) * (w + 1) + sw
    for key in group.unique().tolist():
        sel = (group == key).nonzero().squeeze(1)
        b, gh, gw = key // ((h + 1) * (w + 1)), (key // (w + 1)) % (h + 1), key % (w + 1)
        ys = y0[sel].clamp(max=h - gh)[:, None] + torch.arange(gh, device=y0.device)  # (r, Sh)
        xs = x0[sel].clamp(max=w - gw)[:, None] + torch.arange(gw, device=x0.device)  # (r, Sw)
        yield sel, b, ys, xs


def roi_align_windowed_backward(
    grad_out: torch.Tensor,
    rois: torch.Tensor,
    input_shape: Tuple[int, int, int, int],
    spatial_scale: float,
    sampling_ratio: int,
    aligned: bool,
) -> torch.Tensor:
    """Gradient of roi_align w.r.t. its input, window by window: grad_out (R, C, PH, PW) -> (N, C, H, W).

    Per RoI ``grad_window = Ay_w.T @ grad_out[r, c] @ Ax_w``, added into the map with one ``index_add_`` per group
    (the result is channels-last in memory).
    """
    n, c, h, w = input_shape
    ph, pw = grad_out.shape[2:]
    ay, ax = _axis_weights(rois, (h, w), (ph, pw), spatial_scale, sampling_ratio, aligned, grad_out.dtype)
    grad = grad_out.new_zeros((n * h * w, c))  # channels-last rows: one channel vector per pixel
    go = grad_out.permute(0, 2, 3, 1)  # (R, PH, PW, C)
    for sel, b, ys, xs in _window_groups(ay, ax, rois[:, 0].to(torch.int64)):
        r, sw = ys.shape[0], xs.shape[1]
        ay_w, ax_w, index = _window(ay[sel], ax[sel], ys, xs, w)
        t = torch.matmul(ax_w.transpose(1, 2).unsqueeze(1), go[sel])  # (r, PH, Sw, C): columns spread
        g = torch.bmm(ay_w.transpose(1, 2), t.reshape(r, ph, sw * c))  # (r, Sh, Sw * C): rows spread
        grad.index_add_(0, b * h * w + index, g.reshape(-1, c))
    return grad.view(n, h, w, c).permute(0, 3, 1, 2)


# window sizes are rounded up to a multiple of this: fewer groups, at most this much padding per side
_WINDOW_STEP = 8


def _support(weights: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per RoI, where its non-zero weights along one axis start and how many indices they span.

    Args:
        weights (Tensor[R, P, L]): one axis' weights.

    Returns:
        start and length, int64 Tensor[R] each (length >= 1).
    """
    length = weights.shape[2]
    used = weights.ne(0).any(dim=1)  # (R, L)
    first = used.int().argmax(dim=1)
    last = length - 1 - used.flip(1).int().argmax(dim=1)
    return first, (last - first).clamp(min=0) + 1


def _pool_windows(
    feature: torch.Tensor, ay: torch.Tensor, ax: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor
) -> torch.Tensor:
    """Gather each RoI's support window, then the two products inside it.

    feature (H, W, C) (any strides); ay (r, PH, H), ax (r, PW, W); ys (r, Sh), xs (r, Sw): each RoI's window rows
    and columns, holding all its non-zero weights. Returns (r, C, PH, PW).
    """
    h, w, c = feature.shape
    r, sh, sw = ys.shape[0], ys.shape[1], xs.shape[1]
    ay_w, ax_w, index = _window(ay, ax, ys, xs, w)
    flat = feature.reshape(h * w, c)  # no copy for a channels-last map
    windows = flat.index_select(0, index).view(r, sh, sw * c)  # whole channel vectors copied
    t = torch.bmm(ay_w, windows).view(r, -1, sw, c)  # (r, PH, Sw, C)
    out = torch.matmul(ax_w.unsqueeze(1), t)  # (r, PH, PW, C)
    return out.permute(0, 3, 1, 2)


def _window(
    ay: torch.Tensor, ax: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, width: int
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The part of each RoI's weights inside its window, and the window's pixels as flat map indices.

    Args:
        ay (Tensor[r, PH, H]), ax (Tensor[r, PW, W]): the axis weights.
        ys (Tensor[r, Sh]), xs (Tensor[r, Sw]): each RoI's window rows / columns.
        width: the map's width W.

    Returns:
        ay_w (Tensor[r, PH, Sh]), ax_w (Tensor[r, PW, Sw]), index (Tensor[r * Sh * Sw]) = y * W + x, row-major.
    """
    ay_w = ay.gather(2, ys[:, None, :].expand(-1, ay.shape[1], -1))
    ax_w = ax.gather(2, xs[:, None, :].expand(-1, ax.shape[1], -1))
    index = (ys[:, :, None] * width + xs[:, None, :]).reshape(-1)
    return ay_w, ax_w, index


def _pool_chw(feature: torch.Tensor, ay: torch.Tensor, ax: torch.Tensor, rows_first: bool) -> torch.Tensor:
    """feature (C, H, W) contiguous; ay (r, PH, H), ax (r, PW, W) -> (r, C, PH, PW)."""
    c, h, w = feature.shape
    r, ph, _ = ay.shape
    pw = ax.shape[1]
    if rows_first:
        # t[c, r*p, x] = sum_y ay[r, p, y] * f[c, y, x]: C GEMMs sharing ay
        t = torch.matmul(ay.reshape(1, r * ph, h), feature).view(c, r, ph, w)
        out = torch.matmul(t, ax.transpose(1, 2))  # (C, r, PH, PW): per RoI, contract the columns
    else:
        t = torch.matmul(feature, ax.reshape(r * pw, w).t().unsqueeze(0)).view(c, h, r, pw)
        out = torch.matmul(ay, t.permute(0, 2, 1, 3))  # (C, r, PH, PW)
    return out.permute(1, 0, 2, 3)


def _pool_hwc(feature: torch.Tensor, ay: torch.Tensor, ax: torch.Tensor, rows_first: bool) -> torch.Tensor:
    """feature (H, W, C) contiguous (a channels-last map); ay (r, PH, H), ax (r, PW, W) -> (r, C, PH, PW)."""
    h, w, c = feature.shape
    r, ph, _ = ay.shape
    pw = ax.shape[1]
    if rows_first:
        t = (ay.reshape(r * ph, h) @ feature.reshape(h, w * c)).view(r, ph, w, c)
        out = torch.matmul(ax.unsqueeze(1), t)  # (r, PH, PW, C)
    else:
        t = (ax.reshape(r * pw, w) @ feature.transpose(0, 1).reshape(w, h * c)).view(r, pw, h, c)
        out = torch.matmul(ay.unsqueeze(1), t).transpose(1, 2)  # (r, PW, PH, C) -> (r, PH, PW, C)
    return out.permute(0, 3, 1, 2)
