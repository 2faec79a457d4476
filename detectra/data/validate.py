"""Dataset validation: find missing / broken images and malformed annotations before training on them.

``validate_dataset(name_or_dicts)`` returns a ``DatasetProblems`` list (empty when the dataset is clean); ``str()``
of it is a report grouped per file. A COCO json path can be checked directly, which reports every bad annotation
instead of stopping at the first one the loader would raise on.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np
from PIL import Image

from detectra.data.annotation_checks import (
    BOX_REPAIRS,
    bbox_format_problem,
    box_repair,
    check_dataset_records,
    iscrowd_problem,
    keypoints_problem,
    polygon_problem,
    rle_problem,
    segmentation_format_problem,
)
from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.data.dataset_mapper import read_sem_seg
from detectra.data.datasets.coco import coco_structure_problem
from detectra.structures.boxes import BoxMode

__all__ = ["Problem", "DatasetProblems", "validate_dataset", "validate_coco_json", "validate_dataset_dicts"]

_EXIF_ORIENTATION = 0x0112
_BOX_MESSAGES = {
    "nonfinite_box": "has NaN or infinite values",
    "empty_box": "has non-positive width or height",
    "box_entirely_outside": "lies entirely outside the {size[0]}x{size[1]} image",
    "box_outside_image": "extends outside the {size[0]}x{size[1]} image",
}

_BOX_FIX = "a COCO bbox is [x, y, width, height] in pixels of the image: correct it or remove the annotation"
# What to do about each kind, printed after the problem so that the report says the fix, not only the fault.
_FIXES = {
    "bad_label": "re-export the label map (its image's size; a class index per pixel), or pair it with the right "
                 "image",
    "missing_image": "check --images (the folder file_name is relative to), or correct the image's 'file_name', "
                     "or remove the image from 'images'",
    "size_mismatch": "correct the image's 'width' / 'height' in the json",
    "unknown_category": "add the id to the json's 'categories', or correct the annotation's 'category_id'",
    "missing_box": _BOX_FIX, "bad_box": _BOX_FIX, "nonfinite_box": _BOX_FIX, "empty_box": _BOX_FIX,
    "box_entirely_outside": _BOX_FIX, "box_outside_image": _BOX_FIX,
    "bad_polygon": "a polygon is [x1, y1, x2, y2, ...] with at least 3 points: correct it or remove it",
    "bad_keypoints": "write keypoints as [x1, y1, v1, x2, y2, v2, ...] with v in 0, 1, 2",
    "bad_segmentation": "write polygons as [[x1, y1, x2, y2, ...], ...] or a COCO RLE dict, or remove the field",
    "bad_iscrowd": "write iscrowd as the number 0 (an object) or 1 (a crowd region)",
    "malformed_json": "correct that entry (the loader refuses the file until then), then validate again",
    "duplicate_image_id": "give every image its own 'id'",
    "duplicate_annotation_id": "give every annotation its own 'id'",
    "unknown_image": "correct the annotation's 'image_id', or add the image to 'images'",
    "unreadable_json": "the file is cut short or not JSON: export or download it again",
    "not_coco": "pass a COCO instances json (with 'images', 'annotations', 'categories'), or the --*-voc, "
                "--*-via or --yolo-data option of its format",
}


@dataclass
class Problem:
    """One problem: its kind (e.g. "missing_image", "box_outside_image"), where it is, and what is wrong."""

    kind: str
    message: str
    file: str
    image_id: Any = None
    annotation: Any = None  # annotation id, or "#k" (index within the image) when there is no id
    image_file: Optional[str] = None  # the image's file_name, for problems whose message does not name it

    def __str__(self) -> str:
        where = [f"image {self.image_id}"] if self.image_id is not None else []
        if where and self.image_file:
            where[0] += f" '{self.image_file}'"
        if self.annotation is not None:
            where.append(f"annotation {self.annotation}")
        fix = f". Fix: {_FIXES[self.kind]}." if self.kind in _FIXES else ""
        return f"[{self.kind}] {', '.join(where) + ': ' if where else ''}{self.message}{fix}"


class DatasetProblems(list):
    """A list of ``Problem``; ``str()`` gives a printable report grouped by file. ``num_images`` and
    ``num_annotations`` say how much was checked (0 when the file could not be read)."""

    num_images: int = 0
    num_annotations: int = 0

    def report(self) -> str:
        if not self:
            return "No problems found."
        by_file: dict[str, list[Problem]] = {}
        for p in self:
            by_file.setdefault(p.file, []).append(p)
        counts = Counter(p.kind for p in self)
        per_kind = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        lines = [f"{len(self)} problem(s) in {len(by_file)} file(s) ({per_kind}):"]
        for file, problems in by_file.items():
            lines.append(f"{file}:")
            lines += [f"  {p}" for p in problems]
        return "\n".join(lines)

    __str__ = report


def _image_size(path: str, decode: bool) -> tuple[Optional[tuple[int, int]], Optional[str]]:
    """((width, height) after EXIF rotation, None) or (None, error message)."""
    try:
        with Image.open(path) as img:
            w, h = img.size
            if img.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8):
                w, h = h, w
            if decode:
                img.load()  # raises on truncated / corrupt data
        return (w, h), None
    except Exception as e:  # PIL raises many types for broken files
        return None, f"cannot read image '{path}': {type(e).__name__}: {e}"


def _check_image(record: dict, file: str, problems: list, decode: bool, hint: str = "") -> Optional[tuple[int, int]]:
    path, image_id = record.get("file_name"), record.get("image_id")
    if not path or not os.path.isfile(path):
        problems.append(Problem("missing_image", f"image file '{path}' does not exist{hint}", file, image_id))
        return None
    size, err = _image_size(path, decode)
    if err:
        problems.append(Problem("unreadable_image", err + " (re-download or remove it)", file, image_id))
        return None
    w, h = size
    jw, jh = record.get("width"), record.get("height")
    if jw is not None and jh is not None and (int(jw), int(jh)) != (w, h):
        problems.append(Problem("size_mismatch", f"'{path}' is {w}x{h} but the annotations say {jw}x{jh}",
                                file, image_id))  # fmt: skip
    return w, h


def _check_annotation(ann: dict, ann_ref: Any, image: dict, size: Optional[tuple[int, int]], file: str,
                      num_classes: Optional[int], valid_ids: Optional[set], problems: list) -> None:  # fmt: skip
    """The problems of annotation ``ann`` of ``image`` (its "id" and "file_name", named in each problem)."""
    def add(kind: str, msg: str) -> None:
        problems.append(Problem(kind, msg, file, image["id"], ann_ref, image["file_name"]))

    cid = ann.get("category_id")
    if valid_ids is not None and cid not in valid_ids:
        add("unknown_category", f"category_id {cid} is not in the json's categories {sorted(valid_ids)[:20]} "
            "(the loader refuses it)")
    elif num_classes is not None and not (isinstance(cid, int) and 0 <= cid < num_classes):
        add("unknown_category", f"category_id {cid} is outside the {num_classes} thing_classes")
    bbox = ann.get("bbox")
    if bbox is None:
        add("missing_box", "no 'bbox' (the loader refuses it)")
    elif bbox_format_problem(bbox):
        add("bad_box", f"{bbox_format_problem(bbox)} (the loader refuses it)")
    else:
        kind = box_repair(bbox, ann.get("bbox_mode", BoxMode.XYWH_ABS), size)
        if kind is not None:
            add(kind, f"bbox {list(bbox)} {_BOX_MESSAGES[kind].format(size=size)}; training: {BOX_REPAIRS[kind]}")
    if "iscrowd" in ann and iscrowd_problem(ann["iscrowd"]):
        add("bad_iscrowd", f"{iscrowd_problem(ann['iscrowd'])} (the loader refuses it)")
    segm = ann.get("segmentation")
    image_hw = (size[1], size[0]) if size is not None else None
    if segm is not None and segmentation_format_problem(segm, image_hw):
        add("bad_segmentation", f"{segmentation_format_problem(segm, image_hw)} (the loader refuses it)")
    elif isinstance(segm, list):
        for k, poly in enumerate(segm):
            why = polygon_problem(poly)
            if why:
                add("bad_polygon", f"polygon {k} {why}; the loader drops it (--strict training refuses it)")
    elif isinstance(segm, dict):
        problem = rle_problem(segm, image_hw)
        if problem:
            add("bad_rle", problem)
    kps = ann.get("keypoints")
    if kps and keypoints_problem(kps):
        add("bad_keypoints", f"{keypoints_problem(kps)} (the loader refuses it)")


def _missing_masks(annotations: Iterable[tuple[Any, Any, dict]], file: str) -> list[Problem]:
    """``missing_mask`` for each (image id, annotation ref, annotation) that is not crowd and has no mask."""
    return [Problem("missing_mask", "no 'segmentation', but a mask model (MODEL.MASK_ON) needs one for every instance "
                    "(training refuses it)", file, image_id, ref)
            for image_id, ref, ann in annotations if not ann.get("iscrowd", 0) and not ann.get("segmentation")]


def _label_map_problem(sem: str, size: tuple[int, int], decode: bool, label_classes: Optional[int],
                       ignore_label: int) -> Optional[str]:  # fmt: skip
    """What is wrong with the label map ``sem`` of an image of ``size`` (width, height), or None."""
    label_size, err = _image_size(sem, decode)
    if err or label_size != size:
        return err or f"label map '{sem}' is {label_size[0]}x{label_size[1]} but its image is {size[0]}x{size[1]}"
    if label_classes is None or not decode:
        return None
    values = np.unique(read_sem_seg(sem))
    bad = values[(values >= label_classes) & (values != ignore_label)]
    if len(bad):
        return (f"label map '{sem}' holds values {bad[:5].tolist()}, outside the {label_classes} classes (0.."
                f"{label_classes - 1}) and the ignore label {ignore_label}; training would fail on them")
    return None


def validate_dataset_dicts(dicts: Sequence[dict], file: str = "<dataset dicts>", num_classes: Optional[int] = None,
                           check_images: bool = True, decode: bool = True, *, require_masks: bool = False,
                           label_classes: Optional[int] = None, ignore_label: int = 255) -> DatasetProblems:  # fmt: skip
    """Check Detectron2-format dicts (images on disk, boxes, polygons, category ids in [0, num_classes); with
    ``require_masks``, a segmentation on every non-crowd annotation; with ``label_classes`` (and ``decode``), that
    every label map holds only values in [0, label_classes) or ``ignore_label``)."""
    problems = DatasetProblems()
    file_by_id: dict[Any, str] = {}
    for i, record in enumerate(dicts):
        image_id = record.get("image_id", f"#{i}")
        if image_id in file_by_id:
            problems.append(Problem("duplicate_image_id", f"image id used by both '{file_by_id[image_id]}' and "
                                    f"'{record.get('file_name')}'", file, image_id))  # fmt: skip
        file_by_id.setdefault(image_id, record.get("file_name"))
        size = _check_image(record, file, problems, decode) if check_images else None
        if size is None and record.get("width") and record.get("height"):
            size = (int(record["width"]), int(record["height"]))
        image = {"id": image_id, "file_name": record.get("file_name")}
        for k, ann in enumerate(record.get("annotations", [])):
            _check_annotation(ann, ann.get("id", f"#{k}"), image, size, file, num_classes, None, problems)
        sem = record.get("sem_seg_file_name")
        if sem and not os.path.isfile(sem):
            problems.append(Problem("missing_label", f"sem_seg file '{sem}' does not exist", file, image_id))
        elif sem and check_images and size is not None:
            problem = _label_map_problem(sem, size, decode, label_classes, ignore_label)
            if problem:
                problems.append(Problem("bad_label", problem, file, image_id))
        if require_masks:
            annos = record.get("annotations", [])
            problems += _missing_masks(((image_id, a.get("id", f"#{k}"), a) for k, a in enumerate(annos)), file)
    problems.num_images = len(dicts)
    problems.num_annotations = sum(len(record.get("annotations", [])) for record in dicts)
    return problems


def validate_coco_json(json_file: str, image_root: str, check_images: bool = True, decode: bool = True, *,
                       require_masks: bool = False) -> DatasetProblems:  # fmt: skip
    """Check a COCO json and its images, reporting every problem (the loader stops at the first error); with
    ``require_masks``, also annotations without a segmentation."""
    json_file = os.fspath(json_file)
    problems = DatasetProblems()
    try:
        with open(json_file, encoding="utf-8-sig") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:  # missing, cut short (JSONDecodeError), binary (UnicodeDecodeError)
        problems.append(Problem("unreadable_json", f"{type(e).__name__}: {e}", json_file))
        return problems
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        problems.append(Problem("not_coco", "no 'images' list: this is not a COCO json", json_file))
        return problems
    structure = coco_structure_problem(data)
    if structure:  # entries the checks below cannot even index
        problems.append(Problem("malformed_json", structure, json_file))
        return problems
    valid_ids = {c.get("id") for c in data.get("categories", [])}
    if not data.get("annotations"):  # coco_structure_problem has made sure that a given one is a list of dicts
        what = "no 'annotations' list" if "annotations" not in data else "an empty 'annotations' list"
        problems.append(Problem("no_annotations", f"the json has {what}: training finds no boxes in it", json_file))
    anns_per_image: dict[Any, list] = {}
    seen_ann_ids: set = set()
    image_ids = {img.get("id") for img in data["images"]}
    file_by_id: dict[Any, str] = {}
    for img in data["images"]:
        if img.get("id") in file_by_id:
            problems.append(Problem("duplicate_image_id", f"image id used by both '{file_by_id[img.get('id')]}' and "
                                    f"'{img.get('file_name')}' (the loader refuses it)", json_file, img.get("id")))
        file_by_id.setdefault(img.get("id"), img.get("file_name"))
    annos = data.get("annotations", [])
    for ann in annos:
        if ann.get("id") in seen_ann_ids:
            problems.append(Problem("duplicate_annotation_id", "annotation id used twice", json_file,
                                    ann.get("image_id"), ann.get("id")))  # fmt: skip
        seen_ann_ids.add(ann.get("id"))
        if ann.get("image_id") not in image_ids:
            problems.append(Problem("unknown_image", "annotation refers to an image id not in 'images'", json_file,
                                    ann.get("image_id"), ann.get("id")))  # fmt: skip
        anns_per_image.setdefault(ann.get("image_id"), []).append(ann)
    for img in data["images"]:
        image_id = img.get("id")
        record = {"file_name": os.path.join(os.fspath(image_root), img.get("file_name", "")), "image_id": image_id,
                  "width": img.get("width"), "height": img.get("height")}  # fmt: skip
        # a leading "/" makes os.path.join drop the image folder, which is easy to miss in the path
        hint = " (its file_name is absolute, so the image folder is not used)" if os.path.isabs(
            img.get("file_name", "")) else ""  # fmt: skip
        size = _check_image(record, json_file, problems, decode, hint) if check_images else None
        if size is None and img.get("width") and img.get("height"):
            size = (int(img["width"]), int(img["height"]))
        image = {"id": image_id, "file_name": img.get("file_name")}
        for ann in anns_per_image.get(image_id, []):
            ann = {**ann, "bbox_mode": BoxMode.XYWH_ABS}
            _check_annotation(ann, ann.get("id"), image, size, json_file, None, valid_ids, problems)
    if require_masks:
        problems += _missing_masks(((a.get("image_id"), a.get("id"), a) for a in annos), json_file)
    problems.num_images, problems.num_annotations = len(data["images"]), len(annos)
    return problems


def validate_dataset(name_or_dicts: Union[str, Sequence[dict]], image_root: Optional[str] = None,
                     check_images: bool = True, decode: bool = True, *,
                     require_masks: bool = False) -> DatasetProblems:  # fmt: skip
    """Validate a registered dataset name, a COCO json path (with ``image_root``), or a list of dataset dicts;
    ``require_masks`` (for a mask model) also reports annotations without a segmentation.

    Returns:
        the problems found (empty if none); print it for a report grouped per file.
    """
    if isinstance(name_or_dicts, (str, os.PathLike)):
        name = os.fspath(name_or_dicts)
        if name.endswith(".json") and name not in DatasetCatalog:
            return validate_coco_json(name, image_root or os.path.dirname(name), check_images, decode,
                                      require_masks=require_masks)  # fmt: skip
        meta = MetadataCatalog.get(name)
        json_file, meta_root = meta.get("json_file"), meta.get("image_root")
        if json_file and meta_root and os.path.isfile(json_file) and meta.get("evaluator_type") == "coco":
            return validate_coco_json(json_file, meta_root, check_images, decode, require_masks=require_masks)
        try:
            dicts = DatasetCatalog.get(name)
            check_dataset_records(name, dicts)  # what training refuses before it starts
        except Exception as e:  # loading errors are the first problem to report
            return DatasetProblems([Problem("load_error", f"{type(e).__name__}: {e}", json_file or name)])
        classes = meta.get("thing_classes")
        stuff = meta.get("stuff_classes")
        return validate_dataset_dicts(dicts, json_file or name, len(classes) if classes else None, check_images,
                                      decode, require_masks=require_masks, label_classes=len(stuff) if stuff else None,
                                      ignore_label=meta.get("ignore_label", 255))  # fmt: skip
    return validate_dataset_dicts(list(name_or_dicts), check_images=check_images, decode=decode,
                                  require_masks=require_masks)
