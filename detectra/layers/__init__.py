"""Layers: thin wrappers over torchvision.ops, norms, `Conv2d` (+norm), `ShapeSpec`, losses, mask pasting."""
from .aspp import *
from .batch_norm import *
from .blocks import *
from .deform_conv import DeformConv, ModulatedDeformConv
from .losses import *
from .mask_ops import paste_masks_in_image
from .nms import batched_nms, batched_nms_rotated, batched_nms_topk, nms, nms_rotated
from .roi_align import ROIAlign, roi_align
from .roi_align_rotated import ROIAlignRotated, roi_align_rotated
from .roi_pool import *
from .rotated_boxes import *
from .shape_spec import *
from .wrappers import *

from . import aspp, batch_norm, blocks, losses, roi_pool, rotated_boxes, shape_spec, wrappers

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`. `nms`, `roi_align`
# and `roi_align_rotated` are listed too: each is a function named as its module (Detectron2's names), so the
# package's attribute of that name is the function, not the module.
__all__ = [
    "DeformConv",
    "ModulatedDeformConv",
    "paste_masks_in_image",
    "batched_nms",
    "batched_nms_rotated",
    "batched_nms_topk",
    "nms",
    "nms_rotated",
    "ROIAlign",
    "roi_align",
    "ROIAlignRotated",
    "roi_align_rotated",
]
# Detectron2 keeps its torch.compile switches in `layers.wrappers` alone; `export_code_paths` is detectra.export's
_WRAPPERS_ONLY = {"check_if_dynamo_compiling", "disable_torch_compiler", "export_code_paths"}
__all__ += [
    name
    for module in (aspp, batch_norm, blocks, losses, roi_pool, rotated_boxes, shape_spec, wrappers)
    for name in module.__all__
    if name not in _WRAPPERS_ONLY
]
