"""COCO-format json <-> Detectron2 dataset dicts, and loading of semantic segmentation folders."""
from __future__ import annotations

import contextlib
import datetime
import io
import json
import logging
import os
from typing import Any, Collection, Optional

import numpy as np
import pycocotools.mask as mask_util
from pycocotools.coco import COCO

from detectra.checkpoint.safe_io import atomic_write
from detectra.data.annotation_checks import check_annotation_fields
from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.data.detection_utils import read_image_size
from detectra.structures.boxes import BoxMode
from detectra.utils.logger import log_first_n

__all__ = [
    "load_coco_json",
    "load_sem_seg",
    "convert_to_coco_json",
    "convert_to_coco_dict",
    "register_coco_instances",
    "read_coco_json",
    "coco_structure_problem",
    "read_json_file",
    "check_annotation_image_ids",
]

logger = logging.getLogger(__name__)


def read_json_file(json_file: str, kind: str) -> Any:
    """Parse a json file; a missing, empty, cut-short or binary file raises one error naming it and ``kind`` (what
    the file should be, e.g. "COCO panoptic"). A UTF-8 byte-order mark (some Windows tools write one) is skipped."""
    json_file = os.fspath(json_file)
    if not os.path.isfile(json_file):
        raise FileNotFoundError(f"{kind} json '{json_file}' does not exist. Check the path given to the loader.")
    try:
        with open(json_file, encoding="utf-8-sig") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        size = os.path.getsize(json_file)
        raise ValueError(
            f"'{json_file}' ({size} bytes) is not valid json ({e}). Expected the {kind} json: export or download it "
            "again if it was cut short."
        ) from None


def read_coco_json(
    json_file: str, *, kind: str = "COCO", image_keys: tuple[str, ...] = ("id", "file_name")
) -> dict[str, Any]:
    """Read and structurally check a COCO json; errors name the file and what is wrong.

    Args:
        json_file: the json.
        kind: what it should be, for messages ("LVIS" reads COCO-like files through this too).
        image_keys: the keys every image needs.

    Returns:
        the parsed dict, with at least "images" (list); "annotations" and "categories" default to [].
    """
    json_file = os.fspath(json_file)
    data = read_json_file(json_file, kind)
    if not isinstance(data, dict) or "images" not in data or not isinstance(data["images"], list):
        got = type(data).__name__ if not isinstance(data, dict) else f"dict with keys {sorted(data)[:8]}"
        if isinstance(data, dict) and "images" in data:
            got = f"dict whose 'images' is a {type(data['images']).__name__}"
        raise ValueError(
            f"'{json_file}' is not in the {kind} format: expected a dict with an 'images' list (plus 'annotations' and "
            f"'categories'), got a {got}. Convert it to COCO format, or register a custom loader with "
            "DatasetCatalog.register(name, func) (e.g. for VIA json)."
        )
    problem = coco_structure_problem(data, image_keys)
    if problem:
        raise ValueError(f"'{json_file}': {problem}.")
    data.setdefault("annotations", [])
    data.setdefault("categories", [])
    first_by_id: dict[Any, dict] = {}
    for img in data["images"]:
        other = first_by_id.setdefault(img["id"], img)
        if other is not img:
            # pycocotools would keep one of them and give it the annotations of both
            raise ValueError(
                f"'{json_file}': image id {img['id']!r} is used by two images, '{_image_path(other)}' and "
                f"'{_image_path(img)}'; their annotations cannot be told apart. Give every image a unique 'id' "
                "(and point each annotation's 'image_id' at the right one)."
            )
    return data


def _image_path(img: dict) -> str:
    return img.get("file_name") or img.get("coco_url", "<no file_name>")


