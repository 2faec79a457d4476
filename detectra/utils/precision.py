"""Inference precision (``cfg.TEST.PRECISION``): run a model under autocast, hand back float32 outputs.

Users pick ``float32`` (default), ``bfloat16`` or ``float16``; the predictors and `inference_on_dataset` wrap the
model call in `inference_autocast` and pass what it returns through `outputs_to_float32`, so boxes, scores, masks
and keypoints are float32 whatever the compute dtype.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Any, Iterator, Tuple, Union

import torch
from torch import nn

from detectra.structures import Instances

__all__ = ["PRECISIONS", "precision_dtype", "inference_autocast", "outputs_to_float32", "float32_call"]

PRECISIONS = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def precision_dtype(precision: Union[str, torch.dtype]) -> torch.dtype:
    """The torch dtype of a precision name ("float32", "bfloat16", "float16"; a torch.dtype passes through).

    Raises:
        ValueError: naming the config key and the accepted values.
    """
    if isinstance(precision, torch.dtype) and precision in PRECISIONS.values():
        return precision
    if precision not in PRECISIONS:
        raise ValueError(
            f"TEST.PRECISION (inference precision) is {precision!r}; use one of {', '.join(PRECISIONS)}."
        )
    return PRECISIONS[precision]


@contextmanager
def inference_autocast(precision: Union[str, torch.dtype], device: Union[str, torch.device]) -> Iterator[None]:
    """Autocast to ``precision`` on ``device``'s type; nothing for float32.

    Args:
        precision: "float32", "bfloat16" or "float16" (or the dtype).
        device: where the model runs ("cpu", "cuda", "cuda:1", ...).
    """
    dtype = precision_dtype(precision)
    device_type = torch.device(device).type
    ctx = nullcontext() if dtype == torch.float32 else torch.autocast(device_type, dtype=dtype)
    with ctx:
        yield


def float32_call(x: torch.Tensor, *modules: nn.Module) -> Tuple[torch.Tensor, ...]:
    """``tuple(m(x) for m in modules)``, computed in float32 even under autocast.

    For the small final layers of a head (the RPN's objectness / delta convs, the box predictor's linear layers):
    their outputs decide top-k ranks, NMS order and box coordinates, where bf16's 8-bit mantissa turns close scores
    into ties, while they cost a few percent of the network. Outside autocast this is a plain call.

    Args:
        x: the input, in any floating dtype (cast once to float32 under autocast).
        modules: modules taking ``x``.
    """
    device_type = x.device.type
    if not torch.is_autocast_enabled(device_type):
        return tuple(m(x) for m in modules)
    with torch.autocast(device_type, enabled=False):
        x = x.float()
        return tuple(m(x) for m in modules)


def _to_float32(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.float() if x.is_floating_point() and x.dtype != torch.float32 else x
    if isinstance(x, dict):
        return {k: _to_float32(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_to_float32(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_to_float32(v) for v in x)
    if isinstance(x, Instances):
        for name, value in list(x.get_fields().items()):
            x.set(name, _to_float32(value))
        return x
    tensor = getattr(x, "tensor", None)  # Boxes, RotatedBoxes, Keypoints, BitMasks: one tensor inside
    if isinstance(tensor, torch.Tensor) and tensor.is_floating_point() and tensor.dtype != torch.float32:
        x.tensor = tensor.float()
    return x


def outputs_to_float32(outputs: Any) -> Any:
    """Cast every floating tensor in the model's outputs (dicts, lists, `Instances`, `Boxes`, ...) to float32.

    Integer and bool tensors (classes, panoptic ids, binary masks) are left as they are; structures are updated in
    place.
    """
    return _to_float32(outputs)
