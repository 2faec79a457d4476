"""Loaders of the standard dataset formats, and registration of the builtin datasets."""
from . import builtin as _builtin  # noqa: F401  (registers coco_*, lvis_*, voc_*, cityscapes_*, shapes_*)
from .cityscapes import load_cityscapes_instances, load_cityscapes_semantic
from .coco import convert_to_coco_dict, convert_to_coco_json, load_coco_json, load_sem_seg, register_coco_instances
from .coco_panoptic import register_coco_panoptic, register_coco_panoptic_separated
from .lvis import get_lvis_instances_meta, load_lvis_json, register_lvis_instances
from .pascal_voc import load_voc_instances, register_pascal_voc
from .shapes import generate_shapes, register_shapes

__all__ = [
    "load_cityscapes_instances",
    "load_cityscapes_semantic",
    "convert_to_coco_dict",
    "convert_to_coco_json",
    "load_coco_json",
    "load_sem_seg",
    "register_coco_instances",
    "register_coco_panoptic",
    "register_coco_panoptic_separated",
    "get_lvis_instances_meta",
    "load_lvis_json",
    "register_lvis_instances",
    "load_voc_instances",
    "register_pascal_voc",
    "generate_shapes",
    "register_shapes",
]
