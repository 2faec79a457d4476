"""Cityscapes: fine instance annotations (polygon json or instanceIds png) and semantic labelTrainIds."""
from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import pycocotools.mask as mask_util
from PIL import Image

from detectra.data.datasets.builtin_meta import CITYSCAPES_CATEGORIES
from detectra.data.datasets.coco import read_json_file
from detectra.structures.boxes import BoxMode

__all__ = ["load_cityscapes_instances", "load_cityscapes_semantic", "main"]

logger = logging.getLogger(__name__)

_THINGS = [c for c in CITYSCAPES_CATEGORIES if c["isthing"]]
_THING_BY_NAME = {c["name"]: i for i, c in enumerate(_THINGS)}
_THING_BY_ID = {c["id"]: i for i, c in enumerate(_THINGS)}


def _get_files(image_dir: str, gt_dir: str) -> list[tuple[str, str, str, str]]:
    files = []
    if not os.path.isdir(image_dir):
        raise FileNotFoundError(f"Cityscapes image folder '{image_dir}' does not exist.")
    for city in sorted(os.listdir(image_dir)):
        city_img_dir, city_gt_dir = os.path.join(image_dir, city), os.path.join(gt_dir, city)
        for basename in sorted(os.listdir(city_img_dir)):
            suffix = "leftImg8bit.png"
            if not basename.endswith(suffix):
                continue
            stem = os.path.join(city_gt_dir, basename[: -len(suffix)])
            files.append((os.path.join(city_img_dir, basename), stem + "gtFine_instanceIds.png",
                          stem + "gtFine_labelIds.png", stem + "gtFine_polygons.json"))  # fmt: skip
    if not files:
        raise FileNotFoundError(f"No *_leftImg8bit.png images found under '{image_dir}'.")
    return files


def _from_polygons(image_file: str, json_file: str) -> dict[str, Any]:
    js = read_json_file(json_file, "Cityscapes polygon")
    annos = []
    for obj in js["objects"]:
        if obj.get("deleted"):
            continue
        label = obj["label"]
        is_crowd = label.endswith("group")
        name = label[: -len("group")] if is_crowd else label
        if name not in _THING_BY_NAME:
            continue
        # +0.5: polygon vertices are pixel indices; move them to pixel centres (Detectron2's convention)
        poly = np.asarray(obj["polygon"], dtype=np.float32) + 0.5
        if len(poly) < 3:
            continue
        # Detectron2's box is the bounds of the polygon dilated by 0.5 (as cityscapesScripts rasterises it)
        x0, y0 = poly.min(0) - 0.5
        x1, y1 = poly.max(0) + 0.5
        annos.append({"iscrowd": int(is_crowd), "category_id": _THING_BY_NAME[name], "bbox": [float(x0), float(y0),
                      float(x1), float(y1)], "bbox_mode": BoxMode.XYXY_ABS,
                      "segmentation": [poly.reshape(-1).tolist()]})  # fmt: skip
    return {"file_name": image_file, "image_id": os.path.basename(image_file), "height": js["imgHeight"],
            "width": js["imgWidth"], "annotations": annos}  # fmt: skip


def _from_instance_png(image_file: str, inst_file: str) -> dict[str, Any]:
    inst = np.asarray(Image.open(inst_file), dtype=np.int64)
    annos = []
    for inst_id in np.unique(inst):
        label_id = inst_id // 1000 if inst_id >= 1000 else inst_id
        if label_id not in _THING_BY_ID:
            continue
        mask = np.asfortranarray((inst == inst_id).astype(np.uint8))
        ys, xs = np.nonzero(mask)
        # Detectron2's convention: the box spans the first to the last pixel index (not + 1); one-pixel-thin
        # instances get an empty box and are skipped.
        if xs.max() <= xs.min() or ys.max() <= ys.min():
            continue
        rle = mask_util.encode(mask)
        rle["counts"] = rle["counts"].decode("ascii")
        annos.append({"iscrowd": int(inst_id < 1000), "category_id": _THING_BY_ID[label_id],
                      "bbox": [float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())],
                      "bbox_mode": BoxMode.XYXY_ABS, "segmentation": rle})  # fmt: skip
    return {"file_name": image_file, "image_id": os.path.basename(image_file), "height": inst.shape[0],
            "width": inst.shape[1], "annotations": annos}  # fmt: skip


