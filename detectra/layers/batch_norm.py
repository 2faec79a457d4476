"""Normalization layers: `FrozenBatchNorm2d`, `NaiveSyncBatchNorm`, channels-first `LayerNorm`, and `get_norm`."""
from typing import Callable, Optional, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import Function

from detectra.utils import comm

from .wrappers import BatchNorm2d

__all__ = ["FrozenBatchNorm2d", "NaiveSyncBatchNorm", "LayerNorm", "CycleBatchNormList", "get_norm"]


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d whose statistics and affine parameters are fixed buffers (no training updates).

    Computes ``(x - running_mean) / sqrt(running_var + eps) * weight + bias`` with every term a buffer,
    the form that pretrained backbones are fine-tuned with. Loading ignores ``num_batches_tracked`` and fills
    missing running statistics (checkpoints from before they were saved) with 0 / 1.
    """

    _version = 3

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features) - eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # F.batch_norm would allocate grad buffers for the frozen statistics; a fused scale/shift does not. Under
        # torch.export, F.batch_norm checks for an empty input, which a data-dependent count of ROIs (the C4 res5
        # head) cannot answer; the scale/shift form has no such check.
        if x.requires_grad or torch.compiler.is_exporting():
            scale = self.weight * (self.running_var + self.eps).rsqrt()
            bias = self.bias - self.running_mean * scale
            scale = scale.reshape(1, -1, 1, 1)
            bias = bias.reshape(1, -1, 1, 1)
            out_dtype = x.dtype  # may be half under autocast
            return x * scale.to(out_dtype) + bias.to(out_dtype)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, training=False, eps=self.eps)

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ):
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            # checkpoints of the first versions did not store running statistics
            if prefix + "running_mean" not in state_dict:
                state_dict[prefix + "running_mean"] = torch.zeros_like(self.running_mean)
            if prefix + "running_var" not in state_dict:
                state_dict[prefix + "running_var"] = torch.ones_like(self.running_var)
        # torchvision / plain BN checkpoints carry it; a frozen layer has no use for it
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def __repr__(self) -> str:
        return f"FrozenBatchNorm2d(num_features={self.num_features}, eps={self.eps})"

    @classmethod
    def convert_frozen_batchnorm(cls, module: nn.Module) -> nn.Module:
        """Replace every BatchNorm / SyncBatchNorm in `module` by `FrozenBatchNorm2d` with the same values.

        Returns:
            The converted module (`module` itself, modified in place, unless it is a BN layer).
        """
        bn_types = (nn.modules.batchnorm.BatchNorm2d, nn.modules.batchnorm.SyncBatchNorm)
        return _replace_layers(module, bn_types, cls._from_batchnorm)

    @classmethod
    def _from_batchnorm(cls, module: nn.Module) -> "FrozenBatchNorm2d":
        res = cls(module.num_features, eps=module.eps)
        if module.affine:
            res.weight.data = module.weight.data.clone().detach()
            res.bias.data = module.bias.data.clone().detach()
        res.running_mean.data = module.running_mean.data
        res.running_var.data = module.running_var.data
        return res

    @classmethod
    def convert_frozenbatchnorm2d_to_batchnorm2d(cls, module: nn.Module) -> nn.Module:
        """The inverse of `convert_frozen_batchnorm`: FrozenBatchNorm2d -> nn.BatchNorm2d with the same values."""
        return _replace_layers(module, (FrozenBatchNorm2d,), _to_batchnorm)


def _to_batchnorm(module: FrozenBatchNorm2d) -> nn.BatchNorm2d:
    res = nn.BatchNorm2d(module.num_features, module.eps)
    res.weight.data = module.weight.data.clone().detach()
    res.bias.data = module.bias.data.clone().detach()
    res.running_mean.data = module.running_mean.data.clone().detach()
    res.running_var.data = module.running_var.data.clone().detach()
    res.eps = module.eps
    res.num_batches_tracked = torch.tensor(0, dtype=torch.long)
    return res


def _replace_layers(
    module: nn.Module, types: Tuple[type, ...], convert: Callable[[nn.Module], nn.Module]
) -> nn.Module:
    """``convert(module)`` if `module` is one of `types`; otherwise its descendants of those types are replaced in
    place by their conversions, and `module` is returned."""
    if isinstance(module, types):
        return convert(module)
    for name, child in module.named_children():
        new_child = _replace_layers(child, types, convert)
        if new_child is not child:
            module.add_module(name, new_child)
    return module


class _AllReduce(Function):
    """Differentiable all_reduce(sum): the gradient of a sum over workers is itself summed."""

    @staticmethod
    def forward(ctx, input: torch.Tensor) -> torch.Tensor:
        input_list = [torch.zeros_like(input) for _ in range(dist.get_world_size())]
        dist.all_gather(input_list, input, async_op=False)
        inputs = torch.stack(input_list, dim=0)
        return torch.sum(inputs, dim=0)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        dist.all_reduce(grad_output, async_op=False)
        return grad_output


def differentiable_all_reduce(input: torch.Tensor) -> torch.Tensor:
    """Sum `input` over all workers, with gradient; identity without a process group."""
    if not dist.is_available() or not dist.is_initialized() or dist.get_world_size() == 1:
        return input
    return _AllReduce.apply(input)


class NaiveSyncBatchNorm(BatchNorm2d):
    """BatchNorm2d whose batch statistics are averaged over all workers with a plain all-reduce.

    Unlike `nn.SyncBatchNorm` it also works on CPU/gloo and when workers have different batch sizes.

    Args:
        stats_mode: "" weights every worker equally (each needs a non-empty batch); "N" weights each worker by
            its number of samples (empty batches allowed).
    """

    def __init__(self, *args, stats_mode: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if stats_mode not in ("", "N"):
            raise ValueError(f"NaiveSyncBatchNorm stats_mode must be '' or 'N', got {stats_mode!r}.")
        self._stats_mode = stats_mode

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if comm.get_world_size() == 1 or not self.training:
            return super().forward(input)

        B, C = input.shape[0], input.shape[1]
        half_input = input.dtype == torch.float16
        if half_input:
            input = input.float()  # sums of squares overflow in fp16
        mean = torch.mean(input, dim=[0, 2, 3])
        meansqr = torch.mean(input * input, dim=[0, 2, 3])

        if self._stats_mode == "":
            if B == 0:
                raise ValueError('NaiveSyncBatchNorm(stats_mode="") does not accept empty batches; use stats_mode="N".')
            vec = torch.cat([mean, meansqr], dim=0)
            vec = differentiable_all_reduce(vec) * (1.0 / dist.get_world_size())
            mean, meansqr = torch.split(vec, C)
            momentum = self.momentum
        else:
            if B == 0:
                vec = torch.zeros([2 * C + 1], device=mean.device, dtype=mean.dtype)
                vec = vec + input.sum()  # keep the graph connected
            else:
                vec = torch.cat([mean, meansqr, torch.ones([1], device=mean.device, dtype=mean.dtype)], dim=0)
            vec = differentiable_all_reduce(vec * B)
            total_batch = vec[-1].detach()
            momentum = total_batch.clamp(max=1) * self.momentum  # no update if the global batch is empty
            mean, meansqr, _ = torch.split(vec / total_batch.clamp(min=1), C)

        var = meansqr - mean * mean
        invstd = torch.rsqrt(var + self.eps)
        scale = self.weight * invstd
        bias = self.bias - mean * scale
        out = input * scale.reshape(1, -1, 1, 1) + bias.reshape(1, -1, 1, 1)
        if half_input:
            out = out.half()
        self.running_mean += momentum * (mean.detach() - self.running_mean)
        self.running_var += momentum * (var.detach() - self.running_var)
        return out


class LayerNorm(nn.Module):
    """LayerNorm over the channel dim of a Tensor[N, C, H, W] (channels-first), as used by ConvNeXt / ViTDet."""

    def __init__(self, normalized_shape: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(normalized_shape))
        self.bias = nn.Parameter(torch.zeros(normalized_shape))
        self.eps = eps
        self.normalized_shape = (normalized_shape,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class CycleBatchNormList(nn.ModuleList):
    """A list of BN layers used in turn, one per call (domain-specific BN statistics, as in Detectron2)."""

    def __init__(self, length: int, bn_class: Callable[..., nn.Module] = nn.BatchNorm2d, **kwargs):
        self._affine = kwargs.pop("affine", True)
        super().__init__([bn_class(**kwargs, affine=False) for _ in range(length)])
        if self._affine:
            channels = self[0].num_features
            self.weight = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))
        self._pos = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ret = self[self._pos](x)
        self._pos = (self._pos + 1) % len(self)
        if self._affine:
            w = self.weight.reshape(1, -1, 1, 1)
            b = self.bias.reshape(1, -1, 1, 1)
            return ret * w + b
        return ret

    def extra_repr(self) -> str:
        return f"affine={self._affine}"


def _group_norm(channels: int) -> nn.Module:
    return nn.GroupNorm(32, channels)


_NORMS = {
    "BN": BatchNorm2d,
    "SyncBN": nn.SyncBatchNorm,
    "FrozenBN": FrozenBatchNorm2d,
    "GN": _group_norm,
    "nnSyncBN": nn.SyncBatchNorm,
    "naiveSyncBN": NaiveSyncBatchNorm,
    "naiveSyncBN_N": lambda channels: NaiveSyncBatchNorm(channels, stats_mode="N"),
    "LN": LayerNorm,
}


def get_norm(norm: Union[str, Callable[[int], nn.Module], None], out_channels: int) -> Optional[nn.Module]:
    """Build a normalization layer.

    Args:
        norm: one of "BN", "SyncBN", "FrozenBN", "GN" (32 groups), "nnSyncBN", "naiveSyncBN", "naiveSyncBN_N",
            "LN", or "" / None for no norm; or a callable taking the channel count and returning a module.
        out_channels: number of channels.

    Returns:
        nn.Module or None.
    """
    if norm is None:
        return None
    if isinstance(norm, str):
        if len(norm) == 0:
            return None
        if norm not in _NORMS:
            raise KeyError(f"Unknown norm {norm!r}; available: {sorted(_NORMS)} (or '' for none, or a callable).")
        norm = _NORMS[norm]
    return norm(out_channels)

