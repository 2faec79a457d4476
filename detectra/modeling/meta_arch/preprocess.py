"""What every meta-architecture does with its input dicts: pixel statistics, normalising, batching, and the output
size each input asks for.

Pure functions, each taking the tensors and the backbone's padding rule it needs, and `ImageModel`, the small base
that holds the pixel statistics of the architectures built on them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import torch
from torch import nn

from detectra.layers import move_device_like
from detectra.structures import ImageList

from ..backbone import Backbone, build_backbone

__all__ = ["ImageModel", "batch_sem_seg_targets", "normalize_and_batch_images", "pixel_stats", "requested_sizes"]


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


def requested_sizes(batched_inputs: List[Dict], image_sizes: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """Per image, the (height, width) its input dict asks the outputs to be rescaled to; by default the size the
    network ran it at (``image_sizes``)."""
    return [(x.get("height", size[0]), x.get("width", size[1])) for x, size in zip(batched_inputs, image_sizes)]


class ImageModel(nn.Module):
    """Base of the meta-architectures that take Detectron2's input dicts: it holds the per-channel ``pixel_mean``
    / ``pixel_std`` buffers (non-persistent: checkpoints carry no pixel statistics, the config does), tells the
    ``device`` they are on, and normalises and batches the images for ``self.backbone``, which the subclass sets.
    Its :meth:`from_config` reads what every such architecture takes from a yacs config.

    Args:
        pixel_mean, pixel_std: per-channel normalisation of the input images.
    """

    def __init__(self, pixel_mean: Sequence[float], pixel_std: Sequence[float]):
        super().__init__()
        mean, std = pixel_stats(pixel_mean, pixel_std)
        self.register_buffer("pixel_mean", mean, False)
        self.register_buffer("pixel_std", std, False)

    @classmethod
    def from_config(cls, cfg) -> Dict[str, Any]:
        """The arguments every image model reads from a yacs config: the ``backbone`` it builds
        (``cfg.MODEL.BACKBONE``) and ``pixel_mean`` / ``pixel_std``. Subclasses add their heads'."""
        return {"backbone": build_backbone(cfg), "pixel_mean": cfg.MODEL.PIXEL_MEAN, "pixel_std": cfg.MODEL.PIXEL_STD}

    @property
    def device(self) -> torch.device:
        return self.pixel_mean.device

    def _move_to_current_device(self, x: torch.Tensor) -> torch.Tensor:
        return move_device_like(x, self.pixel_mean)

    def preprocess_image(self, batched_inputs: List[Dict[str, torch.Tensor]]) -> ImageList:
        """Normalise, pad and batch the input images."""
        return normalize_and_batch_images(batched_inputs, self.pixel_mean, self.pixel_std, self.backbone)
