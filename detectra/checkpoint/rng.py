"""Capture and restore every random number generator, in a form ``torch.load(weights_only=True)`` reads back.

The engine stores ``get_rng_states()`` in checkpoints and calls ``set_rng_states()`` on resume, so that a resumed
run draws the same random numbers as an uninterrupted one.
"""
from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

__all__ = ["get_rng_states", "set_rng_states"]


def get_rng_states() -> dict[str, Any]:
    """The states of Python's ``random``, numpy's global generator, torch CPU and (if present) every CUDA device.

    Returns:
        ``{"python": tuple, "numpy": dict, "torch": ByteTensor, "cuda": list[ByteTensor]}``: only tuples, ints,
        floats, strings and tensors, so it round-trips through ``torch.save`` / ``torch.load(weights_only=True)``.
    """
    kind, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),  # uint32 words, widened for portability
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore generator states captured by :func:`get_rng_states` (missing entries are left alone).

    CUDA states are restored only when the same number of devices is visible; otherwise they are skipped, since
    a different device count makes the old per-device streams meaningless.
    """
    if "python" in states:
        version, internal, gauss = states["python"]
        random.setstate((version, tuple(int(x) for x in internal), gauss))
    if "numpy" in states:
        s = states["numpy"]
        if isinstance(s, dict):
            keys = s["keys"]
            keys = keys.numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)
            np.random.set_state(
                (s["kind"], keys.astype(np.uint32), int(s["pos"]), int(s["has_gauss"]), float(s["cached_gaussian"]))
            )
        else:  # a raw np.random.get_state() tuple
            np.random.set_state(tuple(s))
    if "torch" in states:
        torch.set_rng_state(states["torch"].to(torch.uint8))
    cuda_states = states.get("cuda")
    if cuda_states and torch.cuda.is_available() and len(cuda_states) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda_states)
