"""LVIS (v0.5 / v1) json loading. LVIS files are COCO-like; builtin names take their categories from the
LVIS tables (``lvis_v0_5_categories``, ``lvis_v1_categories``), other names from the json itself."""
from __future__ import annotations

import logging
import os
from typing import Any, Optional

from detectra.data.annotation_checks import check_annotation_fields
from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.data.datasets.coco import check_annotation_image_ids, read_coco_json
from detectra.data.datasets.builtin_meta import _get_coco_instances_meta
from detectra.data.datasets.lvis_v0_5_categories import LVIS_CATEGORIES as LVIS_V0_5_CATEGORIES
from detectra.data.datasets.lvis_v1_categories import LVIS_CATEGORIES as LVIS_V1_CATEGORIES
from detectra.data.datasets.lvis_v1_category_image_count import LVIS_CATEGORY_IMAGE_COUNT
from detectra.structures.boxes import BoxMode

__all__ = ["load_lvis_json", "register_lvis_instances", "get_lvis_instances_meta"]

logger = logging.getLogger(__name__)


def get_lvis_instances_meta(dataset_name: str) -> dict[str, Any]:
    """Builtin metadata of an LVIS dataset name, known without its json (as Detectron2 gives it).

    Args:
        dataset_name: an LVIS name such as "lvis_v1_train" or "lvis_v0.5_val"; "cocofied" names are LVIS images
            annotated with the 80 COCO classes.

    Returns:
        dict: thing_classes (the first synonym of each category, by id) for "v0.5" / "v1" names, plus
        class_image_count (training image count of each category) for v1; COCO's metadata for cocofied names.
    """
    if "lvis" not in dataset_name:
        raise ValueError(f"No builtin LVIS metadata for dataset '{dataset_name}'.")
    if "cocofied" in dataset_name:
        return _get_coco_instances_meta()
    if "v0.5" in dataset_name:
        return {"thing_classes": _first_synonyms(LVIS_V0_5_CATEGORIES)}
    if "v1" in dataset_name:
        return {"thing_classes": _first_synonyms(LVIS_V1_CATEGORIES), "class_image_count": LVIS_CATEGORY_IMAGE_COUNT}
    raise ValueError(
        f"No builtin LVIS metadata for dataset '{dataset_name}': the name says neither 'v0.5' nor 'v1'. Register it "
        "with register_lvis_instances(name, {}, json_file, image_root) to read its categories from the json."
    )


def _first_synonyms(categories: list[dict]) -> list[str]:
    return [(c.get("synonyms") or [c["name"]])[0] for c in sorted(categories, key=lambda c: c["id"])]


def _file_name(image_root: str, img: dict) -> str:
    if "coco_url" in img:
        # As Detectron2: the split folder comes from the url, "http://images.cocodataset.org/train2017/x.jpg" ->
        # image_root/train2017/x.jpg (LVIS v0.5 "file_name"s are COCO 2014 names that do not exist in that layout).
        split_folder, file_name = img["coco_url"].split("/")[-2:]
        return os.path.join(image_root, split_folder, file_name)
    return os.path.join(image_root, img["file_name"])  # LVIS-format json of one's own images


