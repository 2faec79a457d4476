"""Comparing the running torch version with a minimum."""
from __future__ import annotations

import re

import torch

__all__ = ["min_torch_version"]


def _numeric(version: str) -> tuple[int, ...]:
    # "2.11.0+cu128" / "2.12.0.dev20260101" -> (2, 11, 0) / (2, 12, 0): local and dev suffixes do not count
    return tuple(int(x) for x in re.findall(r"\d+", version.split("+")[0])[:3])


def min_torch_version(min_version: str) -> bool:
    """Whether the installed torch is at least ``min_version`` (e.g. ``"2.1"``), comparing release numbers only."""
    installed, wanted = _numeric(torch.__version__), _numeric(min_version)
    width = max(len(installed), len(wanted))
    return installed + (0,) * (width - len(installed)) >= wanted + (0,) * (width - len(wanted))
