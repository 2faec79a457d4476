"""Detectron2's older module for registering COCO-format datasets; the functions live in ``coco`` and
``coco_panoptic``."""
from .coco import register_coco_instances
from .coco_panoptic import register_coco_panoptic_separated

__all__ = ["register_coco_instances", "register_coco_panoptic_separated"]
