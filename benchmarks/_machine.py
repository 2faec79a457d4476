"""What the benchmarks record about the machine they ran on."""
from __future__ import annotations

import os
import platform

import torch
import torchvision


def cpu_flags() -> list[str]:
    """The CPU's AVX-512 / AMX flags (Linux), which decide how fast bf16 runs."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split(":", 1)[1].split()
    except (OSError, StopIteration):
        return []
    return sorted(f for f in flags if f.startswith(("avx512", "amx")))


def machine_info() -> dict:
    """torch / torchvision versions, threads, CPU model, capability and flags, load average."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line for line in f if line.startswith("model name")).split(":", 1)[1].strip()
    except (OSError, StopIteration):
        pass
    return {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "threads": torch.get_num_threads(),
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_flags": cpu_flags(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
