"""What can be wrong with one annotation, and what training does about it.

Shared by the COCO loader (which refuses malformed records), the training data path (which repairs or drops
boxes as Detectron2 does, counting each kind and logging one line per dataset) and ``detectra validate-data``
(which lists every case), so that the three agree on what is a problem.
"""
from __future__ import annotations

import functools
import json
import logging
import math
import numbers
import os
from collections import defaultdict
from typing import Any, Optional, Sequence

import numpy as np

from detectra.structures.boxes import BoxMode
from detectra.structures.masks import polygon_area

__all__ = [
    "BOX_TOLERANCE",
    "BOX_REPAIRS",
    "bbox_format_problem",
    "iscrowd_problem",
    "segmentation_format_problem",
    "polygon_coordinate_limit",
    "keypoints_problem",
    "check_annotation_fields",
    "box_repair",
    "rle_problem",
    "polygon_problem",
    "invalid_polygons_in_json",
    "repair_dataset_boxes",
    "check_dataset_records",
    "check_masks_present",
]

logger = logging.getLogger(__name__)

BOX_TOLERANCE = 1.0  # pixels a box may extend past the border (rounding of converted annotations) unreported

# kind -> what the training data path does with such a box
BOX_REPAIRS = {
    "nonfinite_box": "dropped",
    "empty_box": "dropped",
    "box_entirely_outside": "dropped",
    "box_outside_image": "clipped to the image",
}
_SHOWN = 3  # record ids shown per kind in a summary line
_BOX_MODES = {int(mode) for mode in BoxMode}  # BoxMode members (an IntEnum) and plain ints both match
_VISIBILITIES = {0, 1, 2}  # COCO keypoint v: not labeled, labeled but hidden, visible


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def bbox_format_problem(bbox: Any) -> Optional[str]:
    """Why ``bbox`` is not 4 numbers (a string, a wrong length, ...), or None when it is."""
    try:
        values = list(bbox)
    except TypeError:
        values = None
    if isinstance(bbox, (str, bytes)) or values is None or len(values) != 4 or not all(map(_is_number, values)):
        return f"bbox {bbox!r} is not 4 numbers"
    return None


def iscrowd_problem(iscrowd: Any) -> Optional[str]:
    """Why ``iscrowd`` is not 0 or 1, or None when it is (training drops every annotation whose iscrowd is not 0,
    so a string "0" would silently lose the object)."""
    if isinstance(iscrowd, bool) or (_is_number(iscrowd) and iscrowd in (0, 1)):
        return None
    return f"iscrowd {iscrowd!r} is not 0 or 1"


def _sum_if_numbers(values: list) -> Optional[float]:
    # sum() runs in C and fails on strings, None and nested lists: a fast "all numbers" check for large jsons
    try:
        return sum(values)
    except TypeError:
        return None


# How far polygon coordinates may reach: 10 image sizes (at least 10 000 px), or 100 000 px when the image's size is
# unknown. Real polygons stay within a few pixels of their image (COCO's often cross the border slightly); the
# rasterizer's memory grows with the coordinates (1e6 costs ~0.5 GB, 1e8 is OOM-killed), which at these bounds
# stays in the tens of MB. Far-out values are another unit or another image's coordinates.
_POLYGON_REACH_FACTOR = 10
_POLYGON_REACH_MIN = 10_000
_POLYGON_REACH_UNKNOWN_SIZE = 100_000


def _known_size(image_hw: Optional[tuple[Any, Any]]) -> bool:
    return bool(image_hw) and _is_number(image_hw[0]) and _is_number(image_hw[1]) and min(image_hw) > 0


@functools.lru_cache(maxsize=64)  # the loader asks once per annotation, for a few images in turn
def polygon_coordinate_limit(image_hw: Optional[tuple[Any, Any]]) -> float:
    """The largest absolute polygon coordinate accepted for an image of ``(height, width)`` (None: unknown)."""
    if _known_size(image_hw):
        return max(_POLYGON_REACH_FACTOR * max(image_hw), _POLYGON_REACH_MIN)
    return _POLYGON_REACH_UNKNOWN_SIZE


