"""COCO panoptic format: standard (png + segments_info) and "separated" (instances json + stuff semantic png)."""
from __future__ import annotations

import copy
import os
from typing import Any, Optional

from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.data.datasets.coco import load_coco_json, load_sem_seg, read_json_file

__all__ = ["register_coco_panoptic", "register_coco_panoptic_separated", "load_coco_panoptic_json",
           "merge_to_panoptic"]  # fmt: skip


def load_coco_panoptic_json(json_file: str, image_dir: str, gt_dir: str, meta: dict[str, Any]) -> list[dict]:
    """Load a COCO panoptic json.

    Args:
        json_file: the panoptic json (annotations with file_name of the png and segments_info).
        image_dir: folder of the images.
        gt_dir: folder of the panoptic png files (segment id = R + 256 G + 256^2 B).
        meta: with thing_dataset_id_to_contiguous_id and stuff_dataset_id_to_contiguous_id.

    Returns:
        dicts with file_name, image_id, pan_seg_file_name, segments_info (category_id contiguous, isthing).
    """
    json_info = read_json_file(json_file, "COCO panoptic")
    if not isinstance(json_info, dict) or not isinstance(json_info.get("annotations"), list):
        raise ValueError(f"'{json_file}' is not a COCO panoptic json (no 'annotations' list).")
    thing_map = meta["thing_dataset_id_to_contiguous_id"]
    stuff_map = meta.get("stuff_dataset_id_to_contiguous_id", {})
    image_files = {img["id"]: img for img in json_info.get("images", [])}
    ret = []
    png_by_image: dict[Any, str] = {}
    for k, ann in enumerate(json_info["annotations"]):
        problem = _panoptic_annotation_problem(ann)
        if problem:
            raise ValueError(
                f"'{json_file}', annotations[{k}]: {problem}. A COCO panoptic annotation is {{'image_id', "
                "'file_name' (its png), 'segments_info': [{'id', 'category_id', ...}, ...]}."
            )
        image_id = ann["image_id"]
        if image_id in png_by_image:
            raise ValueError(
                f"'{json_file}': image id {image_id!r} has two panoptic annotations ('{png_by_image[image_id]}' and "
                f"'{ann['file_name']}'); an image has one png holding all its segments. Keep one of them."
            )
        png_by_image[image_id] = ann["file_name"]
        img = image_files.get(image_id)
        name = img["file_name"] if img else os.path.splitext(ann["file_name"])[0] + ".jpg"
        segments_info = []
        for seg in ann["segments_info"]:
            seg = dict(seg)
            cid = seg["category_id"]
            if cid in thing_map:
                seg["category_id"], seg["isthing"] = thing_map[cid], True
            elif cid in stuff_map:
                seg["category_id"], seg["isthing"] = stuff_map[cid], False
            else:
                raise KeyError(
                    f"'{json_file}', image id {image_id}, segment id {seg.get('id')}: category_id {cid} is in "
                    "neither thing_dataset_id_to_contiguous_id nor stuff_dataset_id_to_contiguous_id of the metadata."
                )
            segments_info.append(seg)
        record = {"file_name": os.path.join(image_dir, name), "image_id": image_id,
                  "pan_seg_file_name": os.path.join(gt_dir, ann["file_name"]), "segments_info": segments_info}
        if img and "height" in img:
            record["height"], record["width"] = img["height"], img["width"]
        ret.append(record)
    if not ret:
        raise ValueError(f"No images found in '{json_file}'.")
    return ret


def _panoptic_annotation_problem(ann: Any) -> Optional[str]:
    if not isinstance(ann, dict):
        return f"{str(ann)[:60]!r} is not a dict"
    missing = [key for key in ("image_id", "file_name", "segments_info") if key not in ann]
    if missing:
        return f"annotation of image id {ann.get('image_id', '<none>')} lacks {missing}"
    if not isinstance(ann["segments_info"], list):
        return f"'segments_info' of image id {ann['image_id']} is a {type(ann['segments_info']).__name__}, not a list"
    for seg in ann["segments_info"]:
        if not isinstance(seg, dict) or "id" not in seg or "category_id" not in seg:
            return f"a segment of image id {ann['image_id']} ({str(seg)[:60]}) lacks 'id' or 'category_id'"
    return None


def register_coco_panoptic(name: str, metadata: dict, image_root: str, panoptic_root: str, panoptic_json: str,
                           instances_json: Optional[str] = None) -> None:  # fmt: skip
    """Register the standard panoptic dataset ``name`` (evaluator "coco_panoptic_seg")."""
    DatasetCatalog.register(name, lambda: load_coco_panoptic_json(panoptic_json, image_root, panoptic_root, metadata))
    MetadataCatalog.get(name).set(
        panoptic_root=panoptic_root, image_root=image_root, panoptic_json=panoptic_json, json_file=instances_json,
        evaluator_type="coco_panoptic_seg", ignore_label=255, label_divisor=1000, **metadata,
    )  # fmt: skip


def merge_to_panoptic(detection_dicts: list[dict], sem_seg_dicts: list[dict]) -> list[dict]:
    """Add each image's sem_seg_file_name (matched by file_name) to its detection dict."""
    by_file = {d["file_name"]: d for d in sem_seg_dicts}
    results = []
    for det in detection_dicts:
        if det["file_name"] not in by_file:
            raise KeyError(f"No semantic label file for image '{det['file_name']}'.")
        merged = copy.copy(det)
        merged.update(by_file[det["file_name"]])
        results.append(merged)
    return results


def register_coco_panoptic_separated(name: str, metadata: dict, image_root: str, panoptic_root: str,
                                     panoptic_json: str, sem_seg_root: str, instances_json: str) -> None:  # fmt: skip
    """Register ``{name}_separated`` (instances + stuff semantic labels, for Panoptic FPN) and ``{name}_stuffonly``.

    The semantic pngs label every thing pixel 0 and stuff with contiguous ids from 1 (255 = ignore).
    """
    panoptic_name = name + "_separated"
    DatasetCatalog.register(panoptic_name, lambda: merge_to_panoptic(
        load_coco_json(instances_json, image_root, panoptic_name), load_sem_seg(sem_seg_root, image_root)))  # fmt: skip
    MetadataCatalog.get(panoptic_name).set(
        panoptic_root=panoptic_root, image_root=image_root, panoptic_json=panoptic_json, sem_seg_root=sem_seg_root,
        json_file=instances_json, evaluator_type="coco_panoptic_seg", ignore_label=255, **metadata,
    )  # fmt: skip
    semantic_name = name + "_stuffonly"
    DatasetCatalog.register(semantic_name, lambda: load_sem_seg(sem_seg_root, image_root))
    MetadataCatalog.get(semantic_name).set(sem_seg_root=sem_seg_root, image_root=image_root, evaluator_type="sem_seg",
                                           ignore_label=255, **metadata)  # fmt: skip
