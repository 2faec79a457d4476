"""Cityscapes panoptic segmentation (the ``cityscapes_panoptic_{split}`` pngs and json made by cityscapesscripts'
``preparation/createPanopticImgs.py``), registered as cityscapes_fine_panoptic_{train,val}."""
from __future__ import annotations

import logging
import os
from typing import Any

from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.data.datasets.builtin_meta import CITYSCAPES_CATEGORIES
from detectra.data.datasets.coco import read_json_file

__all__ = ["get_cityscapes_panoptic_files", "load_cityscapes_panoptic", "register_all_cityscapes_panoptic"]

logger = logging.getLogger(__name__)

# name -> (image folder, panoptic png folder, panoptic json), relative to the datasets root
_RAW_CITYSCAPES_PANOPTIC_SPLITS = {
    "cityscapes_fine_panoptic_train": (
        "cityscapes/leftImg8bit/train", "cityscapes/gtFine/cityscapes_panoptic_train",
        "cityscapes/gtFine/cityscapes_panoptic_train.json",
    ),
    "cityscapes_fine_panoptic_val": (
        "cityscapes/leftImg8bit/val", "cityscapes/gtFine/cityscapes_panoptic_val",
        "cityscapes/gtFine/cityscapes_panoptic_val.json",
    ),
}  # fmt: skip


def get_cityscapes_panoptic_files(image_dir: str, gt_dir: str, json_info: dict) -> list[tuple[str, str, list]]:
    """(image file, panoptic png, segments_info) of every image under ``image_dir/<city>/``, matched to the
    json's annotations by the ``<city>_<seq>_<frame>`` prefix of the file names.

    Raises:
        FileNotFoundError: an image has no annotation in the json, or a png is missing.
    """
    annotations = {ann["image_id"]: ann for ann in json_info["annotations"]}
    files = []
    for city in sorted(os.listdir(image_dir)):
        city_dir = os.path.join(image_dir, city)
        for name in sorted(os.listdir(city_dir)):
            if not name.endswith("_leftImg8bit.png"):
                continue
            image_id = name[: -len("_leftImg8bit.png")]
            if image_id not in annotations:
                raise FileNotFoundError(f"Image '{os.path.join(city_dir, name)}' has no annotation '{image_id}' in the "
                                        "panoptic json; regenerate it with createPanopticImgs.py.")  # fmt: skip
            ann = annotations[image_id]
            label_file = os.path.join(gt_dir, ann["file_name"])
            if not os.path.isfile(label_file):
                raise FileNotFoundError(f"Panoptic png '{label_file}' (image '{image_id}') does not exist.")
            files.append((os.path.join(city_dir, name), label_file, ann["segments_info"]))
    if not files:
        raise FileNotFoundError(f"No '*_leftImg8bit.png' images found under '{image_dir}/<city>/'.")
    return files


def load_cityscapes_panoptic(image_dir: str, gt_dir: str, gt_json: str, meta: dict[str, Any]) -> list[dict]:
    """Load one Cityscapes panoptic split.

    Args:
        image_dir: e.g. "cityscapes/leftImg8bit/train".
        gt_dir: the panoptic pngs, e.g. "cityscapes/gtFine/cityscapes_panoptic_train".
        gt_json: their json, e.g. "cityscapes/gtFine/cityscapes_panoptic_train.json".
        meta: with thing_dataset_id_to_contiguous_id and stuff_dataset_id_to_contiguous_id.

    Returns:
        dicts with file_name, image_id, sem_seg_file_name (the labelTrainIds png), pan_seg_file_name and
        segments_info (category_id contiguous, isthing).
    """
    for path in (image_dir, gt_dir, gt_json):
        if not os.path.exists(path):
            raise FileNotFoundError(f"'{path}' does not exist; create the panoptic annotations with cityscapesscripts' "
                                    "preparation/createPanopticImgs.py.")  # fmt: skip
    json_info = read_json_file(gt_json, "Cityscapes panoptic")
    thing_map, stuff_map = meta["thing_dataset_id_to_contiguous_id"], meta["stuff_dataset_id_to_contiguous_id"]
    ret = []
    for image_file, label_file, segments_info in get_cityscapes_panoptic_files(image_dir, gt_dir, json_info):
        segments = []
        for seg in segments_info:
            seg = dict(seg)
            isthing = seg["category_id"] in thing_map
            seg["category_id"] = (thing_map if isthing else stuff_map)[seg["category_id"]]
            seg["isthing"] = isthing
            segments.append(seg)
        sem_label_file = image_file.replace("leftImg8bit", "gtFine").rsplit(".", 1)[0] + "_labelTrainIds.png"
        ret.append({
            "file_name": image_file,
            "image_id": "_".join(os.path.basename(image_file).split("_")[:3]),
            "sem_seg_file_name": sem_label_file,
            "pan_seg_file_name": label_file,
            "segments_info": segments,
        })  # fmt: skip
    logger.info("Loaded %d Cityscapes panoptic images from %s", len(ret), image_dir)
    return ret


def _panoptic_meta() -> dict[str, Any]:
    # Every category is both a "thing" and a "stuff" entry (as Detectron2's visualizer expects), with the
    # contiguous id of its trainId.
    names = [k["name"] for k in CITYSCAPES_CATEGORIES]
    colors = [k["color"] for k in CITYSCAPES_CATEGORIES]
    return {
        "thing_classes": names, "thing_colors": colors, "stuff_classes": names, "stuff_colors": colors,
        "thing_dataset_id_to_contiguous_id": {k["id"]: k["trainId"] for k in CITYSCAPES_CATEGORIES if k["isthing"]},
        "stuff_dataset_id_to_contiguous_id": {k["id"]: k["trainId"] for k in CITYSCAPES_CATEGORIES
                                              if not k["isthing"]},
    }  # fmt: skip


def register_all_cityscapes_panoptic(root: str) -> None:
    """Register cityscapes_fine_panoptic_{train,val} under ``root`` (read when first used)."""
    meta = _panoptic_meta()
    for key, (image_dir, gt_dir, gt_json) in _RAW_CITYSCAPES_PANOPTIC_SPLITS.items():
        image_dir, gt_dir, gt_json = (os.path.join(root, p) for p in (image_dir, gt_dir, gt_json))
        DatasetCatalog.register(key, lambda x=image_dir, y=gt_dir, z=gt_json: load_cityscapes_panoptic(x, y, z, meta))
        MetadataCatalog.get(key).set(
            panoptic_root=gt_dir, image_root=image_dir, panoptic_json=gt_json,
            gt_dir=gt_dir.replace("cityscapes_panoptic_", ""),  # the split's gtFine folder, for the evaluator
            evaluator_type="cityscapes_panoptic_seg", ignore_label=255, label_divisor=1000, **meta,
        )  # fmt: skip
