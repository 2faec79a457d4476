"""Renaming torchvision ResNet state dicts to Detectron2's ResNet names.

Detectron2 ships the same rules as ``tools/convert-torchvision-to-d2.py``; detectra applies them on load, so a
``torchvision.models.resnet50().state_dict()`` saved with ``torch.save`` loads straight into an R-50 backbone
(``backbone.bottom_up.*``) through suffix matching.
"""
from __future__ import annotations

import re
from typing import Mapping, TypeVar

__all__ = ["is_torchvision_resnet", "convert_torchvision_resnet_names"]

V = TypeVar("V")


def is_torchvision_resnet(state_dict: Mapping[str, object]) -> bool:
    """Whether ``state_dict`` looks like a torchvision ResNet's (``conv1.weight``, ``bn1.*``, ``layer1.0.*``)."""
    keys = set(state_dict)
    return "conv1.weight" in keys and "bn1.weight" in keys and any(k.startswith("layer1.0.") for k in keys)


def _rename(key: str) -> str:
    # conv1 / bn1 of the stem
    if not key.startswith("layer"):
        key = "stem." + key
    # layer1..4 -> res2..5
    key = re.sub(r"^layer(\d)", lambda m: f"res{int(m.group(1)) + 1}", key)
    # bnZ is the norm of convZ
    key = re.sub(r"(^|\.)bn(\d)\.", lambda m: f"{m.group(1)}conv{m.group(2)}.norm.", key)
    key = key.replace("downsample.0.", "shortcut.").replace("downsample.1.", "shortcut.norm.")
    return key


def convert_torchvision_resnet_names(state_dict: Mapping[str, V]) -> dict[str, V]:
    """Rename torchvision ResNet keys to Detectron2's, dropping the classifier (``fc``).

    ``conv1`` -> ``stem.conv1``, ``bn1`` -> ``stem.conv1.norm``, ``layer1.0.conv1`` -> ``res2.0.conv1``,
    ``layerX.Y.bnZ`` -> ``res{X+1}.Y.convZ.norm``, ``downsample.0`` / ``.1`` -> ``shortcut`` / ``shortcut.norm``.

    Args:
        state_dict: a torchvision ResNet state dict.

    Returns:
        The renamed dict (values untouched).
    """
    return {_rename(k): v for k, v in state_dict.items() if not k.startswith("fc.")}
