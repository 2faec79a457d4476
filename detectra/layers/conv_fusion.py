"""Convolution + bias + residual add + ReLU as one oneDNN call, for float32 CPU inference.

A ResNet block at inference ends in ``relu(conv(x) + bias + shortcut)``; run as separate ops, the add and the ReLU
each make a full pass over the activation in memory (and allocate a new one), about a tenth of R50-FPN's CPU time.
oneDNN applies both to the convolution's accumulators before they are written (post-ops), the fusion Inductor does
under ``torch.compile``. The result is the same as the separate ops: the convolution's sum is rounded once, then the
bias, the residual and the ReLU are applied to it in that order.

The fused op (``torch.ops.mkldnn._convolution_pointwise``) has no autograd formula and is not counted by
``torch.utils.flop_counter``, so it is used only where nothing needs either: see `can_fuse_conv`.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch.utils._python_dispatch import _get_current_dispatch_mode

__all__ = ["can_fuse_conv", "fused_conv2d"]

# The op is an internal of torch's CPU build (Inductor's fusion target); a build without it runs the plain ops.
_HAS_FUSED_OP = hasattr(torch.ops.mkldnn, "_convolution_pointwise")


def _channels_last(x: torch.Tensor) -> bool:
    return x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


def can_fuse_conv(x: torch.Tensor, *tensors: Optional[torch.Tensor]) -> bool:
    """Whether `fused_conv2d` may run on input ``x`` with the given weight / bias / residual tensors.

    True for a float32 channels-last CPU input (the layout detectra's CNN backbones switch to on the CPU, where
    oneDNN needs no reorder around the call) when no gradient is wanted through any of them, outside autocast and
    outside tracing, compiling, exporting and dispatch modes (flop counting, fake tensors), which must see plain ops.
    """
    if x.device.type != "cpu" or x.dtype != torch.float32 or x.dim() != 4 or not _channels_last(x):
        return False
    if not (torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled and _HAS_FUSED_OP):
        return False
    if torch.is_autocast_enabled("cpu"):
        return False
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, *tensors)):
        return False
    if torch.jit.is_tracing() or torch.compiler.is_compiling() or torch.compiler.is_exporting():
        return False
    if torch.fx._symbolic_trace.is_fx_symbolic_tracing():
        return False
    if _get_current_dispatch_mode() is not None:
        return False
    return all(t is None or (t.device.type == "cpu" and t.dtype == torch.float32) for t in tensors)


def fused_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor],
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    *,
    add: Optional[torch.Tensor] = None,
    relu: bool = False,
    into_add: bool = False,
) -> torch.Tensor:
    """``relu(conv2d(x, weight, bias) + add)`` (add and relu optional) in one oneDNN call.

    Call only where `can_fuse_conv` holds for ``x, weight, bias, add``.

    Args:
        x: input, Tensor[N, C, H, W] (channels-last).
        weight: Tensor[O, C / groups, kh, kw]; bias: Tensor[O] or None.
        stride / padding / dilation / groups: as in `torch.nn.functional.conv2d` (padding as numbers).
        add: Tensor[N, O, H', W'] of the output's shape, added to the convolution (e.g. a residual).
        relu: apply ReLU last.
        into_add: write the result into ``add`` (a temporary of the caller's) instead of a new tensor: a large
            new tensor costs a page fault per 4 KiB page on its first write, as much as a cheap convolution.

    Returns:
        Tensor[N, O, H', W'], channels-last (``add`` itself with ``into_add``).
    """
    padding, stride, dilation = list(padding), list(stride), list(dilation)
    unary = ("relu", [], "") if relu else (None, [], None)  # (attr, scalars, algorithm) of the post-op
    if add is None:
        return torch.ops.mkldnn._convolution_pointwise(
            x, weight, bias, padding, stride, dilation, groups, "relu" if relu else "none", [], ""
        )
    if into_add and _channels_last(add):
        return torch.ops.mkldnn._convolution_pointwise_.binary(
            add, x, weight, bias, padding, stride, dilation, groups, "add", None, *unary
        )
    return torch.ops.mkldnn._convolution_pointwise.binary(
        x, add, weight, bias, padding, stride, dilation, groups, "add", None, *unary
    )