def _positive_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def coco_structure_problem(
    data: dict[str, Any], image_keys: tuple[str, ...] = ("id", "file_name")
) -> Optional[str]:
    """The first entry of a COCO dict (with an "images" list) that the loader cannot index, with its fix, or None.

    Checked: "annotations" / "categories" are lists of dicts; every image has ``image_keys``, an integer or string
    "id", a string "file_name" (where given) and, where given, positive numeric "width" / "height"; every annotation
    has "id", "image_id" and "category_id"; every category has a unique "id" and a "name".
    """
    for key in ("annotations", "categories"):
        if key in data and not isinstance(data[key], list):
            return f"'{key}' must be a list, got {type(data[key]).__name__}"
    for k, img in enumerate(data["images"]):
        if not isinstance(img, dict):
            return f"images[{k}] is {str(img)[:60]!r}, not a dict; every image is {{'id', 'file_name', ...}}"
        missing = [key for key in image_keys if key not in img]
        if missing:
            return f"image entry {str(img)[:120]} lacks {missing}; every image needs them"
        if isinstance(img["id"], bool) or not isinstance(img["id"], (int, str)):
            return f"image '{img.get('file_name')}' has id {img['id']!r}; ids are integers"
        if type(img["id"]) is not type(data["images"][0]["id"]):
            return (f"image ids mix {type(data['images'][0]['id']).__name__} ({data['images'][0]['id']!r}) and "
                    f"{type(img['id']).__name__} ({img['id']!r}); write them all as integers")  # fmt: skip
        if not isinstance(img.get("file_name", ""), str):
            return f"image id {img['id']!r} has file_name {img['file_name']!r}; it must be a path (a string)"
        for side in ("width", "height"):
            if side in img and not _positive_number(img[side]):
                return (f"image id {img['id']!r} ('{img.get('file_name')}') has {side} {img[side]!r}; it must be the "
                        "image's size in pixels (a positive number), or be left out")  # fmt: skip
    for k, ann in enumerate(data.get("annotations", [])):
        if not isinstance(ann, dict):
            return f"annotations[{k}] is {str(ann)[:60]!r}, not a dict"
        missing = [key for key in ("id", "image_id", "category_id") if key not in ann]
        if missing:
            return (f"annotations[{k}] (id {ann.get('id', '<none>')}, image id {ann.get('image_id', '<none>')}) "
                    f"lacks {missing}; every annotation needs a unique 'id', the 'image_id' of its image and a "
                    "'category_id'")  # fmt: skip
    seen: set = set()
    for k, cat in enumerate(data.get("categories", [])):
        if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
            return f"categories[{k}] is {str(cat)[:80]}; every category needs an 'id' and a 'name'"
        if cat["id"] in seen:
            return (f"category id {cat['id']!r} is used twice (the second is '{cat['name']}'); give every category its "
                    "own 'id'")  # fmt: skip
        seen.add(cat["id"])
    return None


def _coco_api(data: dict[str, Any]) -> COCO:
    api = COCO()
    api.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress we do not want
        api.createIndex()
    return api


def check_annotation_image_ids(annotations: list[dict], image_ids: Collection, json_file: str) -> None:
    """Annotations whose image_id is no image's id are never loaded: refuse when that is all of them (a type
    mismatch such as "1" against 1, or the wrong json), else warn with their ids."""
    orphans = [a for a in annotations if a["image_id"] not in image_ids]
    if not orphans:
        return
    shown = ", ".join(f"annotation {a['id']} -> image_id {a['image_id']!r}" for a in orphans[:3])
    shown += ", ..." if len(orphans) > 3 else ""
    if len(orphans) == len(annotations):
        raise ValueError(
            f"'{json_file}': none of its {len(orphans)} annotations belongs to one of its images ({shown}; image ids "
            f"are e.g. {list(image_ids)[:3]}). Make each annotation's 'image_id' equal the 'id' of its image (same type: "
            "1 is not \"1\")."
        )
    logger.warning(
        f"'{json_file}': {len(orphans)} annotation(s) refer to image ids that are not in 'images' and are ignored "
        f"({shown}). Add those images, or correct or remove the annotations ('detectra validate-data' lists them)."
    )


