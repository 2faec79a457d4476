"""Loading the real COCO-format datasets in shared/datasets."""
import json
import os

import numpy as np
import pycocotools.mask as mask_util
import pytest
from PIL import Image

from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data.datasets import convert_to_coco_dict, load_coco_json, register_coco_instances
from detectra.structures import BoxMode


@pytest.fixture
def cleanup():
    names = []
    yield names
    for n in names:
        for cat in (DatasetCatalog, MetadataCatalog):
            if n in cat:
                cat.remove(n)


def test_raccoon_boxes(shared_dir, cleanup):
    root = shared_dir / "datasets" / "raccoon"
    cleanup.append("raccoon_train_t")
    register_coco_instances("raccoon_train_t", {}, root / "annotations" / "instances_train.json", root / "images")
    dicts = DatasetCatalog.get("raccoon_train_t")
    meta = MetadataCatalog.get("raccoon_train_t")
    assert len(dicts) == 160 and sum(len(d["annotations"]) for d in dicts) == 173
    assert meta.thing_classes == ["raccoon"] and meta.evaluator_type == "coco"
    assert meta.thing_dataset_id_to_contiguous_id == {1: 0}
    d = dicts[0]
    assert os.path.isfile(d["file_name"])
    w, h = Image.open(d["file_name"]).size
    assert (w, h) == (d["width"], d["height"])
    for ann in d["annotations"]:
        assert ann["category_id"] == 0 and ann["bbox_mode"] == BoxMode.XYWH_ABS
        x, y, bw, bh = ann["bbox"]
        assert 0 <= x < x + bw <= w + 1 and 0 <= y < y + bh <= h + 1


def test_tiny_coco_instances_crowd_rle(shared_dir):
    root = shared_dir / "datasets" / "tiny_coco"
    json_file = root / "annotations" / "instances_val2017.json"
    dicts = load_coco_json(json_file, root / "val2017", "tiny_coco_val_t")
    try:
        meta = MetadataCatalog.get("tiny_coco_val_t")
        raw = json.load(open(json_file))
        assert len(dicts) == 50 and sum(len(d["annotations"]) for d in dicts) == len(raw["annotations"])
        # contiguous ids sorted by json id: the 80 COCO classes map exactly like the builtin metadata
        assert meta.thing_dataset_id_to_contiguous_id == MetadataCatalog.get("coco_2017_val").thing_dataset_id_to_contiguous_id
        crowd = [a for d in dicts for a in d["annotations"] if a["iscrowd"]]
        assert len(crowd) == 5
        for a in crowd:  # uncompressed json RLE became compressed RLE with the same area
            assert isinstance(a["segmentation"], dict) and isinstance(a["segmentation"]["counts"], bytes)
        raw_crowd = {a["id"]: a for a in raw["annotations"] if a["iscrowd"]}
        areas = sorted(float(mask_util.area(a["segmentation"])) for a in crowd)
        # area of the compressed mask == number of ones in the json run lengths (odd runs are foreground)
        assert areas == sorted(float(sum(a["segmentation"]["counts"][1::2])) for a in raw_crowd.values())
        polys = [a for d in dicts for a in d["annotations"] if not a["iscrowd"]]
        assert all(isinstance(a["segmentation"], list) and len(a["segmentation"][0]) >= 6 for a in polys)
        by_id = {r["id"]: r for r in raw["images"]}
        assert all(d["height"] == by_id[d["image_id"]]["height"] for d in dicts)
    finally:
        MetadataCatalog.remove("tiny_coco_val_t")


def test_tiny_coco_keypoints(shared_dir):
    root = shared_dir / "datasets" / "tiny_coco"
    json_file = root / "annotations" / "person_keypoints_train2017.json"
    raw = json.load(open(json_file))
    dicts = load_coco_json(json_file, root / "train2017")
    anns = {a["id"]: a for a in raw["annotations"]}
    loaded = [a for d in dicts for a in d["annotations"]]
    assert len(loaded) == len(anns)
    with_kp = [a for a in raw["annotations"] if a.get("num_keypoints", 0) > 0]
    sample = with_kp[0]
    got = next(a for d in dicts for a in d["annotations"] if d["image_id"] == sample["image_id"]
               and a["bbox"] == sample["bbox"])
    kp_raw = np.asarray(sample["keypoints"], dtype=float).reshape(17, 3)
    kp = np.asarray(got["keypoints"]).reshape(17, 3)
    np.testing.assert_allclose(kp[:, :2], kp_raw[:, :2] + 0.5)  # pixel index -> pixel centre
    np.testing.assert_array_equal(kp[:, 2], kp_raw[:, 2])
    assert got["category_id"] == 1  # no dataset_name: the json id is kept


