"""Other annotation formats, read into Detectron2's dataset dicts in memory (nothing is converted on disk):

* Pascal VOC folders (``Annotations/*.xml``, ``ImageSets/Main/<split>.txt``, ``JPEGImages/``) with the classes
  found in the annotations, for one's own VOC-format data;
* YOLO txt datasets: a ``data.yaml`` (``path``, ``train``, ``val``, ``names``) and one ``labels/*.txt`` per image
  with ``class cx cy w h`` (normalised) or ``class x1 y1 x2 y2 ...`` (a polygon) lines;
* VGG Image Annotator (VIA) json, as in Detectron2's balloon tutorial: polygon and rectangle regions.

Each ``load_*`` returns ``(dataset_dicts, class_names)``; `register_dicts` registers them under a name.
"""
from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from typing import Any, Callable, Optional, Sequence

from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.data.datasets.coco import read_json_file
from detectra.data.datasets.pascal_voc import load_voc_instances
from detectra.data.detection_utils import read_image_size
from detectra.structures import BoxMode

__all__ = ["load_via_json", "load_voc_folder", "load_yolo_dataset", "register_dicts", "voc_class_names",
           "yolo_class_names"]

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def _image_size(path: str) -> tuple[int, int]:
    """(height, width) as the image will be read (see `read_image_size`), or a ValueError naming it."""
    try:
        return read_image_size(path)
    except OSError as e:
        raise ValueError(str(e)) from None


# ---------------------------------------------------------------------------------------------------- VOC
def voc_class_names(dirname: str, split: str) -> list[str]:
    """The object classes named in the annotations of a VOC split, sorted."""
    split_file = os.path.join(dirname, "ImageSets", "Main", split + ".txt")
    if not os.path.isfile(split_file):
        raise FileNotFoundError(f"VOC split file '{split_file}' does not exist: pass the folder that holds "
                                "Annotations/, ImageSets/Main/ and JPEGImages/, and a split listed there.")  # fmt: skip
    names: set[str] = set()
    with open(split_file) as f:
        for fileid in (line.strip() for line in f):
            if not fileid:
                continue
            anno = os.path.join(dirname, "Annotations", fileid + ".xml")
            try:
                names.update(o.findtext("name", "").strip() for o in ET.parse(anno).findall("object"))
            except (ET.ParseError, FileNotFoundError) as e:
                raise ValueError(f"cannot read VOC annotation '{anno}': {e}") from None
    names.discard("")
    return sorted(names)


def load_voc_folder(dirname: str, split: str, class_names: Optional[Sequence[str]] = None) -> tuple[list, list]:
    """A VOC-format folder's split; the classes are ``class_names`` or those its annotations name (sorted)."""
    names = list(class_names) if class_names else voc_class_names(dirname, split)
    return load_voc_instances(dirname, split, names), names


# ---------------------------------------------------------------------------------------------------- YOLO
def _yolo_names(data: dict, data_yaml: str) -> list[str]:
    names = data.get("names")
    if isinstance(names, dict):
        return [str(names[k]) for k in sorted(names, key=int)]
    if isinstance(names, list) and names:
        return [str(n) for n in names]
    if isinstance(data.get("nc"), int):
        return [str(i) for i in range(data["nc"])]
    raise ValueError(f"'{data_yaml}' has no 'names' (a list, or a dict from class index to name).")


def _yolo_images(entry: Any, root: str, data_yaml: str) -> list[str]:
    """Image files of a data.yaml split entry: folders, .txt lists of images, or lists of those."""
    images: list[str] = []
    for item in entry if isinstance(entry, list) else [entry]:
        path = item if os.path.isabs(item) else os.path.normpath(os.path.join(root, item))
        if os.path.isdir(path):
            for folder, _, files in sorted(os.walk(path)):
                images += sorted(os.path.join(folder, f) for f in files if f.lower().endswith(_IMAGE_EXTENSIONS))
        elif path.endswith(".txt") and os.path.isfile(path):
            with open(path) as f:
                for line in (x.strip() for x in f):
                    if line:
                        images.append(line if os.path.isabs(line) else os.path.normpath(os.path.join(root, line)))
        else:
            raise FileNotFoundError(f"'{data_yaml}': '{item}' (as {path}) is neither a folder of images nor a "
                                    ".txt list of images; paths are relative to the yaml's 'path' (or its "
                                    "folder).")  # fmt: skip
    return images