def load_coco_json(
    json_file: str,
    image_root: str,
    dataset_name: Optional[str] = None,
    extra_annotation_keys: Optional[list[str]] = None,
) -> list[dict[str, Any]]:
    """Load a COCO instances / keypoints json into Detectron2's list-of-dicts format.

    Args:
        json_file: path to the COCO json.
        image_root: folder the images' ``file_name`` is relative to.
        dataset_name: if given, its metadata gets ``thing_classes`` and ``thing_dataset_id_to_contiguous_id``
            and category ids are mapped to contiguous ids ``0..K-1`` (sorted by json id).
        extra_annotation_keys: annotation fields to keep besides iscrowd, bbox, keypoints, category_id,
            segmentation.

    Returns:
        one dict per image with file_name, height, width, image_id, annotations (bbox in XYWH_ABS, bbox_mode,
        category_id, iscrowd, segmentation as polygons or compressed RLE, keypoints with +0.5 pixel offset).
    """
    json_file = os.fspath(json_file)
    coco_api = _coco_api(read_coco_json(json_file))
    id_map = None
    if dataset_name is not None:
        meta = MetadataCatalog.get(dataset_name)
        cat_ids = sorted(coco_api.getCatIds())
        cats = coco_api.loadCats(cat_ids)
        meta.thing_classes = [c["name"] for c in sorted(cats, key=lambda x: x["id"])]
        if cat_ids and not (min(cat_ids) == 1 and max(cat_ids) == len(cat_ids)) and "coco" not in dataset_name:
            # once per json: a run loads its datasets several times (training, evaluation, plots, pictures)
            log_first_n(
                logging.WARNING,
                f"Category ids in '{json_file}' are not in [1, #categories]; they are mapped to contiguous ids 0..K-1.",
                name=__name__,
                key="message",
            )
        id_map = {v: i for i, v in enumerate(cat_ids)}
        meta.thing_dataset_id_to_contiguous_id = id_map
        for c in cats:  # keypoint names come with the category in COCO keypoint files
            if c.get("keypoints") and len(cats) == 1 and "keypoint_names" not in meta.as_dict():
                meta.keypoint_names = list(c["keypoints"])

    img_ids = sorted(coco_api.imgs.keys())
    imgs = coco_api.loadImgs(img_ids)
    anns = [coco_api.imgToAnns[img_id] for img_id in img_ids]
    ann_ids = [ann["id"] for anns_per_image in anns for ann in anns_per_image if "id" in ann]
    if len(set(ann_ids)) != len(ann_ids):
        dup = sorted({i for i in ann_ids if ann_ids.count(i) > 1})[:5] if len(ann_ids) < 20000 else "some"
        raise ValueError(f"Annotation ids in '{json_file}' are not unique (e.g. {dup}); give each a unique 'id'.")
    check_annotation_image_ids(coco_api.dataset["annotations"], coco_api.imgs, json_file)
    logger.info("Loaded %d images in COCO format from %s", len(imgs), json_file)

    ann_keys = ["iscrowd", "bbox", "keypoints", "category_id"] + list(extra_annotation_keys or [])
    # COCO keypoint files name each category's keypoints; an annotation with another count breaks the batch
    keypoints_per_category = {c["id"]: len(c["keypoints"]) for c in coco_api.dataset["categories"]
                              if isinstance(c.get("keypoints"), list) and c["keypoints"]}  # fmt: skip
    dataset_dicts = []
    without_valid_segm: list[str] = []
    for img_dict, anno_list in zip(imgs, anns):
        image_id = img_dict["id"]
        record = {"file_name": os.path.join(image_root, img_dict["file_name"]), "image_id": image_id}
        # absent sizes stay absent: the mapper then takes them from the image instead of refusing (None, None)
        record.update({k: img_dict[k] for k in ("height", "width") if k in img_dict})
        objs = []
        for anno in anno_list:
            where = f"'{json_file}', image id {image_id}, annotation id {anno.get('id')}"
            if anno.get("ignore", 0) != 0:
                raise ValueError(f"{where}: '\"ignore\": 1' is not supported; remove the field or the annotation.")
            check_annotation_fields(anno, where, (img_dict.get("height"), img_dict.get("width")))
            obj = {key: anno[key] for key in ann_keys if key in anno}
            segm = anno.get("segmentation", None)
            if segm:  # list[list[float]] (polygons) or dict (RLE)
                if isinstance(segm, dict):
                    if isinstance(segm["counts"], list):  # uncompressed RLE -> compressed
                        segm = mask_util.frPyObjects(segm, *segm["size"])
                else:
                    segm = [poly for poly in segm if len(poly) % 2 == 0 and len(poly) >= 6]
                    if len(segm) == 0:  # as Detectron2: an instance without a usable polygon is dropped
                        without_valid_segm.append(f"image {image_id} annotation {anno.get('id')}")
                        continue
                obj["segmentation"] = segm
            keypts = anno.get("keypoints", None)
            expected = keypoints_per_category.get(anno["category_id"])
            if keypts and expected and len(keypts) != 3 * expected:
                raise ValueError(
                    f"{where}: {len(keypts) // 3} keypoints, but its category {anno['category_id']} names {expected} "
                    "(its 'keypoints' list in 'categories'). Give every annotation of the category one (x, y, v) "
                    "triplet per named keypoint, with v = 0 for those not labeled."
                )
            if keypts:
                # COCO keypoints are integer pixel indices; +0.5 moves them to pixel centres (Detectron2's convention)
                obj["keypoints"] = [v + 0.5 if i % 3 != 2 else v for i, v in enumerate(keypts)]
            obj["bbox_mode"] = BoxMode.XYWH_ABS
            if id_map is not None and "category_id" in obj:
                try:
                    obj["category_id"] = id_map[obj["category_id"]]
                except KeyError:
                    raise KeyError(
                        f"{where}: category_id={obj['category_id']!r} does not exist in the 'categories' of the json "
                        + (f"(known ids: {sorted(id_map)[:20]})" if id_map else "(it has none)")
                        + ". Add the category (e.g. {\"id\": 1, \"name\": \"cat\"}) or fix the annotation."
                    ) from None
            objs.append(obj)
        record["annotations"] = objs
        dataset_dicts.append(record)

    if without_valid_segm:
        logger.warning(
            "Filtered out %d instances without a valid segmentation (polygons need >= 3 points) in %s (%s%s).",
            len(without_valid_segm),
            json_file,
            ", ".join(without_valid_segm[:3]),
            ", ..." if len(without_valid_segm) > 3 else "",
        )
    return dataset_dicts