def segmentation_format_problem(segm: Any, image_hw: Optional[tuple[Any, Any]] = None) -> Optional[str]:
    """Why a "segmentation" cannot be read as polygons or RLE, or None when it can.

    Polygons must be a list of flat lists of finite numbers within `polygon_coordinate_limit` of the image (NaN,
    infinite or huge coordinates make the rasterizer allocate without bound). Polygons of fewer than 3 points are
    not reported here: the loader drops them as Detectron2 does (see `polygon_problem`). RLE dicts are checked by
    `rle_problem`.

    Args:
        segm: an annotation's "segmentation".
        image_hw: (height, width) of its image when known.
    """
    if isinstance(segm, dict):
        return None
    if not isinstance(segm, list):
        return f"segmentation {str(segm)[:40]!r} is neither a list of polygons nor an RLE dict"
    limit = polygon_coordinate_limit(image_hw)
    for k, poly in enumerate(segm):
        if not isinstance(poly, list):
            if _is_number(poly):
                return "segmentation is one flat list of numbers; polygons go in a list of lists: [[x0, y0, x1, ...]]"
            return f"polygon {k} is a {type(poly).__name__}, not a flat list [x0, y0, x1, y1, ...]"
        total = _sum_if_numbers(poly)
        if total is None:
            nested = any(isinstance(v, (list, tuple)) for v in poly)
            kind = "nested lists (write it flat: [x0, y0, x1, y1, ...])" if nested else "values that are not numbers"
            return f"polygon {k} has {kind}"
        if not math.isfinite(total):
            return f"polygon {k} has NaN or infinite coordinates"
        if poly and (max(poly) > limit or min(poly) < -limit):  # max / min run in C, like sum
            far = max(poly) if max(poly) > limit else min(poly)
            image = f"the {image_hw[1]}x{image_hw[0]} (WxH) image" if _known_size(image_hw) else "any image"
            return (f"polygon {k} has coordinate {far:g}, far outside {image} (the bound is +-{limit:g} px): "
                    "polygon coordinates are pixels of this image, not another unit or another image's")  # fmt: skip
    return None


def keypoints_problem(keypoints: Any) -> Optional[str]:
    """Why COCO "keypoints" are not ``[x1, y1, v1, x2, ...]`` numbers with visibility v in {0, 1, 2}, or None."""
    total = _sum_if_numbers(keypoints) if isinstance(keypoints, list) else None
    if total is None:
        return f"keypoints {str(keypoints)[:40]} are not a list of numbers"
    if len(keypoints) % 3:
        return f"keypoints has {len(keypoints)} values; needs (x, y, v) triplets"
    if not set(keypoints[2::3]) <= _VISIBILITIES:
        bad = next(v for v in keypoints[2::3] if v not in _VISIBILITIES)
        return f"keypoint visibility {bad!r} is not 0 (not labeled), 1 (labeled, hidden) or 2 (visible)"
    if not math.isfinite(total):
        return "keypoints have NaN or infinite coordinates"
    return None


def check_annotation_fields(anno: dict, where: str, image_hw: Optional[tuple[Any, Any]] = None) -> None:
    """Refuse a COCO-style annotation whose bbox, iscrowd, segmentation or keypoints cannot be read.

    Args:
        anno: one entry of a json's "annotations".
        where: the file and record, for the message (e.g. "'x.json', image id 3, annotation id 7").
        image_hw: (height, width) of its image when known, which an RLE's "size" must equal.

    Raises:
        ValueError: ``where``, what is wrong, and how to write it instead.
    """
    if "bbox" not in anno:
        raise ValueError(
            f"{where}: no 'bbox'. Every annotation needs its box as [x, y, width, height]; add it or "
            "remove the annotation ('detectra validate-data' lists every such case)."
        )
    bbox = anno["bbox"]
    if bbox_format_problem(bbox):
        raise ValueError(
            f"{where}: {bbox_format_problem(bbox)}. Write it as [x, y, width, height] with numbers, not "
            "strings, e.g. [10.0, 20.0, 30.0, 40.0]."
        )
    if bbox[2] < 0 or bbox[3] < 0:
        raise ValueError(
            f"{where}: bbox {bbox} has negative width or height. COCO boxes are [x, y, width, height]; "
            "if yours are [x1, y1, x2, y2], convert them (width = x2 - x1)."
        )
    if "iscrowd" in anno and iscrowd_problem(anno["iscrowd"]):
        raise ValueError(
            f"{where}: {iscrowd_problem(anno['iscrowd'])}. Write 0 for an object and 1 for a crowd region "
            "(as a number: training ignores every annotation whose iscrowd is not 0)."
        )
    segm = anno.get("segmentation")
    if segm is not None and segmentation_format_problem(segm, image_hw):
        raise ValueError(
            f"{where}: {segmentation_format_problem(segm, image_hw)}. A segmentation is a list of polygons "
            "[[x0, y0, x1, y1, ...], ...] in pixels, or a COCO RLE dict; fix it or remove the field."
        )
    if segm and isinstance(segm, dict) and rle_problem(segm, image_hw):
        raise ValueError(
            f"{where}: {rle_problem(segm, image_hw)}. Fix or remove this mask (COCO RLE: 'size' is [height, width] "
            "of the image, 'counts' the run lengths in column-major order, compressed or as a list)."
        )
    keypoints = anno.get("keypoints")
    if keypoints and keypoints_problem(keypoints):
        raise ValueError(
            f"{where}: {keypoints_problem(keypoints)}. COCO keypoints are [x1, y1, v1, x2, y2, v2, ...] with "
            "v = 0 (not labeled), 1 (labeled, not visible) or 2 (visible)."
        )


