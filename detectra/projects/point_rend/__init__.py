"""``detectron2.projects.point_rend`` for the code that imports it: the point-sampling utilities and the SSD colour
augmentation.

PointRend's heads and config (``add_pointrend_config``, ``PointRendMaskHead``, ...) are not implemented in
detectra; importing one raises an ImportError that says so.
"""
from typing import Any

from detectra.projects.point_rend import color_augmentation, point_features
from detectra.projects.point_rend.color_augmentation import *
from detectra.projects.point_rend.point_features import *

# every submodule here is re-exported whole: the package's API is their `__all__` lists
__all__ = [name for module in (color_augmentation, point_features) for name in module.__all__]

_MODEL_NAMES = {
    "add_pointrend_config",
    "PointRendMaskHead",
    "ImplicitPointRendMaskHead",
    "PointRendSemSegHead",
}


def __getattr__(name: str) -> Any:
    if name in _MODEL_NAMES:
        raise ImportError(
            f"{name} belongs to the PointRend model (Detectron2's projects/PointRend), which detectra does not "
            f"implement; only its point utilities and SSD colour augmentation ({', '.join(__all__)}) are here.",
            name=name,
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
