"""Thin wrappers over torch ops: a `Conv2d` with norm/activation, empty-input-safe losses, small tensor helpers."""
from contextlib import contextmanager
from typing import Callable, Iterator, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.fx.experimental.symbolic_shapes import guard_or_false

from .conv_fusion import can_fuse_conv, fused_conv2d
from .fold_norm import foldable_norm, folded_conv_weights

__all__ = [
    "BatchNorm2d",
    "Conv2d",
    "ConvTranspose2d",
    "Linear",
    "cat",
    "check_if_dynamo_compiling",
    "cross_entropy",
    "disable_torch_compiler",
    "empty_input_loss_func_wrapper",
    "interpolate",
    "move_device_like",
    "nonzero_tuple",
    "shapes_to_tensor",
    "is_exporting",
    "export_code_paths",
    "known_true",
    "split_per_image",
    "topk_count",
]

# Kept as names so code written against Detectron2 (`layers.BatchNorm2d`, ...) keeps working; modern torch
# handles empty batches in these natively.
BatchNorm2d = nn.BatchNorm2d
ConvTranspose2d = nn.ConvTranspose2d
Linear = nn.Linear
interpolate = F.interpolate


def is_exporting() -> bool:
    """True while `torch.jit.trace` / `torch.onnx.export` / `torch.export` records the model: sizes may then be
    traced tensors or symbolic ints, and code must not turn tensor values into Python numbers or branch on them."""
    return torch.jit.is_tracing() or torch.compiler.is_exporting() or _export_code_paths_on


_export_code_paths_on = False


@contextmanager
def export_code_paths() -> Iterator[None]:
    """Make `is_exporting` True in an eager call, so the model takes the code paths an export records.

    `detectra.export` runs the model this way once before `torch.export.export` to learn the structure of its
    outputs (torch.export's own call leaves nothing on the module); torch has no public switch for
    `torch.compiler.is_exporting`, and detectra's code only reads `is_exporting`.
    """
    global _export_code_paths_on
    prev, _export_code_paths_on = _export_code_paths_on, True
    try:
        yield
    finally:
        _export_code_paths_on = prev


def known_true(condition) -> bool:
    """``condition`` as a Python bool where it can be decided. While exporting, a condition on a data-dependent
    size (e.g. the number of boxes NMS keeps) cannot be, and counts as False; under `torch.jit.trace` it is read
    and recorded as a constant, as any Python bool is."""
    if isinstance(condition, torch.Tensor):
        return bool(condition)
    return guard_or_false(condition)


def topk_count(count, k: int):
    """``min(count, k)``, the ``k`` of a `topk` over ``count`` entries that follow the input size. Under
    `torch.jit.trace` ``count`` is a traced tensor and the result stays one; under `torch.export` it stays
    symbolic. Either way an exported model works on inputs with fewer than ``k`` entries, not only the example's."""
    if isinstance(count, torch.Tensor):
        return torch.clamp(count, max=k)
    if is_exporting():
        return torch.sym_min(count, k)
    return min(count, k)


def split_per_image(x: torch.Tensor, per_image: Sequence) -> List[torch.Tensor]:
    """Split the rows of ``x`` by ``len()`` of each element of ``per_image`` (e.g. each image's `Instances`).

    With one image all rows belong to it and no length is read, so a traced or exported graph keeps the row count
    dynamic instead of recording the example's.
    """
    if len(per_image) == 1:
        return [x]
    return list(x.split([len(p) for p in per_image], dim=0))


def shapes_to_tensor(x: List[int], device: Optional[torch.device] = None) -> torch.Tensor:
    """Turn a list of ints (possibly traced scalars) into a Tensor."""
    if torch.jit.is_scripting():
        return torch.as_tensor(x, device=device)
    if torch.jit.is_tracing():
        if not all(isinstance(t, torch.Tensor) for t in x):
            raise TypeError("shapes_to_tensor: while tracing, shapes must be tensors.")
        ret = torch.stack(x)
        if ret.device != device:
            ret = ret.to(device=device)
        return ret
    return torch.as_tensor(x, device=device)


