"""Renaming torchvision ResNet state dicts to Detectron2's ResNet names.

Detectron2 ships the same rules as ``tools/convert-torchvision-to-d2.py``; detectra applies them on load, so a
``torchvision.models.resnet50().state_dict()`` saved with ``torch.save`` loads straight into an R-50 backbone
(``backbone.bottom_up.*``) through suffix matching.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, TypeVar

__all__ = [
    "TORCHVISION_INPUT",
    "TORCHVISION_RESNETS",
    "apply_torchvision_preprocessing",
    "check_torchvision_preprocessing",
    "convert_torchvision_resnet_names",
    "is_torchvision_resnet",
    "torchvision_weights_url",
]

# torchvision's ImageNet ResNets that map onto Detectron2's ResNet (depth, groups and width set in MODEL.RESNETS).
TORCHVISION_RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
                       "resnext101_32x8d", "wide_resnet50_2", "wide_resnet101_2")  # fmt: skip

# What torchvision's ImageNet models were trained on: RGB in [0, 1], normalised by these (here x 255).
TORCHVISION_INPUT = {
    "INPUT.FORMAT": "RGB",
    "MODEL.PIXEL_MEAN": [123.675, 116.28, 103.53],
    "MODEL.PIXEL_STD": [58.395, 57.12, 57.375],
    "MODEL.RESNETS.STRIDE_IN_1X1": False,  # torchvision strides in the 3x3 conv; MSRA's Caffe2 models in the 1x1
}

V = TypeVar("V")


def is_torchvision_resnet(state_dict: Mapping[str, object]) -> bool:
    """Whether ``state_dict`` looks like a torchvision ResNet's (``conv1.weight``, ``bn1.*``, ``layer1.0.*``)."""
    keys = set(state_dict)
    return "conv1.weight" in keys and "bn1.weight" in keys and any(k.startswith("layer1.0.") for k in keys)


def torchvision_weights_url(name: str) -> str:
    """The download URL of ``torchvision://ARCH`` (``ARCH`` one of `TORCHVISION_RESNETS`): torchvision's
    ``IMAGENET1K_V1`` weights, whose file name carries the first hex digits of their SHA-256.

    Raises:
        KeyError: an unknown architecture (the message lists the known ones).
    """
    arch = name[len("torchvision://") :] if name.startswith("torchvision://") else name
    if arch not in TORCHVISION_RESNETS:
        raise KeyError(f"'torchvision://{arch}' is not a torchvision ImageNet ResNet detectra can load; use one of: "
                       f"{', '.join('torchvision://' + a for a in TORCHVISION_RESNETS)}.")  # fmt: skip
    import torchvision

    return torchvision.models.get_model_weights(arch).IMAGENET1K_V1.url


def _get(cfg: Any, key: str) -> Any:
    node = cfg
    for part in key.split("."):
        node = node[part]
    return node


def check_torchvision_preprocessing(cfg: Any) -> list[str]:
    """For a config whose MODEL.WEIGHTS is ``torchvision://...``: the settings that differ from what those
    weights expect, as ``"KEY is X; torchvision's weights expect Y"`` lines (empty when all match)."""
    return [f"{key} is {_get(cfg, key)}; torchvision's weights expect {expected}"
            for key, expected in TORCHVISION_INPUT.items() if _differs(cfg, key)]  # fmt: skip


def apply_torchvision_preprocessing(cfg: Any, keep: Iterable[str] = ()) -> list[str]:
    """Set the input format, pixel mean / std and stride placement torchvision's weights expect, except the
    keys in ``keep`` (set explicitly by the user). Returns the keys changed."""
    changed = []
    for key, expected in TORCHVISION_INPUT.items():
        if key in keep or not _differs(cfg, key):
            continue
        *parents, leaf = key.split(".")
        node = cfg
        for part in parents:
            node = node[part]
        node[leaf] = expected
        changed.append(key)
    return changed


def _differs(cfg: Any, key: str) -> bool:
    expected, value = TORCHVISION_INPUT[key], _get(cfg, key)
    return (list(value) != expected) if isinstance(expected, list) else value != expected


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
