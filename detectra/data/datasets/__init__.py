"""Loaders of the standard dataset formats, and registration of the builtin datasets."""
from .coco import load_coco_json, load_sem_seg, register_coco_instances

__all__ = [k for k in globals().keys() if not k.startswith("_")]