def cat(tensors: List[torch.Tensor], dim: int = 0) -> torch.Tensor:
    """`torch.cat` that skips the copy for a single tensor."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"cat expects a list or tuple of tensors, got {type(tensors).__name__}.")
    if len(tensors) == 1:
        return tensors[0]
    return torch.cat(tensors, dim)


def empty_input_loss_func_wrapper(loss_func: Callable) -> Callable:
    """Wrap a loss so that an empty target with reduction="mean" gives 0 (keeping the graph), not NaN."""

    def wrapped_loss_func(input, target, *, reduction="mean", **kwargs):
        if target.numel() == 0 and reduction == "mean":
            return input.sum() * 0.0  # connect the gradient
        return loss_func(input, target, reduction=reduction, **kwargs)

    return wrapped_loss_func


cross_entropy = empty_input_loss_func_wrapper(F.cross_entropy)
cross_entropy.__doc__ = "`F.cross_entropy` that returns 0 (with grad) instead of NaN for an empty target."


class Conv2d(nn.Conv2d):
    """`nn.Conv2d` with optional `norm` and `activation` applied after the convolution.

    Args (besides nn.Conv2d's):
        norm (nn.Module, optional): a normalization layer, e.g. from `get_norm`.
        activation (callable(Tensor) -> Tensor, optional): e.g. `F.relu`.
    """

    # At inference, a FrozenBN / eval-mode BN after the convolution is folded into its weights (see fold_norm.py).
    # Class-wide switch, e.g. to compare against the unfolded computation.
    fold_norm_at_inference: bool = True
    # At float32 CPU inference, bias, residual add and ReLU run inside the convolution (see conv_fusion.py).
    fuse_at_inference: bool = True

    def __init__(self, *args, **kwargs):
        norm = kwargs.pop("norm", None)
        activation = kwargs.pop("activation", None)
        super().__init__(*args, **kwargs)
        self.norm = norm
        self.activation = activation

    def forward(
        self, x: torch.Tensor, add: Optional[torch.Tensor] = None, relu: bool = False, into_add: bool = False
    ) -> torch.Tensor:
        """``activation(norm(conv(x)))``; with ``add`` / ``relu``, ``relu(norm(conv(x)) + add)`` (a residual block's
        last convolution).

        At float32 CPU inference the add and the ReLU (and a ReLU activation) run inside the convolution (see
        conv_fusion.py); elsewhere, e.g. in training, they are the plain ops.

        Args:
            x: input, Tensor[N, C, H, W].
            add: a Tensor of the output's shape, added after the norm; not allowed with an `activation`.
            relu: apply ReLU last.
            into_add: ``add`` is a temporary that the fused path may overwrite with the result (saving a new
                tensor); the plain path leaves it alone.
        """
        if add is not None and self.activation is not None:
            raise ValueError("Conv2d: `add` is added after the norm, so this Conv2d must not have an activation.")
        if not torch.jit.is_scripting():
            # (numel last: while exporting it is a data-dependent count that cannot be compared)
            if self.training and isinstance(self.norm, nn.SyncBatchNorm) and x.numel() == 0:
                raise ValueError("SyncBatchNorm does not support empty inputs; use another norm or skip empty batches.")
            fold = self._fold_norm_now(x)
            if (fold or self.norm is None) and self._fusable(x, add):
                weight, bias = self._conv_weights(x) if fold else (self.weight, self.bias)
                return fused_conv2d(
                    x, weight, bias, self.stride, self.padding, self.dilation, self.groups,
                    add=add, relu=relu or self.activation is not None, into_add=into_add and add is not None,
                )  # fmt: skip
            if fold:
                x = F.conv2d(x, *self._conv_weights(x), self.stride, self.padding, self.dilation, self.groups)
                return self._after_norm(x, add, relu)
        x = F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        if self.norm is not None:
            x = self.norm(x)
        return self._after_norm(x, add, relu)

    def _after_norm(self, x: torch.Tensor, add: Optional[torch.Tensor], relu: bool) -> torch.Tensor:
        if self.activation is not None:
            x = self.activation(x)
        if add is not None:
            x = x + add
        if relu:
            x = F.relu_(x)
        return x

    def _fusable(self, x: torch.Tensor, add: Optional[torch.Tensor]) -> bool:
        """Whether `fused_conv2d` computes this call: the activation must be a ReLU, the padding numbers."""
        if not self.fuse_at_inference:
            return False
        if self.activation is not None and not _is_relu(self.activation):
            return False
        if self.padding_mode != "zeros" or isinstance(self.padding, str) or is_exporting():
            return False
        return can_fuse_conv(x, self.weight, self.bias, add)

    def _fold_norm_now(self, x: torch.Tensor) -> bool:
        """Fold only at inference: eval mode, no gradient wanted for the weights, not while tracing or compiling."""
        if not self.fold_norm_at_inference or self.training or self.norm is None or x.dim() != 4:
            return False
        if torch.is_grad_enabled() and self.weight.requires_grad:
            return False
        if torch.jit.is_tracing() or torch.compiler.is_compiling():
            return False
        return foldable_norm(self.norm)

    def _conv_weights(self, x: torch.Tensor):
        """(weight, bias) with the norm folded in, in the compute dtype and ``x``'s memory format."""
        dtype = self.weight.dtype
        if torch.is_autocast_enabled(x.device.type):
            dtype = torch.get_autocast_dtype(x.device.type)
        channels_last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
        return folded_conv_weights(self, self.norm, dtype, channels_last)

    def train(self, mode: bool = True) -> "Conv2d":
        if mode:  # back to training: the folded copy is stale from the first step on
            from .fold_norm import drop_folded_weights

            drop_folded_weights(self)
        return super().train(mode)


def _is_relu(activation) -> bool:
    return isinstance(activation, nn.ReLU) or activation in (F.relu, F.relu_, torch.relu, torch.relu_)


def nonzero_tuple(x: torch.Tensor):
    """`x.nonzero(as_tuple=True)`, also for 0-dim tensors (as a 1-element tensor)."""
    if x.dim() == 0:
        return x.unsqueeze(0).nonzero().unbind(1)
    return x.nonzero().unbind(1)


def move_device_like(src: torch.Tensor, dst: torch.Tensor) -> torch.Tensor:
    """Move `src` to `dst`'s device (asynchronously from host to GPU: from pinned memory the copy overlaps)."""
    # never non-blocking towards the host: the CPU could read the tensor before the copy lands
    return src.to(dst.device, non_blocking=src.device.type == "cpu" and dst.device.type == "cuda")


def check_if_dynamo_compiling() -> bool:
    """Whether the code is being traced by ``torch.compile`` (TorchDynamo), for branches that must differ there."""
    return torch.compiler.is_compiling()


def disable_torch_compiler(func: Callable) -> Callable:
    """Decorator: run ``func`` eagerly even inside a ``torch.compile``-d model (a graph break around it)."""
    return torch.compiler.disable(func)
