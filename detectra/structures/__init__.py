"""Structures shared by every stage: `Boxes`, `Instances`, `ImageList`, masks, keypoints."""
from .boxes import *
from .image_list import *
from .instances import *
from .keypoints import *
from .masks import BitMasks, PolygonMasks, ROIMasks, polygons_to_bitmask, rasterize_polygons_within_box
from .rotated_boxes import RotatedBoxes
from .rotated_boxes import pairwise_iou as pairwise_iou_rotated

from . import boxes, image_list, instances, keypoints

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = [
    "BitMasks",
    "PolygonMasks",
    "ROIMasks",
    "polygons_to_bitmask",
    "rasterize_polygons_within_box",
    "RotatedBoxes",
    "pairwise_iou_rotated",
]
__all__ += [name for module in (boxes, image_list, instances, keypoints) for name in module.__all__]
