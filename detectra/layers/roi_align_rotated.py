"""RoIAlign for rotated boxes, in pure torch (Detectron2 ships it as a C++/CUDA kernel).

The sampling points of each bin are placed in the box's rotated frame and read with bilinear interpolation by a
gather, following RoIAlign's rules (zero outside [-1, size], clamped at the border). It is exact but slower than
a fused kernel: memory is (num_rois x samples x channels).
"""
import math
from typing import Tuple, Union

import torch
from torch import nn
from torch.nn.modules.utils import _pair

__all__ = ["ROIAlignRotated", "roi_align_rotated"]


def _bilinear_gather(flat: torch.Tensor, batch_idx: torch.Tensor, y: torch.Tensor, x: torch.Tensor, h: int, w: int):
    """Bilinear sample of `flat` (Tensor[B*H*W, C]) at (y, x) (Tensor[R, S]) of images `batch_idx` (Tensor[R]),
    with RoIAlign's border rules. Returns Tensor[R, S, C]."""
    outside = (y < -1.0) | (y > h) | (x < -1.0) | (x > w)
    y = y.clamp(min=0)
    x = x.clamp(min=0)
    y_low = y.floor().long().clamp(max=h - 1)
    x_low = x.floor().long().clamp(max=w - 1)
    y_high = (y_low + 1).clamp(max=h - 1)
    x_high = (x_low + 1).clamp(max=w - 1)
    # past the last row/column the sample snaps to it
    y = torch.where(y_low >= h - 1, y_low.to(y.dtype), y)
    x = torch.where(x_low >= w - 1, x_low.to(x.dtype), x)
    ly = y - y_low
    lx = x - x_low
    hy, hx = 1.0 - ly, 1.0 - lx

    base = (batch_idx * (h * w))[:, None]

    def at(yy, xx):
        return flat[(base + yy * w + xx).reshape(-1)].view(*yy.shape, -1)

    val = (
        (hy * hx)[..., None] * at(y_low, x_low)
        + (hy * lx)[..., None] * at(y_low, x_high)
        + (ly * hx)[..., None] * at(y_high, x_low)
        + (ly * lx)[..., None] * at(y_high, x_high)
    )
    return val.masked_fill(outside[..., None], 0.0)


def roi_align_rotated(
    input: torch.Tensor,
    rois: torch.Tensor,
    output_size: Union[int, Tuple[int, int]],
    spatial_scale: float,
    sampling_ratio: int,
) -> torch.Tensor:
    """RoIAlign over rotated boxes (always pixel-aligned, i.e. the -0.5 shift of ``aligned=True``).

    Args:
        input (Tensor[N, C, H, W]).
        rois (Tensor[K, 6]): (batch index, x_ctr, y_ctr, w, h, angle in degrees).
        output_size: (ph, pw).
        spatial_scale: box-to-feature scale.
        sampling_ratio: samples per bin along each axis; 0 = adaptive ceil(roi_size / output_size) per ROI.

    Returns:
        Tensor[K, C, ph, pw].
    """
    ph, pw = _pair(output_size)
    n, c, h, w = input.shape
    k = rois.shape[0]
    out = input.new_zeros((k, c, ph, pw))
    if k == 0:
        return out
    flat = input.permute(0, 2, 3, 1).reshape(n * h * w, c)

    rois = rois.to(input.dtype)
    batch_idx = rois[:, 0].long()
    cx = rois[:, 1] * spatial_scale - 0.5
    cy = rois[:, 2] * spatial_scale - 0.5
    roi_w = rois[:, 3] * spatial_scale
    roi_h = rois[:, 4] * spatial_scale
    theta = rois[:, 5] * (math.pi / 180.0)
    cos, sin = torch.cos(theta), torch.sin(theta)

    if sampling_ratio > 0:
        grid_h = torch.full((k,), sampling_ratio, dtype=torch.long, device=rois.device)
        grid_w = grid_h
    else:
        grid_h = torch.ceil(roi_h / ph).long().clamp(min=1)
        grid_w = torch.ceil(roi_w / pw).long().clamp(min=1)

    # ROIs with the same sampling grid are processed together
    groups = torch.stack([grid_h, grid_w], dim=1)
    for gh, gw in torch.unique(groups, dim=0).tolist():
        sel = ((grid_h == gh) & (grid_w == gw)).nonzero().squeeze(1)
        bin_h = (roi_h[sel] / ph)[:, None]
        bin_w = (roi_w[sel] / pw)[:, None]
        # sample offsets in bin units, (ph*gh,) and (pw*gw,), from the ROI's top-left corner
        iy = (torch.arange(ph * gh, device=input.device, dtype=input.dtype) + 0.5) / gh
        ix = (torch.arange(pw * gw, device=input.device, dtype=input.dtype) + 0.5) / gw
        yy = -roi_h[sel][:, None] / 2 + iy[None, :] * bin_h  # (R, ph*gh)
        xx = -roi_w[sel][:, None] / 2 + ix[None, :] * bin_w  # (R, pw*gw)
        yy = yy[:, :, None]
        xx = xx[:, None, :]
        c_, s_ = cos[sel][:, None, None], sin[sel][:, None, None]
        y = yy * c_ - xx * s_ + cy[sel][:, None, None]  # (R, ph*gh, pw*gw)
        x = yy * s_ + xx * c_ + cx[sel][:, None, None]
        r = sel.numel()
        vals = _bilinear_gather(flat, batch_idx[sel], y.reshape(r, -1), x.reshape(r, -1), h, w)
        vals = vals.view(r, ph, gh, pw, gw, c).mean(dim=(2, 4))  # (R, ph, pw, C)
        out[sel] = vals.permute(0, 3, 1, 2).to(out.dtype)
    return out


class ROIAlignRotated(nn.Module):
    """RoIAlign over rotated boxes; see `roi_align_rotated`.

    Args:
        output_size: (h, w) of the pooled output.
        spatial_scale: box-to-feature scale, e.g. 1/16.
        sampling_ratio: samples per bin along each axis; 0 = adaptive.
    """

    def __init__(self, output_size: Union[int, Tuple[int, int]], spatial_scale: float, sampling_ratio: int):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio

    def forward(self, input: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        """
        Args:
            input (Tensor[N, C, H, W]).
            rois (Tensor[K, 6]): (batch index, x_ctr, y_ctr, w, h, angle in degrees).

        Returns:
            Tensor[K, C, output_h, output_w].
        """
        if rois.dim() != 2 or rois.size(1) != 6:
            raise ValueError(f"ROIAlignRotated expects rois of shape (K, 6), got {tuple(rois.shape)}.")
        orig_dtype = input.dtype
        if orig_dtype == torch.float16:
            input = input.float()  # half precision bilinear weights lose too much accuracy
        return roi_align_rotated(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio).to(orig_dtype)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}, sampling_ratio={self.sampling_ratio}"