def _yolo_label_file(image: str) -> str:
    """YOLO's rule: the last '/images/' of the path becomes '/labels/', the extension '.txt'."""
    head, sep, tail = image.rpartition(f"{os.sep}images{os.sep}")
    base = head + f"{os.sep}labels{os.sep}" + tail if sep else image
    return os.path.splitext(base)[0] + ".txt"


def _read_yaml(data_yaml: str) -> dict:
    import yaml

    with open(data_yaml) as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ValueError(f"'{data_yaml}' is not a YOLO data.yaml (a mapping with path, train, val, names).")
    return data


def yolo_class_names(data_yaml: str) -> list[str]:
    """The class names of a YOLO data.yaml."""
    return _yolo_names(_read_yaml(data_yaml), data_yaml)


def load_yolo_dataset(data_yaml: str, split: str = "train") -> tuple[list[dict], list[str]]:
    """The ``split`` ("train", "val" or "test") of a YOLO dataset described by ``data_yaml``.

    An image without a label file has no objects. Boxes become XYXY_ABS; polygon lines also give a
    ``segmentation``.
    """
    data = _read_yaml(data_yaml)
    if split not in data:
        raise KeyError(f"'{data_yaml}' has no '{split}' entry (it has: {', '.join(map(str, data))}).")
    base = os.path.dirname(os.path.abspath(data_yaml))
    root = data.get("path") or base
    root = root if os.path.isabs(root) else os.path.normpath(os.path.join(base, root))
    names = _yolo_names(data, data_yaml)
    dicts = []
    for image_id, image in enumerate(_yolo_images(data[split], root, data_yaml)):
        h, w = _image_size(image)
        record = {"file_name": image, "image_id": image_id, "height": h, "width": w, "annotations": []}
        label = _yolo_label_file(image)
        if os.path.isfile(label):
            with open(label) as f:
                for lineno, line in enumerate(f, 1):
                    if line.strip():
                        record["annotations"].append(_yolo_annotation(line, h, w, len(names), f"{label}:{lineno}"))
        dicts.append(record)
    return dicts, names


