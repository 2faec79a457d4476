"""Atrous Spatial Pyramid Pooling (DeepLabV3), as Detectron2's `layers.ASPP`."""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from .batch_norm import get_norm
from .blocks import DepthwiseSeparableConv2d
from .wrappers import Conv2d

__all__ = ["ASPP"]


def _c2_xavier_fill(module: nn.Module) -> None:
    # Caffe2's "XavierFill" (what Detectron2 initialises these convs with) is kaiming_uniform with a=1
    nn.init.kaiming_uniform_(module.weight, a=1)
    if module.bias is not None:
        nn.init.constant_(module.bias, 0)


class ASPP(nn.Module):
    """Parallel 1x1 conv, three dilated 3x3 convs and image pooling, concatenated and projected.

    Args:
        in_channels, out_channels: channels in and out.
        dilations: the three dilation rates, e.g. [6, 12, 18].
        norm: a `get_norm` name or callable.
        activation: applied after every conv.
        pool_kernel_size: (h, w) average-pooling kernel for the image-pooling branch (fixed-size training crops),
            or None for global pooling.
        dropout: dropout after the projection.
        use_depthwise_separable_conv: DeepLabV3+'s depthwise-separable 3x3 convs.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        dilations: List[int],
        *,
        norm: Union[str, callable],
        activation,
        pool_kernel_size: Optional[Tuple[int, int]] = None,
        dropout: float = 0.0,
        use_depthwise_separable_conv: bool = False,
    ):
        super().__init__()
        if len(dilations) != 3:
            raise ValueError(f"ASPP expects 3 dilations, got {len(dilations)}: {dilations}.")
        self.pool_kernel_size = pool_kernel_size
        self.dropout = dropout
        use_bias = norm == ""
        self.convs = nn.ModuleList()
        self.convs.append(
            Conv2d(in_channels, out_channels, 1, bias=use_bias, norm=get_norm(norm, out_channels), activation=activation)
        )
        _c2_xavier_fill(self.convs[-1])
        for dilation in dilations:
            if use_depthwise_separable_conv:
                self.convs.append(
                    DepthwiseSeparableConv2d(
                        in_channels,
                        out_channels,
                        kernel_size=3,
                        padding=dilation,
                        dilation=dilation,
                        norm1=norm,
                        activation1=activation,
                        norm2=norm,
                        activation2=activation,
                    )
                )
            else:
                self.convs.append(
                    Conv2d(
                        in_channels,
                        out_channels,
                        kernel_size=3,
                        padding=dilation,
                        dilation=dilation,
                        bias=use_bias,
                        norm=get_norm(norm, out_channels),
                        activation=activation,
                    )
                )
                _c2_xavier_fill(self.convs[-1])
        # the image-pooling branch: no norm, since its output is 1x1 (BN over one pixel per image is unstable)
        pool = nn.AdaptiveAvgPool2d(1) if pool_kernel_size is None else nn.AvgPool2d(pool_kernel_size, stride=1)
        image_pooling = nn.Sequential(pool, Conv2d(in_channels, out_channels, 1, bias=True, activation=activation))
        _c2_xavier_fill(image_pooling[1])
        self.convs.append(image_pooling)

        self.project = Conv2d(
            5 * out_channels, out_channels, kernel_size=1, bias=use_bias, norm=get_norm(norm, out_channels),
            activation=activation,
        )
        _c2_xavier_fill(self.project)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (Tensor[N, Cin, H, W]) -> Tensor[N, Cout, H, W]."""
        size = x.shape[-2:]
        if self.pool_kernel_size is not None:
            if size[0] % self.pool_kernel_size[0] or size[1] % self.pool_kernel_size[1]:
                raise ValueError(
                    f"ASPP: input size {tuple(size)} is not divisible by pool_kernel_size {self.pool_kernel_size}; "
                    "use a multiple of it or pool_kernel_size=None."
                )
        res = [conv(x) for conv in self.convs]
        res[-1] = F.interpolate(res[-1], size=size, mode="bilinear", align_corners=False)
        out = self.project(torch.cat(res, dim=1))
        return F.dropout(out, self.dropout, training=self.training) if self.dropout > 0 else out
