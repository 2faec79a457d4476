"""Multi-object tracking of a model's per-frame predictions (IDs kept across video frames)."""
from .base_tracker import *
from .bbox_iou_tracker import *
from .hungarian_tracker import *
from .iou_weighted_hungarian_bbox_iou_tracker import *
from .utils import create_prediction_pairs
from .vanilla_hungarian_bbox_iou_tracker import *

from . import (
    base_tracker,
    bbox_iou_tracker,
    hungarian_tracker,
    iou_weighted_hungarian_bbox_iou_tracker,
    vanilla_hungarian_bbox_iou_tracker,
)

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = ["create_prediction_pairs"]
__all__ += [
    name
    for module in (
        base_tracker,
        bbox_iou_tracker,
        hungarian_tracker,
        iou_weighted_hungarian_bbox_iou_tracker,
        vanilla_hungarian_bbox_iou_tracker,
    )
    for name in module.__all__
]
