"""`META_ARCH_REGISTRY` and `build_model`."""
import torch
from torch import nn

from detectra.utils.registry import Registry

__all__ = ["META_ARCH_REGISTRY", "build_model"]

META_ARCH_REGISTRY = Registry("META_ARCH")
META_ARCH_REGISTRY.__doc__ = """Whole models: ``cls(cfg)``."""


def build_model(cfg) -> nn.Module:
    """Build ``cfg.MODEL.META_ARCHITECTURE`` and move it to ``cfg.MODEL.DEVICE``. Weights are not loaded: use
    ``DetectionCheckpointer(model).load(path)``."""
    model = META_ARCH_REGISTRY.get(cfg.MODEL.META_ARCHITECTURE)(cfg)
    model.to(torch.device(cfg.MODEL.DEVICE))
    return model