def _yolo_annotation(line: str, h: int, w: int, num_classes: int, where: str) -> dict:
    try:
        values = [float(v) for v in line.split()]
    except ValueError:
        values = [math.nan]
    if not all(map(math.isfinite, values)):  # "nan" and "inf" parse as floats
        raise ValueError(f"{where}: '{line.strip()}' is not 'class cx cy w h' numbers.")
    cls = int(values[0]) if values and values[0] == int(values[0]) else -1
    if not 0 <= cls < num_classes or len(values) < 5 or (len(values) > 5 and len(values) % 2 == 0):
        raise ValueError(f"{where}: '{line.strip()}' is not 'class cx cy w h' or 'class x1 y1 x2 y2 ...' with a "
                         f"class in [0, {num_classes}) (the data.yaml's names).")  # fmt: skip
    if len(values) == 5:
        cx, cy, bw, bh = values[1:]
        box = [(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h]
        return {"category_id": cls, "bbox": box, "bbox_mode": BoxMode.XYXY_ABS}
    xs, ys = [v * w for v in values[1::2]], [v * h for v in values[2::2]]
    polygon = [c for xy in zip(xs, ys) for c in xy]
    return {"category_id": cls, "bbox": [min(xs), min(ys), max(xs), max(ys)], "bbox_mode": BoxMode.XYXY_ABS,
            "segmentation": [polygon]}  # fmt: skip


# ---------------------------------------------------------------------------------------------------- VIA
def _via_regions(entry: dict) -> list[dict]:
    regions = entry.get("regions", [])
    return list(regions.values()) if isinstance(regions, dict) else list(regions)


def load_via_json(
    json_file: str, image_root: Optional[str] = None, *, default_class: str = "object"
) -> tuple[list[dict], list[str]]:
    """A VGG Image Annotator export (or VIA 2 project file): polygon and rectangle regions become instances.

    Classes: when every region has exactly one region attribute with a text value (e.g. ``{"type": "cat"}``),
    those values (sorted); otherwise one class, ``default_class``.

    Args:
        json_file: the VIA json.
        image_root: the image folder (default: the json's folder, as in the balloon dataset).
        default_class: the name of the single class when regions carry no class attribute.
    """
    data = read_json_file(json_file, "VIA")
    data = data.get("_via_img_metadata", data) if isinstance(data, dict) else data
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "filename" in v for v in data.values()):
        raise ValueError(f"'{json_file}' is not a VIA json: expected {{key: {{'filename', 'regions'}}}}.")
    image_root = image_root or os.path.dirname(os.path.abspath(json_file))
    entries = list(data.values())
    labels = []
    for entry in entries:
        for region in _via_regions(entry):
            attrs = {k: v for k, v in (region.get("region_attributes") or {}).items() if isinstance(v, str) and v}
            labels.append(next(iter(attrs.values())) if len(attrs) == 1 else None)
    names = sorted(set(labels)) if labels and None not in labels else [default_class]
    dicts = []
    for image_id, entry in enumerate(entries):
        file_name = os.path.join(image_root, entry["filename"])
        h, w = _image_size(file_name)
        annotations = []
        for k, region in enumerate(_via_regions(entry)):
            shape = region.get("shape_attributes") or {}
            where = f"'{json_file}', image '{entry['filename']}', region {k}"
            annotations.append(_via_annotation(shape, where))
            attrs = [v for v in (region.get("region_attributes") or {}).values() if isinstance(v, str) and v]
            annotations[-1]["category_id"] = names.index(attrs[0]) if len(names) > 1 else 0
        dicts.append({"file_name": file_name, "image_id": image_id, "height": h, "width": w,
                      "annotations": annotations})  # fmt: skip
    return dicts, names


def _via_annotation(shape: dict, where: str) -> dict:
    kind = shape.get("name")
    if kind == "polygon" or kind == "polyline":
        xs, ys = shape.get("all_points_x", []), shape.get("all_points_y", [])
        if len(xs) < 3 or len(xs) != len(ys):
            raise ValueError(f"{where}: a polygon needs 3 or more points with as many x as y values.")
        polygon = [c for xy in zip(xs, ys) for c in (float(xy[0]) + 0.5, float(xy[1]) + 0.5)]  # pixel centres
        return {"bbox": [min(xs), min(ys), max(xs), max(ys)], "bbox_mode": BoxMode.XYXY_ABS,
                "segmentation": [polygon]}  # fmt: skip
    if kind == "rect":
        return {"bbox": [shape["x"], shape["y"], shape["width"], shape["height"]], "bbox_mode": BoxMode.XYWH_ABS}
    raise ValueError(f"{where}: region shape '{kind}' is not supported (polygon, polyline or rect).")


# ---------------------------------------------------------------------------------------------------- registry
def register_dicts(name: str, load: Callable[[], list[dict]], class_names: Sequence[str], **metadata: Any) -> None:
    """Register a loader of dataset dicts under ``name``, with its classes (json ids 1..K for the COCO conversion
    that COCOEvaluator makes) and ``evaluator_type`` "coco"."""
    DatasetCatalog.register(name, load)
    MetadataCatalog.get(name).set(
        thing_classes=list(class_names),
        thing_dataset_id_to_contiguous_id={i + 1: i for i in range(len(class_names))},
        evaluator_type="coco",
        **metadata,
    )
