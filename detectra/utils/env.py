"""Process environment: RNG seeding and a text report of the software and hardware environment
(`collect_env_info`). Capturing / restoring RNG states for checkpoints lives in `detectra.checkpoint.rng`."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import random
import subprocess
import sys
from datetime import datetime

import numpy as np
import torch

from detectra.utils.logger import create_table

__all__ = ["TORCH_VERSION", "collect_env_info", "cpu_info", "seed_all_rng"]

TORCH_VERSION = tuple(int(x) for x in torch.__version__.split(".")[:2])


def seed_all_rng(seed: int | None = None) -> int:
    """Seed python's ``random``, numpy and torch (all devices).

    Args:
        seed: the seed; None draws one from the OS, the pid and the time (logged, so a run can be repeated).

    Returns:
        the seed used.
    """
    if seed is None:
        seed = (
            os.getpid() + int(datetime.now().strftime("%S%f")) + int.from_bytes(os.urandom(2), "big")
        ) % 2**31
        logging.getLogger(__name__).info(f"Using a generated random seed {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    os.environ["PYTHONHASHSEED"] = str(seed)
    return seed


def _package_version(dist_name: str) -> str:
    """Installed version of a distribution, read from its metadata (no import: that would be slow)."""
    try:
        return importlib.metadata.version(dist_name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# The instruction sets that decide CPU speed of convolutions and matrix products (x86 and ARM names).
_SPEED_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "avx_vnni", "avx512_vnni",
                "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve", "sve2", "bf16", "i8mm")  # fmt: skip


def cpu_info() -> dict[str, object]:
    """The CPU's model name, logical core count, the speed-relevant instruction sets it has (from
    ``/proc/cpuinfo`` where readable) and the vector code torch dispatches to (``get_cpu_capability``)."""
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    capability = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")()
    return {"model": _cpu_name(), "logical_cores": os.cpu_count(), "flags": [f for f in _SPEED_FLAGS if f in flags],
            "torch_capability": capability}  # fmt: skip


def _nvidia_driver() -> str | None:
    try:
        out = subprocess.check_output(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"], timeout=10
        )
        return out.decode().strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


_REPORTED_PACKAGES = (
    "torchvision", "Pillow", "PyYAML", "omegaconf", "pycocotools", "faster-coco-eval", "tqdm", "matplotlib",
    "tensorboard",
)


def collect_env_info() -> str:
    """A two-column text table describing python, detectra, torch, devices and key packages."""
    rows: list[tuple[str, str]] = [
        ("sys.platform", sys.platform),
        ("Python", sys.version.replace("\n", "")),
        ("numpy", np.__version__),
        ("detectra", f"{_package_version('detectra')} @{os.path.dirname(os.path.dirname(__file__))}"),
        ("Compiler", "none (pure Python; kernels from torchvision.ops)"),
        ("PyTorch", f"{torch.__version__} @{os.path.dirname(torch.__file__)}"),
        ("PyTorch debug build", str(torch.version.debug)),
        ("CPU", f"{_cpu_name()} ({os.cpu_count()} logical cores)"),
        ("torch threads", str(torch.get_num_threads())),
    ]
    has_cuda = torch.cuda.is_available()
    rows.append(("GPU available", str(has_cuda)))
    if has_cuda:
        names: dict[str, list[str]] = {}
        for k in range(torch.cuda.device_count()):
            cap = ".".join(str(x) for x in torch.cuda.get_device_capability(k))
            names.setdefault(f"{torch.cuda.get_device_name(k)} (arch={cap})", []).append(str(k))
        for name, devids in names.items():
            rows.append((f"GPU {','.join(devids)}", name))
        rows.append(("CUDA runtime", str(torch.version.cuda)))
        rows.append(("cuDNN", str(torch.backends.cudnn.version())))
        driver = _nvidia_driver()
        if driver:
            rows.append(("Driver version", driver))
        rows.append(("CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES", "<not set>")))
    elif torch.backends.mps.is_available():
        rows.append(("MPS available", "True"))
    for pkg in _REPORTED_PACKAGES:
        rows.append((pkg, _package_version(pkg)))
    env_str = create_table(rows)
    env_str += "\n" + torch.__config__.show()
    return env_str