def _via_dicts(img_dir):
    """A user's loader for VIA json, as in Detectron2's balloon tutorial."""
    with open(os.path.join(img_dir, "via_region_data.json")) as f:
        imgs_anns = json.load(f)
    dataset_dicts = []
    for idx, v in enumerate(imgs_anns.values()):
        filename = os.path.join(img_dir, v["filename"])
        width, height = Image.open(filename).size
        record = {"file_name": filename, "image_id": idx, "height": height, "width": width}
        regions = v["regions"].values() if isinstance(v["regions"], dict) else v["regions"]
        objs = []
        for anno in regions:
            px, py = anno["shape_attributes"]["all_points_x"], anno["shape_attributes"]["all_points_y"]
            poly = [p for x, y in zip(px, py) for p in (x + 0.5, y + 0.5)]
            objs.append({"bbox": [min(px), min(py), max(px), max(py)], "bbox_mode": BoxMode.XYXY_ABS,
                         "segmentation": [poly], "category_id": 0})
        record["annotations"] = objs
        dataset_dicts.append(record)
    return dataset_dicts


def test_car_damage_via_and_coco_agree(shared_dir, cleanup):
    root = shared_dir / "datasets" / "car_damage" / "val"
    cleanup += ["damage_via_t", "damage_coco_t"]
    DatasetCatalog.register("damage_via_t", lambda: _via_dicts(str(root)))
    MetadataCatalog.get("damage_via_t").set(thing_classes=["damage"])
    register_coco_instances("damage_coco_t", {}, root / "instances_damage.json", root)
    via = {os.path.basename(d["file_name"]): d for d in DatasetCatalog.get("damage_via_t")}
    coco = {os.path.basename(d["file_name"]): d for d in DatasetCatalog.get("damage_coco_t")}
    assert set(via) == set(coco) and sum(len(d["annotations"]) for d in via.values()) == 12
    for name, d in coco.items():
        boxes_coco = sorted(BoxMode.convert(a["bbox"], BoxMode.XYWH_ABS, BoxMode.XYXY_ABS) for a in d["annotations"])
        boxes_via = sorted([b + 0.5 for b in a["bbox"]] for a in via[name]["annotations"])
        np.testing.assert_allclose(np.asarray(boxes_coco), np.asarray(boxes_via), atol=1.0)
    # a dataset registered without json converts to COCO and back (what COCOEvaluator does)
    coco_dict = convert_to_coco_dict("damage_via_t")
    assert coco_dict["categories"] == [{"id": 0, "name": "damage"}] and len(coco_dict["annotations"]) == 12
    assert all(a["area"] > 0 and a["iscrowd"] == 0 for a in coco_dict["annotations"])


def test_convert_to_coco_roundtrip_keypoints_and_ids(shared_dir, tmp_path, cleanup):
    root = shared_dir / "datasets" / "tiny_coco"
    json_file = root / "annotations" / "person_keypoints_val2017.json"
    cleanup.append("kp_roundtrip_t")
    register_coco_instances("kp_roundtrip_t", {}, json_file, root / "val2017")
    out = tmp_path / "converted.json"
    from detectra.data.datasets import convert_to_coco_json

    convert_to_coco_json("kp_roundtrip_t", str(out))
    back = json.load(open(out))
    raw = json.load(open(json_file))
    assert [c["id"] for c in back["categories"]] == [1]  # contiguous 0 mapped back to json id 1
    assert len(back["annotations"]) == len(raw["annotations"])
    raw_by_key = {(a["image_id"], tuple(a["bbox"])): a for a in raw["annotations"]}
    for a in back["annotations"]:
        r = raw_by_key[(a["image_id"], tuple(a["bbox"]))]
        np.testing.assert_allclose(a["keypoints"], r["keypoints"])  # the +0.5 offset is undone
        assert a["iscrowd"] == r["iscrowd"]
        if not r["iscrowd"]:
            assert a["area"] == pytest.approx(r["area"], rel=0.02)
