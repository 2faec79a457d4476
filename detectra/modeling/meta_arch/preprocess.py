"""What every meta-architecture does to its inputs before the backbone: pixel statistics, normalising, batching.

Pure functions: each takes the tensors and the backbone's padding rule it needs, so architectures share them without
reaching into one another.
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import torch

from detectra.layers import move_device_like
from detectra.structures import ImageList

from ..backbone import Backbone

__all__ = ["batch_sem_seg_targets", "normalize_and_batch_images", "pixel_stats"]


def pixel_stats(pixel_mean: Sequence[float], pixel_std: Sequence[float]) -> Tuple[torch.Tensor, torch.Tensor]:
    """The per-channel mean and std as Tensor[C, 1, 1] each, to register as (non-persistent) buffers.

    Raises:
        ValueError: the two have different lengths.
    """
    mean = torch.tensor(pixel_mean).view(-1, 1, 1)
    std = torch.tensor(pixel_std).view(-1, 1, 1)
    if mean.shape != std.shape:
        raise ValueError(f"PIXEL_MEAN {list(pixel_mean)} and PIXEL_STD {list(pixel_std)} have different lengths.")
    return mean, std


def normalize_and_batch_images(
    batched_inputs: List[Dict[str, torch.Tensor]], pixel_mean: torch.Tensor, pixel_std: torch.Tensor, backbone: Backbone
) -> ImageList:
    """Move each ``"image"`` (Tensor[C, H, W]) to ``pixel_mean``'s device, normalise it, and pad all into one batch
    whose size suits ``backbone`` (its ``size_divisibility`` and ``padding_constraints``)."""
    images = [move_device_like(x["image"], pixel_mean) for x in batched_inputs]
    images = [(x - pixel_mean) / pixel_std for x in images]
    return ImageList.from_tensors(images, backbone.size_divisibility, padding_constraints=backbone.padding_constraints)


def batch_sem_seg_targets(
    batched_inputs: List[Dict[str, torch.Tensor]], device: torch.device, backbone: Backbone, ignore_value: int
) -> torch.Tensor:
    """The ``"sem_seg"`` label maps padded like the images (see `normalize_and_batch_images`), ``ignore_value`` in
    the padding: Tensor[N, H, W] on ``device``."""
    targets = [x["sem_seg"].to(device) for x in batched_inputs]
    return ImageList.from_tensors(
        targets, backbone.size_divisibility, ignore_value, padding_constraints=backbone.padding_constraints
    ).tensor
