"""Multi-object tracking of a model's per-frame predictions (IDs kept across video frames)."""
from .base_tracker import TRACKER_HEADS_REGISTRY, BaseTracker, build_tracker_head
from .bbox_iou_tracker import BBoxIOUTracker
from .hungarian_tracker import BaseHungarianTracker
from .iou_weighted_hungarian_bbox_iou_tracker import IOUWeightedHungarianBBoxIOUTracker
from .utils import create_prediction_pairs
from .vanilla_hungarian_bbox_iou_tracker import VanillaHungarianBBoxIOUTracker

__all__ = [
    "TRACKER_HEADS_REGISTRY",
    "BaseTracker",
    "build_tracker_head",
    "BBoxIOUTracker",
    "BaseHungarianTracker",
    "IOUWeightedHungarianBBoxIOUTracker",
    "create_prediction_pairs",
    "VanillaHungarianBBoxIOUTracker",
]