def load_sem_seg(gt_root: str, image_root: str, gt_ext: str = "png", image_ext: str = "jpg") -> list[dict]:
    """Pair images with semantic-segmentation label files that share their path relative to the roots.

    Returns:
        dicts with "file_name" and "sem_seg_file_name" (no height/width: read them from the image).
    """

    def rel_stems(root: str, ext: str) -> dict[str, str]:
        out = {}
        for dirpath, _, files in os.walk(root):
            for f in files:
                if f.endswith(ext):
                    full = os.path.join(dirpath, f)
                    out[os.path.relpath(full, root)[: -len(ext)]] = full
        return out

    if not os.path.isdir(gt_root) or not os.path.isdir(image_root):
        raise FileNotFoundError(f"load_sem_seg: '{gt_root}' or '{image_root}' is not a folder.")
    images = rel_stems(image_root, image_ext)
    gts = rel_stems(gt_root, gt_ext)
    common = sorted(set(images) & set(gts))
    if len(common) != len(images) or len(common) != len(gts):
        logger.warning(
            "Directories %s (%d files) and %s (%d files) have different files; using the %d in both.",
            image_root, len(images), gt_root, len(gts), len(common),
        )  # fmt: skip
    logger.info("Loaded %d images with semantic segmentation from %s", len(common), image_root)
    return [{"file_name": images[k], "sem_seg_file_name": gts[k]} for k in common]


def _polygon_area(polygons: list[list[float]]) -> float:
    area = 0.0
    for poly in polygons:
        xy = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        x, y = xy[:, 0], xy[:, 1]
        area += 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
    return area


