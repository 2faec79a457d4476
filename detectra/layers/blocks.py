"""Building blocks shared by backbones and heads: `CNNBlockBase`, `DepthwiseSeparableConv2d`, `conv3x3_norm_act`."""
from typing import Callable, Optional, Union

import torch
from torch import nn

from .batch_norm import FrozenBatchNorm2d, get_norm
from .wrappers import Conv2d

__all__ = ["CNNBlockBase", "DepthwiseSeparableConv2d", "conv3x3_norm_act"]


class CNNBlockBase(nn.Module):
    """A CNN block with known `in_channels`, `out_channels` and `stride`, and a `freeze()` method.

    Subclasses implement `forward(x)` taking and returning one Tensor[N, C, H, W].
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride

    def freeze(self) -> "CNNBlockBase":
        """Stop gradients to every parameter and turn BatchNorm layers into `FrozenBatchNorm2d`.

        Returns:
            the block itself.
        """
        for p in self.parameters():
            p.requires_grad = False
        FrozenBatchNorm2d.convert_frozen_batchnorm(self)
        return self


class DepthwiseSeparableConv2d(nn.Module):
    """A depthwise k x k conv followed by a pointwise 1 x 1 conv, each with its own norm and activation."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        padding: int = 1,
        dilation: int = 1,
        *,
        norm1=None,
        activation1=None,
        norm2=None,
        activation2=None,
    ):
        super().__init__()
        self.depthwise = Conv2d(
            in_channels,
            in_channels,
            kernel_size=kernel_size,
            padding=padding,
            dilation=dilation,
            groups=in_channels,
            bias=not norm1,
            norm=get_norm(norm1, in_channels),
            activation=activation1,
        )
        self.pointwise = Conv2d(
            in_channels,
            out_channels,
            kernel_size=1,
            bias=not norm2,
            norm=get_norm(norm2, out_channels),
            activation=activation2,
        )
        nn.init.kaiming_normal_(self.depthwise.weight, mode="fan_out", nonlinearity="relu")
        nn.init.kaiming_normal_(self.pointwise.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def conv3x3_norm_act(
    in_channels: int,
    out_channels: int,
    norm: Optional[Union[str, Callable]],
    activation: Optional[Callable],
) -> Conv2d:
    """A 3x3 `Conv2d` (stride 1, padding 1: same size) with a norm (see `get_norm`; "" or None for none, and then the
    conv has a bias) and an activation, the layer the ROI and semantic heads stack."""
    return Conv2d(
        in_channels,
        out_channels,
        kernel_size=3,
        stride=1,
        padding=1,
        bias=not norm,
        norm=get_norm(norm, out_channels),
        activation=activation,
    )