def load_cityscapes_instances(image_dir: str, gt_dir: str, from_json: bool = True,
                              to_polygons: bool = True) -> list[dict]:  # fmt: skip
    """Load Cityscapes instances (8 thing classes, contiguous ids in Cityscapes' trainId order).

    Args:
        image_dir: e.g. "cityscapes/leftImg8bit/train".
        gt_dir: e.g. "cityscapes/gtFine/train".
        from_json: read ``*_gtFine_polygons.json`` (polygons; "*group" labels become crowd). Overlaps between
            polygons are not removed (Detectron2 removes them with shapely, which detectra does not depend on).
            Otherwise read ``*_gtFine_instanceIds.png`` (RLE masks).
        to_polygons: kept for API compatibility; json input always gives polygons, png input RLE.
    """
    files = _get_files(image_dir, gt_dir)
    logger.info("%d images found in '%s'", len(files), image_dir)
    ret = []
    for image_file, inst_file, _, json_file in files:
        needed = json_file if from_json else inst_file
        if not os.path.isfile(needed):
            raise FileNotFoundError(f"Cityscapes annotation '{needed}' for image '{image_file}' does not exist.")
        ret.append(_from_polygons(image_file, json_file) if from_json else _from_instance_png(image_file, inst_file))
    return ret


def load_cityscapes_semantic(image_dir: str, gt_dir: str) -> list[dict]:
    """Pair each image with its ``*_gtFine_labelTrainIds.png`` (trainIds 0..18, 255 ignore)."""
    ret = []
    for image_file, _, label_file, json_file in _get_files(image_dir, gt_dir):
        label_file = label_file.replace("labelIds", "labelTrainIds")
        if not os.path.isfile(label_file):
            raise FileNotFoundError(
                f"'{label_file}' does not exist. Generate the labelTrainIds pngs with cityscapesscripts' "
                "preparation/createTrainIdLabelImgs.py."
            )
        record = {"file_name": image_file, "sem_seg_file_name": label_file}
        if os.path.isfile(json_file):
            js = read_json_file(json_file, "Cityscapes polygon")
            record["height"], record["width"] = js["imgHeight"], js["imgWidth"]
        ret.append(record)
    return ret


def main(argv: list[str] | None = None) -> int:
    """``python -m detectra.data.datasets.cityscapes IMAGE_DIR GT_DIR [--type semantic] [--output DIR]``: load a
    Cityscapes split, print what was found and, with ``--output``, draw every image's annotations there."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.split(":", 1)[1].strip())
    parser.add_argument("image_dir", help='e.g. "cityscapes/leftImg8bit/train"')
    parser.add_argument("gt_dir", help='e.g. "cityscapes/gtFine/train"')
    parser.add_argument("--type", choices=("instance", "semantic"), default="instance")
    parser.add_argument("--output", default="", help="folder for the drawn annotations")
    args = parser.parse_args(argv)
    if args.type == "instance":
        dicts = load_cityscapes_instances(args.image_dir, args.gt_dir, from_json=True, to_polygons=True)
        print(f"{len(dicts)} images, {sum(len(d['annotations']) for d in dicts)} instances")
    else:
        dicts = load_cityscapes_semantic(args.image_dir, args.gt_dir)
        print(f"{len(dicts)} images with semantic labels")
    if args.output:
        from detectra.data.catalog import Metadata
        from detectra.data.datasets.builtin_meta import _get_builtin_metadata
        from detectra.utils.visualizer import Visualizer

        meta = Metadata(**_get_builtin_metadata("cityscapes"))
        os.makedirs(args.output, exist_ok=True)
        for d in dicts:
            image = np.asarray(Image.open(d["file_name"]).convert("RGB"))
            vis = Visualizer(image, metadata=meta)
            out = os.path.join(args.output, os.path.basename(d["file_name"]))
            vis.draw_dataset_dict(d).save(out)
        print(f"Drawn annotations: {os.path.abspath(args.output)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