def box_repair(bbox: Sequence[float], bbox_mode: Any, image_size: Optional[tuple[int, int]]) -> Optional[str]:
    """The kind of repair (a key of ``BOX_REPAIRS``) training applies to a well-formed box, or None.

    Args:
        bbox: 4 numbers in ``bbox_mode``.
        bbox_mode: a ``BoxMode`` (rotated boxes are not checked).
        image_size: ``(width, height)`` when known; without it only non-finite and empty boxes are found.
    """
    if not all(math.isfinite(float(v)) for v in bbox):
        return "nonfinite_box"
    mode = BoxMode(bbox_mode)
    if mode in (BoxMode.XYWHA_ABS,):
        return None
    x0, y0, x1, y1 = BoxMode.convert([float(v) for v in bbox], mode, BoxMode.XYXY_ABS)
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        return "empty_box"
    if image_size is None or mode == BoxMode.XYXY_REL or mode == BoxMode.XYWH_REL:
        return None
    w, h = image_size
    if x0 >= w or y0 >= h or x1 <= 0 or y1 <= 0:
        return "box_entirely_outside"
    t = BOX_TOLERANCE
    if x0 < -t or y0 < -t or x1 > w + t or y1 > h + t:
        return "box_outside_image"
    return None


def polygon_problem(poly: Any) -> Optional[str]:
    """Why one COCO polygon ``[x0, y0, x1, y1, ...]`` gives no mask, or None when it is usable.

    Odd-length and shorter-than-3-point polygons are the ones the COCO loader drops (an instance left with none is
    dropped too); non-finite and zero-area ones give an empty or undefined mask.
    """
    if not isinstance(poly, (list, tuple)) or len(poly) % 2 or len(poly) < 6:
        n = len(poly) if isinstance(poly, (list, tuple)) else type(poly).__name__
        return f"has {n} coordinates; needs an even number >= 6 (3 points)"
    if not all(_is_number(v) and math.isfinite(v) for v in poly):
        return "has non-finite or non-numeric coordinates"
    xy = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    if polygon_area(xy[:, 0], xy[:, 1]) == 0:
        return "has zero area (its points lie on one line)"
    return None


def invalid_polygons_in_json(json_file: str) -> list[str]:
    """``"image I annotation A: polygon k <why>"`` for every unusable polygon (see `polygon_problem`) of a COCO json."""
    with open(json_file, encoding="utf-8-sig") as f:
        annotations = json.load(f).get("annotations") or []
    found = []
    for ann in annotations:
        segm = ann.get("segmentation") if isinstance(ann, dict) else None
        if not isinstance(segm, list):
            continue
        for k, poly in enumerate(segm):
            why = polygon_problem(poly)
            if why:
                found.append(f"image {ann.get('image_id')} annotation {ann.get('id')}: polygon {k} {why}")
    return found


def _compressed_rle_counts(counts: str) -> Optional[list[int]]:
    """Decode COCO's compressed RLE string (6-bit characters from '0', deltas after the second run); None when it
    is not one. Written here because pycocotools decodes any string without checking it."""
    runs: list[int] = []
    p, n = 0, len(counts)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                return None  # a value cut in the middle
            c = ord(counts[p]) - 48
            if not 0 <= c < 64:
                return None
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p, k = p + 1, k + 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


