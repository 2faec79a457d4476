"""``MODEL.DEVICE`` names to `torch.device`: ``"auto"`` picks CUDA, then Apple's MPS, then the CPU; a device this
machine does not have is one clear error instead of torch's driver message."""
from __future__ import annotations

import torch

__all__ = ["resolve_device"]


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(name: str) -> torch.device:
    """The device a ``MODEL.DEVICE`` value names, checked against this machine.

    Args:
        name: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ...

    Returns:
        The `torch.device`; for ``"auto"`` CUDA if available, else MPS, else the CPU.

    Raises:
        RuntimeError: the name asks for CUDA or MPS and this machine has none (or not that many GPUs).
    """
    name = str(name).strip()
    if name.lower() == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if _mps_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise RuntimeError(f"MODEL.DEVICE '{name}' is not a device name; use auto, cpu, cuda, cuda:N or mps.") from None
    fix = "set MODEL.DEVICE cpu, or auto to use whatever this machine has (cuda, then mps, then cpu)"
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(f"MODEL.DEVICE is '{name}' but this machine has no usable CUDA GPU "
                               f"(torch.cuda.is_available() is False): {fix}.")  # fmt: skip
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise RuntimeError(f"MODEL.DEVICE is '{name}' but this machine has {torch.cuda.device_count()} CUDA "
                               f"GPU(s): {fix}.")  # fmt: skip
    if device.type == "mps" and not _mps_available():
        raise RuntimeError(f"MODEL.DEVICE is '{name}' but Apple's MPS is not available here: {fix}.")
    return device
