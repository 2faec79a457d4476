"""`ROIPool` (max pooling per bin, the original Fast R-CNN pooler) over `torchvision.ops.roi_pool`."""
from typing import Tuple, Union

import torch
from torch import nn
from torchvision.ops import roi_pool

__all__ = ["ROIPool"]


class ROIPool(nn.Module):
    """Max RoI pooling.

    Args:
        output_size: (h, w) of the pooled output.
        spatial_scale: box-to-feature scale, e.g. 1/16.
    """

    def __init__(self, output_size: Union[int, Tuple[int, int]], spatial_scale: float):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        """
        Args:
            input (Tensor[N, C, H, W]).
            rois (Tensor[K, 5]): (batch index, x0, y0, x1, y1).

        Returns:
            Tensor[K, C, output_h, output_w].
        """
        if rois.dim() != 2 or rois.size(1) != 5:
            raise ValueError(f"ROIPool expects rois of shape (K, 5), got {tuple(rois.shape)}.")
        return roi_pool(input, rois.to(dtype=input.dtype), self.output_size, self.spatial_scale)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}"