def rle_problem(segm: Any, image_hw: Optional[tuple[int, int]]) -> Optional[str]:
    """Why an RLE segmentation (dict) cannot be decoded into a mask of its image, or None when it can.

    Args:
        segm: ``{"size": [h, w], "counts": str | bytes | list[int]}``.
        image_hw: ``(height, width)`` of the image when known.
    """
    if not isinstance(segm, dict) or "counts" not in segm or "size" not in segm:
        keys = sorted(segm) if isinstance(segm, dict) else type(segm).__name__
        return f"RLE segmentation needs 'size' [height, width] and 'counts'; it has {keys}"
    size = segm["size"]
    if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) and v >= 0 for v in size)):
        return f"RLE 'size' {size!r} is not [height, width]"
    h, w = size
    counts = segm["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii", errors="replace")
    if isinstance(counts, str):
        runs = _compressed_rle_counts(counts)
        if runs is None:
            return f"RLE 'counts' {counts[:20]!r}... is not a COCO compressed RLE string"
    elif isinstance(counts, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in counts):
        runs = counts
    else:
        return f"RLE 'counts' must be a string or a list of integers, got {type(counts).__name__}"
    if any(r < 0 for r in runs):
        return "RLE 'counts' has negative run lengths"
    if sum(runs) != h * w:
        return f"RLE 'counts' cover {sum(runs)} pixels but 'size' {list(size)} has {h * w}"
    if image_hw is not None and image_hw[0] and image_hw[1] and (h, w) != tuple(image_hw):
        return f"RLE 'size' {list(size)} differs from the image's [height, width] {list(image_hw)}"
    return None


def _where(record: dict, k: int, ann: dict) -> str:
    ann_ref = ann["id"] if "id" in ann else f"#{k}"
    return f"image {record.get('image_id')} annotation {ann_ref}"


def repair_dataset_boxes(name: str, dicts: list[dict], *, source: str = "", strict: bool = False) -> list[dict]:
    """Count the boxes training will repair or drop in one dataset, and log one line about them.

    Non-finite boxes are removed here (clipping would turn an infinite box into one covering the image); the
    other kinds are left to the mapper, which clips and drops them as Detectron2 does.

    Args:
        name: the dataset's name, for the message.
        dicts: its records (with "annotations").
        source: its file (json), for the message.
        strict: raise instead of repairing, and also on the polygons of ``source`` (a COCO json) that give no mask
            (see `polygon_problem`; the loader dropped the malformed ones without raising).

    Returns:
        the records, with annotations of non-finite boxes removed.

    Raises:
        ValueError: with ``strict``, when any box would be repaired or dropped or a polygon gives no mask (names
            the file and records).
    """
    found: dict[str, list[str]] = defaultdict(list)
    for record in dicts:
        annos = record.get("annotations")
        if not annos:
            continue
        w, h = record.get("width"), record.get("height")
        size = (int(w), int(h)) if w and h else None
        kinds = []
        for k, ann in enumerate(annos):
            kind = None
            if "bbox" in ann and bbox_format_problem(ann["bbox"]) is None:
                kind = box_repair(ann["bbox"], ann.get("bbox_mode", BoxMode.XYWH_ABS), size)
            if kind is not None:
                found[kind].append(_where(record, k, ann))
            kinds.append(kind)
        if "nonfinite_box" in kinds:
            record["annotations"] = [a for a, kind in zip(annos, kinds) if kind != "nonfinite_box"]
    # The loader dropped unusable polygons already (logging their ids): only --strict reads the json again for them.
    polygons = invalid_polygons_in_json(source) if strict and source and os.path.isfile(source) else []
    if not found and not polygons:
        return dicts
    where = f"'{name}'" + (f" ({source})" if source else "")
    if polygons:
        raise ValueError(
            f"Dataset {where} has {len(polygons)} polygon(s) that give no mask: {'; '.join(polygons[:_SHOWN])}"
            f"{'; ...' if len(polygons) > _SHOWN else ''}. Fix each (at least 3 points as [x0, y0, x1, y1, ...] "
            "enclosing an area) or remove it from its annotation's 'segmentation' ('detectra validate-data' lists "
            "them all), or train without --strict (the loader then drops those with fewer than 3 points)."
        )
    parts = [
        f"{len(refs)} {kind} {BOX_REPAIRS[kind]} ({', '.join(refs[:_SHOWN])}{', ...' if len(refs) > _SHOWN else ''})"
        for kind, refs in sorted(found.items())
    ]
    if strict:
        raise ValueError(
            f"Dataset {where} has boxes training would repair or drop: {'; '.join(parts)}. Fix them in the "
            "annotations ('detectra validate-data' lists every one), or turn DATALOADER.STRICT_ANNOTATIONS off "
            "(no --strict) to let training repair them."
        )
    logger.warning(
        f"Dataset {where}: {sum(map(len, found.values()))} box(es) repaired or dropped for training: "
        f"{'; '.join(parts)}. 'detectra validate-data' lists them all; DATALOADER.STRICT_ANNOTATIONS True "
        "(or --strict) makes them errors."
    )
    return dicts