def load_lvis_json(
    json_file: str,
    image_root: str,
    dataset_name: Optional[str] = None,
    extra_annotation_keys: Optional[list[str]] = None,
) -> list[dict]:
    """Load an LVIS json into Detectron2 dicts (category ids become ``id - 1``, LVIS ids being 1..K).

    Records carry ``not_exhaustive_category_ids`` and ``neg_category_ids`` as in the json (LVIS ids), as
    Detectron2 does. Image paths come from ``coco_url`` (``image_root/<split folder>/<file>``), else from
    ``file_name``. With ``dataset_name``, its metadata gets thing_classes (first synonym of each category) and
    class_image_count.
    """
    json_file = os.fspath(json_file)
    data = read_coco_json(json_file, kind="LVIS", image_keys=("id", "height", "width"))
    for img in data["images"]:
        if not isinstance(img.get("coco_url", img.get("file_name")), str):
            raise ValueError(
                f"'{json_file}': image id {img['id']!r} has neither 'coco_url' nor 'file_name'; give it one (the "
                "image's path relative to the image root) so that its file can be found."
            )
    cats = sorted(data["categories"], key=lambda c: c["id"])
    id_map = None
    if dataset_name is not None:
        meta = MetadataCatalog.get(dataset_name)
        id_map = meta.get("thing_dataset_id_to_contiguous_id")
        if cats and "thing_classes" not in meta.as_dict():
            meta.thing_classes = _first_synonyms(cats)
        if cats and "class_image_count" not in meta.as_dict():
            meta.class_image_count = [
                {"id": c["id"], "image_count": c.get("image_count", 0), "frequency": c.get("frequency")} for c in cats
            ]
    # LVIS ids are 1..K; without categories in the json nor a map in the metadata, any id >= 1 is taken as such
    known_ids = set(id_map) if id_map else {c["id"] for c in cats} or None

    def map_id(cid: Any, where: str) -> int:
        if known_ids is not None and cid not in known_ids or known_ids is None and not (isinstance(cid, int) and cid >= 1):
            shown = f"known ids: {sorted(known_ids)[:10]}{', ...' if len(known_ids) > 10 else ''}" if known_ids else (
                "LVIS category ids start at 1")
            raise ValueError(
                f"{where}: category_id {cid!r} is not one of the dataset's categories ({shown}). Correct the "
                "annotation, or add the category to the json's 'categories'."
            )
        return id_map[cid] if id_map else cid - 1

    anns_per_image: dict[Any, list] = {}
    for ann in data["annotations"]:
        anns_per_image.setdefault(ann["image_id"], []).append(ann)
    check_annotation_image_ids(data["annotations"], {img["id"] for img in data["images"]}, json_file)
    logger.info("Loaded %d images in the LVIS format from %s", len(data["images"]), json_file)
    extra = list(extra_annotation_keys or [])
    dataset_dicts = []
    for img in sorted(data["images"], key=lambda x: x["id"]):
        record = {
            "file_name": _file_name(image_root, img),
            "height": img["height"],
            "width": img["width"],
            # kept as the json's LVIS ids (1-based), as Detectron2 returns them
            "not_exhaustive_category_ids": img.get("not_exhaustive_category_ids", []),
            "neg_category_ids": img.get("neg_category_ids", []),
            "image_id": img["id"],
        }
        objs = []
        for anno in anns_per_image.get(img["id"], []):
            where = f"'{json_file}', image id {img['id']}, annotation id {anno.get('id')}"
            check_annotation_fields(anno, where, (img["height"], img["width"]))
            segm = anno.get("segmentation", [])
            if isinstance(segm, dict) or any(len(poly) % 2 or len(poly) < 6 for poly in segm):
                raise ValueError(
                    f"{where}: LVIS segmentations are polygons of at least 3 points [x0, y0, x1, y1, ...]; this one "
                    f"{'is an RLE dict' if isinstance(segm, dict) else 'has a shorter or odd-length polygon'}. "
                    "Fix or drop it."
                )
            obj = {"bbox": anno["bbox"], "bbox_mode": BoxMode.XYWH_ABS,
                   "category_id": map_id(anno["category_id"], where), "segmentation": segm}  # fmt: skip
            for key in extra:
                if key not in anno:
                    raise ValueError(f"{where}: no '{key}', which extra_annotation_keys asks for; add it or drop the key.")
                obj[key] = anno[key]
            objs.append(obj)
        record["annotations"] = objs
        dataset_dicts.append(record)
    return dataset_dicts


def register_lvis_instances(name: str, metadata: dict, json_file: str, image_root: str) -> None:
    """Register an LVIS-format dataset under ``name`` (evaluator "lvis")."""
    DatasetCatalog.register(name, lambda: load_lvis_json(json_file, image_root, name))
    MetadataCatalog.get(name).set(json_file=json_file, image_root=image_root, evaluator_type="lvis", **metadata)
