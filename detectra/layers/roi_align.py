"""`ROIAlign` module over `torchvision.ops.roi_align`."""
from typing import Tuple, Union

import torch
from torch import nn
from torchvision.ops import roi_align

from .roi_align_forward import roi_align_separable_forward, use_separable_forward
from .roi_align_grad import roi_align_separable_grad, use_separable_backward
from .wrappers import is_exporting

__all__ = ["ROIAlign", "roi_align"]


class ROIAlign(nn.Module):
    """Bilinear RoI pooling (RoIAlign).

    Args:
        output_size: (h, w) of the pooled output.
        spatial_scale: scale from box coordinates to feature coordinates, e.g. 1/16.
        sampling_ratio: samples per bin along each axis; 0 = adaptive (ceil(roi_size / output_size)).
        aligned: if True, shift boxes by -0.5 pixel so that pixel centers line up (Detectron2's default and
            what its models were trained with); False reproduces the original, misaligned RoIAlign.
    """

    def __init__(
        self,
        output_size: Union[int, Tuple[int, int]],
        spatial_scale: float,
        sampling_ratio: int,
        aligned: bool = True,
    ):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        """
        Args:
            input (Tensor[N, C, H, W]): features.
            rois (Tensor[K, 5]): (batch index, x0, y0, x1, y1) in input-image coordinates.

        Returns:
            Tensor[K, C, output_h, output_w].
        """
        if rois.dim() != 2 or rois.size(1) != 5:
            raise ValueError(f"ROIAlign expects rois of shape (K, 5), got {tuple(rois.shape)}.")
        if input.is_quantized:
            input = input.dequantize()
        out_dtype = input.dtype
        if rois.dtype in (torch.bfloat16, torch.float16):
            rois = rois.float()  # 8-11 mantissa bits would move box coordinates by pixels
        # CPU inference: dense products in the features' dtype where cheaper than torchvision's kernel
        # (the choice reads the boxes: an exported graph keeps torchvision's op, which every format knows)
        if not is_exporting() and use_separable_forward(
            input, rois, self._size_hw(), self.spatial_scale, self.sampling_ratio
        ):
            # autocast off: the products run in the features' own dtype (autocast would make float32 ones bf16)
            with torch.autocast(input.device.type, enabled=False):
                return roi_align_separable_forward(
                    input, rois, self._size_hw(), self.spatial_scale, self.sampling_ratio, self.aligned
                )
        if out_dtype == torch.bfloat16:
            input = input.float()  # torchvision's CPU kernel has no bf16 path here; its boxes need float32 anyway
        # CPU training on small feature maps: same forward, a backward that is several times faster
        fast = use_separable_backward(input, rois, self._size_hw(), self.spatial_scale, self.sampling_ratio)
        pool = roi_align_separable_grad if fast else roi_align
        out = pool(
            input,
            rois.to(dtype=input.dtype),
            self.output_size,
            self.spatial_scale,
            self.sampling_ratio,
            self.aligned,
        )
        return out.to(out_dtype)

    def _size_hw(self) -> Tuple[int, int]:
        size = self.output_size
        return (size, size) if isinstance(size, int) else tuple(size)

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
            f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned}"
        )
