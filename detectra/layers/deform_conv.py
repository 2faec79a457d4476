"""Deformable convolutions (v1 and modulated v2) over `torchvision.ops.deform_conv2d`."""
from typing import Optional

import torch
from torch import nn
from torch.nn.modules.utils import _pair
from torchvision.ops import deform_conv2d

__all__ = ["DeformConv", "ModulatedDeformConv", "deform_conv", "modulated_deform_conv"]


def _check_groups(x: torch.Tensor, weight: torch.Tensor, offset: torch.Tensor, groups: int, deformable_groups: int,
                  kernel_size: tuple) -> None:  # fmt: skip
    # torchvision infers both group counts from the tensor shapes; a stated count that disagrees is a caller error
    if x.shape[1] != weight.shape[1] * groups:
        raise ValueError(
            f"groups={groups} does not fit input channels {x.shape[1]} and weight {tuple(weight.shape)} "
            "(weight must have in_channels / groups input channels)."
        )
    if offset.shape[1] != 2 * deformable_groups * kernel_size[0] * kernel_size[1]:
        raise ValueError(
            f"offset has {offset.shape[1]} channels; deformable_groups={deformable_groups} with a "
            f"{tuple(kernel_size)} kernel needs 2 * deformable_groups * kh * kw = "
            f"{2 * deformable_groups * kernel_size[0] * kernel_size[1]}."
        )


def deform_conv(
    input: torch.Tensor,
    offset: torch.Tensor,
    weight: torch.Tensor,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
    deformable_groups: int = 1,
    im2col_step: int = 64,
) -> torch.Tensor:
    """Deformable convolution v1 as a function (differentiable, via ``torchvision.ops.deform_conv2d``).

    Args:
        input (Tensor[N, Cin, H, W]), offset (Tensor[N, 2 * deformable_groups * kh * kw, Ho, Wo]),
        weight (Tensor[Cout, Cin / groups, kh, kw]).
        im2col_step: accepted for Detectron2 compatibility; torchvision picks its own batching.

    Returns:
        Tensor[N, Cout, Ho, Wo].
    """
    _check_groups(input, weight, offset, groups, deformable_groups, weight.shape[-2:])
    return deform_conv2d(input, offset, weight, None, _pair(stride), _pair(padding), _pair(dilation))


def modulated_deform_conv(
    input: torch.Tensor,
    offset: torch.Tensor,
    mask: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor] = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
    deformable_groups: int = 1,
) -> torch.Tensor:
    """Modulated deformable convolution v2 as a function: :func:`deform_conv` plus a per-sample ``mask`` in [0, 1]
    (Tensor[N, deformable_groups * kh * kw, Ho, Wo]) and an optional ``bias`` (Tensor[Cout])."""
    _check_groups(input, weight, offset, groups, deformable_groups, weight.shape[-2:])
    return deform_conv2d(input, offset, weight, bias, _pair(stride), _pair(padding), _pair(dilation), mask=mask)


class _DeformConvBase(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        deformable_groups: int = 1,
        bias: bool = False,
        norm: Optional[nn.Module] = None,
        activation=None,
    ):
        super().__init__()
        if in_channels % groups != 0 or out_channels % groups != 0:
            raise ValueError(
                f"in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})."
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.deformable_groups = deformable_groups
        self.norm = norm
        self.activation = activation

        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *self.kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        nn.init.kaiming_uniform_(self.weight, nonlinearity="relu")

    def _conv(self, x: torch.Tensor, offset: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
        if x.numel() == 0:
            # torchvision's kernel rejects empty batches; compute the output shape instead
            out_hw = [
                (size + 2 * p - (d * (k - 1) + 1)) // s + 1
                for size, p, d, k, s in zip(x.shape[-2:], self.padding, self.dilation, self.kernel_size, self.stride)
            ]
            out = x.new_zeros(x.shape[0], self.out_channels, *out_hw) + self.weight.sum() * 0.0
        else:
            out = deform_conv2d(
                x, offset, self.weight, self.bias, self.stride, self.padding, self.dilation, mask=mask
            )
        if self.norm is not None:
            out = self.norm(out)
        if self.activation is not None:
            out = self.activation(out)
        return out

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, out_channels={self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, groups={self.groups}, "
            f"deformable_groups={self.deformable_groups}, bias={self.bias is not None}"
        )


class DeformConv(_DeformConvBase):
    """Deformable convolution (v1): a conv whose sampling positions are shifted by a predicted offset.

    forward(x (Tensor[N, Cin, H, W]), offset (Tensor[N, 2 * deformable_groups * kh * kw, Ho, Wo]))
    -> Tensor[N, Cout, Ho, Wo]. `bias` defaults to False, as in Detectron2.
    """

    def forward(self, x: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
        return self._conv(x, offset, None)


class ModulatedDeformConv(_DeformConvBase):
    """Modulated deformable convolution (v2): offsets plus a per-sample mask in [0, 1].

    forward(x, offset (Tensor[N, 2 * dg * kh * kw, Ho, Wo]), mask (Tensor[N, dg * kh * kw, Ho, Wo])).
    `bias` defaults to True, as in Detectron2.
    """

    def __init__(self, *args, bias: bool = True, **kwargs):
        super().__init__(*args, bias=bias, **kwargs)

    def forward(self, x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self._conv(x, offset, mask)
