"""Structures shared by every stage: `Boxes`, `Instances`, `ImageList`, masks, keypoints."""
from .boxes import (
    Boxes,
    BoxMode,
    matched_pairwise_iou,
    pairwise_intersection,
    pairwise_ioa,
    pairwise_iou,
    pairwise_point_box_distance,
)
from .image_list import ImageList
from .instances import Instances
from .keypoints import Keypoints, heatmaps_to_keypoints
from .masks import BitMasks, PolygonMasks, ROIMasks, polygons_to_bitmask, rasterize_polygons_within_box
from .rotated_boxes import RotatedBoxes
from .rotated_boxes import pairwise_iou as pairwise_iou_rotated

__all__ = [
    "Boxes",
    "BoxMode",
    "matched_pairwise_iou",
    "pairwise_intersection",
    "pairwise_ioa",
    "pairwise_iou",
    "pairwise_point_box_distance",
    "ImageList",
    "Instances",
    "Keypoints",
    "heatmaps_to_keypoints",
    "BitMasks",
    "PolygonMasks",
    "ROIMasks",
    "polygons_to_bitmask",
    "rasterize_polygons_within_box",
    "RotatedBoxes",
    "pairwise_iou_rotated",
]