def _record_problem(record: Any) -> Optional[str]:
    """Why one dataset dict cannot be trained on (a missing key, a box without its mode...), or None."""
    if not isinstance(record, dict):
        return f"is a {type(record).__name__}, not a dict"
    if "file_name" not in record:
        return "has no 'file_name' (the image's path)"
    annos = record.get("annotations", [])
    if not isinstance(annos, list):
        return f"has 'annotations' {str(annos)[:40]}, not a list (use [] for an image without objects)"
    for k, ann in enumerate(annos):
        try:  # the common, well-formed case costs three lookups
            if isinstance(ann["category_id"], numbers.Integral) and ann["bbox_mode"] in _BOX_MODES and "bbox" in ann:
                continue
        except (KeyError, TypeError):
            pass
        ref = f"annotation {ann.get('id', f'#{k}')}" if isinstance(ann, dict) else f"annotation #{k}"
        missing = [key for key in ("bbox", "bbox_mode", "category_id") if not isinstance(ann, dict) or key not in ann]
        if missing:
            return f"{ref} lacks {missing} (e.g. 'bbox': [x, y, w, h], 'bbox_mode': BoxMode.XYWH_ABS, 'category_id': 0)"
        if not isinstance(ann["category_id"], numbers.Integral):
            return f"{ref} has category_id {ann['category_id']!r}; it must be an integer in [0, #classes)"
        return f"{ref} has bbox_mode {ann['bbox_mode']!r}; use a BoxMode such as BoxMode.XYWH_ABS"
    return None


def check_dataset_records(name: str, dicts: Any) -> None:
    """Refuse what a registered dataset function returned when training cannot read it.

    Args:
        name: the dataset's name, for the message.
        dicts: what ``DatasetCatalog.get(name)`` returned.

    Raises:
        TypeError / ValueError: naming the dataset, the record (image id or index) and what each dict needs.
    """
    if not isinstance(dicts, list):
        raise TypeError(
            f"The function registered for dataset '{name}' returned a {type(dicts).__name__}; it must return a "
            "list of dicts, one per image (did it forget 'return'?)."
        )
    for i, record in enumerate(dicts):
        problem = _record_problem(record)
        if problem:
            image = record.get("image_id", f"#{i}") if isinstance(record, dict) else f"#{i}"
            raise ValueError(
                f"Dataset '{name}': record {i} (image {image}) {problem}. Each dict needs 'file_name' and, for "
                "training, 'annotations': a list of dicts with 'bbox', 'bbox_mode' and 'category_id' (see "
                "Detectron2's standard dataset dicts)."
            )


def check_masks_present(dicts: Sequence[dict], dataset_names: Sequence[str]) -> None:
    """With ``MODEL.MASK_ON``, every non-crowd annotation needs a "segmentation"; name the first that has none.

    Raises:
        ValueError: naming the dataset(s), the image and the annotation, and the two ways out.
    """
    for record in dicts:
        for k, ann in enumerate(record.get("annotations", [])):
            if not ann.get("iscrowd", 0) and not ann.get("segmentation"):
                raise ValueError(
                    f"MODEL.MASK_ON is set but {_where(record, k, ann)} ('{record.get('file_name')}') in dataset(s) "
                    f"{', '.join(dataset_names)} has no 'segmentation'. Add polygons or RLE masks to every "
                    "annotation, or train without masks (MODEL.MASK_ON False, e.g. a faster_rcnn config)."
                )
