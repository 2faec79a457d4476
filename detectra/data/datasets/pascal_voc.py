"""Pascal VOC: xml annotations to Detectron2 dicts."""
from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from typing import Sequence, Union

from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.structures.boxes import BoxMode

__all__ = ["load_voc_instances", "register_pascal_voc", "CLASS_NAMES"]

CLASS_NAMES = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog",
    "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)  # fmt: skip


def load_voc_instances(dirname: str, split: str, class_names: Union[list[str], tuple[str, ...]]) -> list[dict]:
    """Load a VOC-style folder (Annotations/, ImageSets/Main/{split}.txt, JPEGImages/).

    Boxes are XYXY_ABS with Detectron2's convention: 1 is subtracted from xmin and ymin (VOC pixel indices start
    at 1), x/ymax are kept. "difficult" objects are included.
    """
    split_file = os.path.join(dirname, "ImageSets", "Main", split + ".txt")
    if not os.path.isfile(split_file):
        raise FileNotFoundError(f"VOC split file '{split_file}' does not exist; check dirname and split.")
    with open(split_file) as f:
        fileids = [line.strip() for line in f if line.strip()]
    class_names = list(class_names)
    dicts = []
    for fileid in fileids:
        anno_file = os.path.join(dirname, "Annotations", fileid + ".xml")
        try:
            tree = ET.parse(anno_file)
        except (ET.ParseError, FileNotFoundError) as e:
            raise ValueError(f"Cannot read VOC annotation '{anno_file}': {e}.") from None
        r = {
            "file_name": os.path.join(dirname, "JPEGImages", fileid + ".jpg"),
            "image_id": fileid,
            "height": int(_xml_number(tree, "size/height", anno_file)),
            "width": int(_xml_number(tree, "size/width", anno_file)),
        }
        instances = []
        for k, obj in enumerate(tree.findall("object")):
            cls = (obj.findtext("name") or "").strip()
            if cls not in class_names:
                raise KeyError(f"'{anno_file}': object class '{cls}' is not one of the class_names {class_names}.")
            bbox = [_xml_number(obj, f"bndbox/{x}", anno_file, f" (object {k}, '{cls}')")
                    for x in ("xmin", "ymin", "xmax", "ymax")]  # fmt: skip
            bbox[0] -= 1.0  # VOC coordinates are 1-based pixel indices; this makes them 0-based box corners
            bbox[1] -= 1.0
            instances.append({"category_id": class_names.index(cls), "bbox": bbox, "bbox_mode": BoxMode.XYXY_ABS})
        r["annotations"] = instances
        dicts.append(r)
    return dicts


def _xml_number(node: ET.Element, path: str, anno_file: str, which: str = "") -> float:
    """The finite number at ``path`` below ``node``, or an error naming the file, ``which`` object and the field."""
    text = node.findtext(path)
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(
            f"Cannot read VOC annotation '{anno_file}'{which}: <{path}> is {text!r}, not a number. Every file needs "
            "<size><width>/<height> and every object <bndbox> with <xmin>, <ymin>, <xmax>, <ymax> in pixels."
        )
    return value


def register_pascal_voc(name: str, dirname: str, split: str, year: int,
                        class_names: Sequence[str] = CLASS_NAMES) -> None:  # fmt: skip
    """Register a VOC split under ``name`` with thing_classes, dirname, year, split metadata."""
    DatasetCatalog.register(name, lambda: load_voc_instances(dirname, split, class_names))
    MetadataCatalog.get(name).set(thing_classes=list(class_names), dirname=dirname, year=year, split=split)