def convert_to_coco_dict(dataset_name: str) -> dict[str, Any]:
    """Convert a registered dataset (Detectron2 dicts) to a COCO instances dict (for COCO evaluation).

    Category ids are mapped back to the json ids through ``thing_dataset_id_to_contiguous_id`` when present.
    Rotated boxes (``BoxMode.XYWHA_ABS``) are written as 5 values (cx, cy, w, h, angle) with area ``w * h``.
    """
    dataset_dicts = DatasetCatalog.get(dataset_name)
    metadata = MetadataCatalog.get(dataset_name)
    if hasattr(metadata, "thing_dataset_id_to_contiguous_id"):
        reverse = {v: k for k, v in metadata.thing_dataset_id_to_contiguous_id.items()}
        reverse_id_mapper = lambda cid: reverse[cid]  # noqa: E731
    else:
        reverse_id_mapper = lambda cid: cid  # noqa: E731
    thing_classes = metadata.get("thing_classes")
    if thing_classes is None:
        raise ValueError(
            f"convert_to_coco_dict('{dataset_name}'): its metadata has no thing_classes; set "
            f"MetadataCatalog.get('{dataset_name}').thing_classes = [...]."
        )
    categories = [{"id": reverse_id_mapper(i), "name": name} for i, name in enumerate(thing_classes)]

    coco_images, coco_annotations = [], []
    for index, d in enumerate(dataset_dicts):
        image_id = d.get("image_id", index)
        # dicts of a custom loader may leave the size to the mapper; COCO evaluation needs it
        height, width = (d["height"], d["width"]) if "height" in d and "width" in d else read_image_size(d["file_name"])
        coco_images.append({"id": image_id, "width": int(width), "height": int(height),
                            "file_name": str(d["file_name"])})  # fmt: skip
        for ann in d.get("annotations", []):
            bbox = np.asarray(ann["bbox"], dtype=np.float64).tolist()
            mode = BoxMode(ann["bbox_mode"])
            # Rotated boxes stay (cx, cy, w, h, angle): RotatedCOCOEvaluator reads 5-value COCO boxes.
            rotated = mode == BoxMode.XYWHA_ABS
            bbox_xywh = bbox if rotated else BoxMode.convert(bbox, mode, BoxMode.XYWH_ABS)
            segm = ann.get("segmentation")
            if rotated:
                area = float(bbox[2] * bbox[3])
            elif isinstance(segm, list) and segm:
                area = _polygon_area(segm)
            elif isinstance(segm, dict):
                area = float(mask_util.area(segm))
            else:
                area = float(bbox_xywh[2] * bbox_xywh[3])
            coco_ann: dict[str, Any] = {
                "id": len(coco_annotations) + 1,
                "image_id": image_id,
                "bbox": [round(float(x), 3) for x in bbox_xywh],
                "area": float(area),
                "iscrowd": int(ann.get("iscrowd", 0)),
                "category_id": int(reverse_id_mapper(ann["category_id"])),
            }
            if "keypoints" in ann:
                kps = [float(v) for v in ann["keypoints"]]
                # undo the +0.5 pixel-centre offset applied at load time
                coco_ann["keypoints"] = [v - 0.5 if i % 3 != 2 else v for i, v in enumerate(kps)]
                coco_ann["num_keypoints"] = sum(1 for v in kps[2::3] if v > 0)
            if segm:
                if isinstance(segm, dict) and isinstance(segm.get("counts"), bytes):
                    segm = {"size": segm["size"], "counts": segm["counts"].decode("ascii")}
                coco_ann["segmentation"] = segm
            coco_annotations.append(coco_ann)

    logger.info("Converted '%s' to COCO format: %d images, %d annotations", dataset_name, len(coco_images),
                len(coco_annotations))  # fmt: skip
    info = {"date_created": str(datetime.datetime.now()), "description": "Automatically generated by detectra."}
    coco_dict = {"info": info, "images": coco_images, "categories": categories, "licenses": None}
    if coco_annotations:
        coco_dict["annotations"] = coco_annotations
    return coco_dict


def convert_to_coco_json(dataset_name: str, output_file: str, allow_cached: bool = True) -> None:
    """Write ``convert_to_coco_dict(dataset_name)`` to ``output_file`` (atomically; reused if it exists and
    ``allow_cached``)."""
    os.makedirs(os.path.dirname(os.path.abspath(output_file)), exist_ok=True)
    if os.path.exists(output_file) and allow_cached:
        logger.warning("Using previously cached COCO format annotations at '%s'. Delete it to regenerate.",
                       output_file)  # fmt: skip
        return
    coco_dict = convert_to_coco_dict(dataset_name)
    # atomic: concurrent writers, or a kill mid-write, cannot leave a half-written file
    atomic_write(output_file, lambda f: f.write(json.dumps(coco_dict).encode("utf-8")))


def register_coco_instances(name: str, metadata: dict, json_file: str, image_root: str) -> None:
    """Register a COCO-format dataset (instances, keypoints, or both) under ``name``.

    Args:
        name: dataset name, e.g. "my_dataset_train".
        metadata: extra metadata (can be {}); json_file, image_root and evaluator_type="coco" are added.
        json_file: path to the json (read lazily, when the dataset is first used).
        image_root: image folder.
    """
    if not isinstance(name, str):
        raise TypeError(f"register_coco_instances: name must be a str, got {type(name).__name__}.")
    json_file, image_root = os.fspath(json_file), os.fspath(image_root)
    DatasetCatalog.register(name, lambda: load_coco_json(json_file, image_root, name))
    MetadataCatalog.get(name).set(json_file=json_file, image_root=image_root, evaluator_type="coco", **metadata)
