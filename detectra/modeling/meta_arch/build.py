"""`META_ARCH_REGISTRY` and `build_model`."""
from torch import nn

from detectra.utils.device import resolve_device
from detectra.utils.registry import Registry

__all__ = ["META_ARCH_REGISTRY", "build_model"]

META_ARCH_REGISTRY = Registry("META_ARCH")
META_ARCH_REGISTRY.__doc__ = """Whole models: ``cls(cfg)``."""


def build_model(cfg) -> nn.Module:
    """Build ``cfg.MODEL.META_ARCHITECTURE`` and move it to ``cfg.MODEL.DEVICE`` (and `torch.compile` its parts
    when ``cfg.MODEL.COMPILE``). Weights are not loaded: use ``DetectionCheckpointer(model).load(path)``.
    ``MODEL.DEVICE auto`` picks cuda, then mps, then cpu; a device this machine lacks raises a RuntimeError that
    says so."""
    device = resolve_device(cfg.MODEL.DEVICE)  # before building: a wrong device fails fast
    model = META_ARCH_REGISTRY.get(cfg.MODEL.META_ARCHITECTURE)(cfg)
    model.to(device)
    if cfg.MODEL.COMPILE:
        from ..compile import compile_model

        compile_model(model)
    return model
