"""ROI heads: box heads, `FastRCNNOutputLayers`, `StandardROIHeads`, `Res5ROIHeads` and their registries."""
from .box_head import *
from .fast_rcnn import *
from .roi_heads import *
from .mask_head import *
from .keypoint_head import *
from .cascade_rcnn import *
from .rotated_fast_rcnn import *

from . import box_head, cascade_rcnn, fast_rcnn, keypoint_head, mask_head, roi_heads, rotated_fast_rcnn

# every submodule here is re-exported whole: the package's API is their `__all__` lists
__all__ = [
    name
    for module in (box_head, cascade_rcnn, fast_rcnn, keypoint_head, mask_head, roi_heads, rotated_fast_rcnn)
    for name in module.__all__
]
