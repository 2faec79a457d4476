"""``retry_if_cuda_oom``: run a function again after a CUDA out-of-memory error, finally on the CPU."""
from __future__ import annotations

import functools
import logging
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch

__all__ = ["retry_if_cuda_oom"]


@contextmanager
def _ignore_torch_cuda_oom() -> Iterator[None]:
    try:
        yield
    except torch.OutOfMemoryError:
        pass


def _to_cpu(x: Any) -> Any:
    try:
        like_gpu_tensor = x.device.type == "cuda" and hasattr(x, "to")
    except AttributeError:
        like_gpu_tensor = False
    return x.to(device="cpu") if like_gpu_tensor else x


def retry_if_cuda_oom(func: Callable) -> Callable:
    """Wrap ``func`` so that a CUDA out-of-memory error is retried: first after ``torch.cuda.empty_cache()``,
    then with every CUDA tensor argument (or object with ``.device`` and ``.to``, e.g. ``Boxes``) moved to the
    CPU. The CPU result is returned as it is; the caller moves it back if needed.

    Use it on functions whose memory use depends on the input, such as ``pairwise_iou`` of many boxes.
    """

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with _ignore_torch_cuda_oom():
            return func(*args, **kwargs)
        torch.cuda.empty_cache()
        with _ignore_torch_cuda_oom():
            return func(*args, **kwargs)
        logger = logging.getLogger(__name__)
        logger.info(f"CUDA out of memory in {getattr(func, '__name__', func)}; running it on the CPU instead.")
        new_args = tuple(_to_cpu(x) for x in args)
        new_kwargs = {k: _to_cpu(v) for k, v in kwargs.items()}
        return func(*new_args, **new_kwargs)

    return wrapped
