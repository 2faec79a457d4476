"""Context managers Detectron2 used to make its models scriptable / traceable.

`freeze_training_mode` and `patch_builtin_len` do their job on any module. `patch_instances` and
`patch_nonscriptable_classes` only served TorchScript *scripting* of `Instances`, which detectra does not support
(scripting is deprecated in PyTorch): they raise one error that names the supported paths.
"""
import builtins
import contextlib
from typing import Iterator, Optional, Sequence

import torch
from torch import nn

__all__ = ["freeze_training_mode", "patch_builtin_len", "patch_instances", "patch_nonscriptable_classes"]

_SCRIPTING_GONE = (
    "{name}: TorchScript scripting of detectra models (Instances, Boxes) is not supported; scripting is deprecated "
    "in PyTorch. Trace instead (detectra.export.TracingAdapter + torch.jit.trace, or `detectra export --format "
    "torchscript`), or use torch.export / ONNX (`--format torch-export` / `--format onnx`)."
)


@contextlib.contextmanager
def freeze_training_mode(model: nn.Module) -> Iterator[None]:
    """Within this context, every submodule's ``training`` flag is a class-level constant (``torch.jit.Final``),
    so a compiler can drop the branches of the other mode. The classes are restored on exit."""
    classes = {type(m) for m in model.modules()}
    saved = {cls: cls.__dict__.get("__annotations__", {}).copy() for cls in classes}
    try:
        for cls in classes:
            annotations = dict(cls.__dict__.get("__annotations__", {}))
            annotations["training"] = torch.jit.Final[bool]
            cls.__annotations__ = annotations
        yield
    finally:
        for cls, annotations in saved.items():
            cls.__annotations__ = annotations


@contextlib.contextmanager
def patch_builtin_len(modules: Optional[Sequence[str]] = None) -> Iterator[None]:
    """While tracing, ``len(x)`` of a tensor-backed object (Tensor, `Boxes`, `Instances`) returns its traced size
    instead of a constant, in the given modules (default: detectra's poolers, mask and keypoint heads).

    Args:
        modules: names of the modules whose global ``len`` is replaced.
    """
    import importlib

    if modules is None:
        modules = [
            "detectra.modeling.poolers",
            "detectra.modeling.roi_heads.mask_head",
            "detectra.modeling.roi_heads.keypoint_head",
        ]

    def _len(obj):
        if torch.jit.is_tracing():
            # __len__ of Tensor-backed structures returns tensor.shape[0], which the tracer keeps symbolic
            return obj.__len__() if not isinstance(obj, torch.Tensor) else obj.shape[0]
        return builtins.len(obj)

    patched = [importlib.import_module(m) for m in modules]
    try:
        for m in patched:
            m.len = _len
        yield
    finally:
        for m in patched:
            if "len" in m.__dict__:
                del m.len


def patch_instances(fields) -> None:
    """Unsupported: see the module docstring."""
    raise NotImplementedError(_SCRIPTING_GONE.format(name="patch_instances"))


def patch_nonscriptable_classes() -> None:
    """Unsupported: see the module docstring."""
    raise NotImplementedError(_SCRIPTING_GONE.format(name="patch_nonscriptable_classes"))
