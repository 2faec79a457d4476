"""Which config keys hold a config's number of object classes: it depends on the meta-architecture
(``MODEL.RETINANET.NUM_CLASSES`` for a RetinaNet, ``MODEL.ROI_HEADS.NUM_CLASSES`` for an R-CNN, ...; in a LazyConfig
``model.num_classes`` for a RetinaNet / FCOS, ``model.roi_heads.num_classes`` for an R-CNN). The CLI reads and sets
the class count of a COCO / VOC / YOLO / VIA dataset given on the command line through these functions only."""
from __future__ import annotations

from typing import Any

__all__ = ["config_num_classes", "lazy_num_classes_key", "num_classes_keys", "set_num_classes"]

# MODEL.META_ARCHITECTURE -> the MODEL.<NODE>.NUM_CLASSES keys that count a detection dataset's categories. A
# PanopticFPN counts its thing classes in ROI_HEADS; its SEM_SEG_HEAD counts the stuff classes plus one "things"
# class, which a detection json does not define, so it is left as the config has it.
_KEYS = {
    "GeneralizedRCNN": ("ROI_HEADS",),
    "PanopticFPN": ("ROI_HEADS",),
    "RetinaNet": ("RETINANET",),
    "SemanticSegmentor": ("SEM_SEG_HEAD",),
}
_UNKNOWN = ("ROI_HEADS", "RETINANET")  # a meta-architecture registered by the user: both common heads


def num_classes_keys(cfg: Any) -> tuple[str, ...]:
    """The ``MODEL.<NODE>.NUM_CLASSES`` keys of ``cfg``'s meta-architecture, the one that counts its classes
    first (e.g. ``("MODEL.RETINANET.NUM_CLASSES",)`` for a RetinaNet config)."""
    nodes = _KEYS.get(str(cfg.MODEL.META_ARCHITECTURE), _UNKNOWN)
    return tuple(f"MODEL.{node}.NUM_CLASSES" for node in nodes)


def config_num_classes(cfg: Any) -> int:
    """The number of classes ``cfg``'s model is built for."""
    node = num_classes_keys(cfg)[0].split(".")[1]
    return int(cfg.MODEL[node].NUM_CLASSES)


def set_num_classes(cfg: Any, num_classes: int) -> None:
    """Build ``cfg``'s model for ``num_classes`` classes (every key of `num_classes_keys`)."""
    for key in num_classes_keys(cfg):
        cfg.MODEL[key.split(".")[1]].NUM_CLASSES = num_classes


def lazy_num_classes_key(cfg: Any) -> str:
    """The dotted key of a LazyConfig's number of classes: ``model.num_classes`` where the model takes it itself
    (RetinaNet, FCOS), else ``model.roi_heads.num_classes`` (R-CNNs)."""
    model = cfg.get("model") or {}
    return "model.num_classes" if "num_classes" in model else "model.roi_heads.num_classes"
