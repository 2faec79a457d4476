"""Pasting per-ROI mask predictions (M x M) into full-image masks, as Detectron2 does."""
from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["paste_masks_in_image", "pad_masks", "_do_paste_mask"]

_BYTES_PER_FLOAT = 4
# on GPU, paste in chunks so the float masks of a chunk stay under this many bytes
_GPU_MEM_LIMIT = 1024**3


def _do_paste_mask(
    masks: torch.Tensor, boxes: torch.Tensor, img_h: int, img_w: int, skip_empty: bool = True
) -> Tuple[torch.Tensor, tuple]:
    """Resample masks into image coordinates with `grid_sample`.

    Every image pixel (its center at x + 0.5) is mapped to the mask's [-1, 1] normalized coordinates through the
    box, so a box's mask covers exactly the box, with bilinear interpolation at half-pixel geometry.

    Args:
        masks (Tensor[N, 1, M, M]): mask probabilities.
        boxes (Tensor[N, 4]): XYXY_ABS.
        img_h, img_w: image size.
        skip_empty: only compute the region that the boxes cover (faster on CPU).

    Returns:
        (Tensor[N, h, w], spatial_inds): with skip_empty, the pasted region and the (y, x) slices it sits at in the
        image; otherwise the full image and ().
    """
    device = masks.device
    if skip_empty and not torch.jit.is_scripting():
        x0_int, y0_int = torch.clamp(boxes.min(dim=0).values.floor()[:2] - 1, min=0).to(dtype=torch.int32)
        x1_int = torch.clamp(boxes[:, 2].max().ceil() + 1, max=img_w).to(dtype=torch.int32)
        y1_int = torch.clamp(boxes[:, 3].max().ceil() + 1, max=img_h).to(dtype=torch.int32)
    else:
        x0_int, y0_int = 0, 0
        x1_int, y1_int = img_w, img_h
    x0, y0, x1, y1 = torch.split(boxes, 1, dim=1)  # (N, 1) each

    n = masks.shape[0]
    img_y = torch.arange(y0_int, y1_int, device=device, dtype=torch.float32) + 0.5
    img_x = torch.arange(x0_int, x1_int, device=device, dtype=torch.float32) + 0.5
    img_y = (img_y - y0) / (y1 - y0) * 2 - 1  # (N, h)
    img_x = (img_x - x0) / (x1 - x0) * 2 - 1  # (N, w)
    gx = img_x[:, None, :].expand(n, img_y.size(1), img_x.size(1))
    gy = img_y[:, :, None].expand(n, img_y.size(1), img_x.size(1))
    grid = torch.stack([gx, gy], dim=3)  # (N, h, w, 2)

    if not masks.dtype.is_floating_point or masks.dtype == torch.bfloat16:
        # bf16 sampling coordinates would be off by pixels in large images
        masks = masks.float()
    img_masks = F.grid_sample(masks, grid.to(masks.dtype), align_corners=False)

    if skip_empty and not torch.jit.is_scripting():
        return img_masks[:, 0], (slice(y0_int, y1_int), slice(x0_int, x1_int))
    return img_masks[:, 0], ()


def _binarize(masks: torch.Tensor, threshold: float) -> torch.Tensor:
    """bool masks at ``threshold``, or uint8 soft masks in [0, 255] where the threshold is negative."""
    return masks >= threshold if threshold >= 0 else (masks * 255).to(dtype=torch.uint8)


def paste_masks_in_image(
    masks: torch.Tensor, boxes, image_shape: Tuple[int, int], threshold: float = 0.5
) -> torch.Tensor:
    """Paste fixed-size mask predictions into the image, one per box.

    Args:
        masks (Tensor[N, M, M]): mask probabilities (square).
        boxes (Boxes or Tensor[N, 4]): XYXY_ABS, in image coordinates.
        image_shape: (height, width) of the image.
        threshold: binarise at this value; a negative threshold returns soft masks scaled to uint8 [0, 255].

    Returns:
        Tensor[N, height, width]: bool (threshold >= 0) or uint8.
    """
    if masks.shape[-1] != masks.shape[-2]:
        raise ValueError(f"paste_masks_in_image supports square masks only, got {tuple(masks.shape[-2:])}.")
    n = len(masks)
    img_h, img_w = int(image_shape[0]), int(image_shape[1])
    if n == 0:
        return masks.new_empty((0, img_h, img_w), dtype=torch.uint8)
    if not isinstance(boxes, torch.Tensor):
        boxes = boxes.tensor
    device = boxes.device
    if len(boxes) != n:
        raise ValueError(f"paste_masks_in_image got {n} masks but {len(boxes)} boxes.")

    img_masks = torch.zeros(n, img_h, img_w, device=device, dtype=torch.bool if threshold >= 0 else torch.uint8)
    if device.type == "cpu" or torch.jit.is_scripting():
        # one box at a time, with plain slices: each paste then only touches that box's region, which is fastest
        # on CPU (3x faster than gathering each box with a tensor index and scattering it back with index_put)
        for i in range(n):
            mask, spatial_inds = _do_paste_mask(masks[i : i + 1, None], boxes[i : i + 1], img_h, img_w, skip_empty=True)
            img_masks[(i,) + spatial_inds] = _binarize(mask[0], threshold)
        return img_masks

    num_chunks = min(int(np.ceil(n * img_h * img_w * _BYTES_PER_FLOAT / _GPU_MEM_LIMIT)), n)
    for inds in torch.chunk(torch.arange(n, device=device), num_chunks):
        masks_chunk, _ = _do_paste_mask(masks[inds, None, :, :], boxes[inds], img_h, img_w, skip_empty=False)
        img_masks[inds] = _binarize(masks_chunk, threshold)
    return img_masks


def pad_masks(masks: torch.Tensor, padding: int) -> Tuple[torch.Tensor, float]:
    """Surround square masks with ``padding`` zero pixels on each side.

    Args:
        masks (Tensor[N, M, M]): masks.
        padding: pixels added on each side.

    Returns:
        (Tensor[N, M + 2 * padding, M + 2 * padding], scale): the padded masks, and ``(M + 2 * padding) / M``, the
        factor by which a box must grow (about its center) so that the padded mask covers what the mask did.
    """
    m = masks.shape[-1]
    scale = float(m + 2 * padding) / m
    return F.pad(masks, (padding, padding, padding, padding)), scale
