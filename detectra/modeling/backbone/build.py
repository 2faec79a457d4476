"""`BACKBONE_REGISTRY` and `build_backbone`."""
from typing import Optional

from detectra.layers import ShapeSpec
from detectra.utils.registry import Registry

from .backbone import Backbone

__all__ = ["BACKBONE_REGISTRY", "build_backbone"]

BACKBONE_REGISTRY = Registry("BACKBONE")
BACKBONE_REGISTRY.__doc__ = """Backbone builders: ``fn(cfg, input_shape: ShapeSpec) -> Backbone``."""


def build_backbone(cfg, input_shape: Optional[ShapeSpec] = None) -> Backbone:
    """Build the backbone named by ``cfg.MODEL.BACKBONE.NAME``.

    Args:
        cfg: a config from ``get_cfg()``.
        input_shape: input image shape; default ``ShapeSpec(channels=len(cfg.MODEL.PIXEL_MEAN))``.

    Returns:
        a :class:`Backbone`.
    """
    if input_shape is None:
        input_shape = ShapeSpec(channels=len(cfg.MODEL.PIXEL_MEAN))
    name = cfg.MODEL.BACKBONE.NAME
    backbone = BACKBONE_REGISTRY.get(name)(cfg, input_shape)
    if not isinstance(backbone, Backbone):
        raise TypeError(f"Backbone builder {name!r} returned {type(backbone).__name__}, not a Backbone subclass.")
    return backbone
