"""Loaders of the standard dataset formats (VOC, LVIS, COCO panoptic, Cityscapes, semantic folders) on tiny trees
written by each test, checked against Detectron2's conventions with hand-computed numbers."""
import json
import os

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from PIL import Image

from detectra.data import DatasetCatalog, DatasetMapper, MetadataCatalog
from detectra.data.datasets import (
    load_cityscapes_instances,
    load_cityscapes_semantic,
    load_lvis_json,
    load_sem_seg,
    load_voc_instances,
    register_coco_panoptic,
    register_coco_panoptic_separated,
    register_lvis_instances,
    register_pascal_voc,
)
from detectra.structures import BoxMode


@pytest.fixture
def registered():
    """Names registered by a test; removed from both catalogs afterwards."""
    names = []
    yield names
    for name in names:
        if name in DatasetCatalog.list():
            DatasetCatalog.remove(name)
        if name in MetadataCatalog.list():
            MetadataCatalog.remove(name)


def _write_image(path, h, w, value=100, mode="RGB"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    channels = {"RGB": (h, w, 3), "L": (h, w)}[mode]
    Image.fromarray(np.full(channels, value, dtype=np.uint8), mode=mode).save(path)


# ----------------------------------------------------------------------------------------------------- Pascal VOC
def _voc_object(name, box, difficult):
    xmin, ymin, xmax, ymax = box
    return (f"<object><name>{name}</name><pose>Unspecified</pose><truncated>0</truncated>"
            f"<difficult>{difficult}</difficult><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
            f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>")  # fmt: skip


def _write_voc(root, images, split="trainval"):
    """images: {fileid: (h, w, [(name, (xmin, ymin, xmax, ymax), difficult), ...])}."""
    os.makedirs(os.path.join(root, "Annotations"))
    os.makedirs(os.path.join(root, "ImageSets", "Main"))
    for fileid, (h, w, objects) in images.items():
        _write_image(os.path.join(root, "JPEGImages", fileid + ".jpg"), h, w)
        xml = (f"<annotation><folder>VOC2007</folder><filename>{fileid}.jpg</filename><size><width>{w}</width>"
               f"<height>{h}</height><depth>3</depth></size><segmented>0</segmented>"
               + "".join(_voc_object(*o) for o in objects) + "</annotation>")  # fmt: skip
        with open(os.path.join(root, "Annotations", fileid + ".xml"), "w") as f:
            f.write(xml)
    with open(os.path.join(root, "ImageSets", "Main", split + ".txt"), "w") as f:
        f.write("\n".join(images) + "\n")


def test_voc_boxes_classes_and_difficult(tmp_path, registered):
    root = str(tmp_path / "VOC2007")
    _write_voc(root, {
        "000005": (40, 48, [("chair", (10, 20, 30, 35), 0), ("person", (1, 1, 48, 40), 1)]),
        "000007": (32, 64, [("car", (5, 6, 60, 30), 0)]),
    })  # fmt: skip
    dicts = load_voc_instances(root, "trainval", ["car", "chair", "person"])
    assert [d["image_id"] for d in dicts] == ["000005", "000007"]
    d = dicts[0]
    assert d["file_name"] == os.path.join(root, "JPEGImages", "000005.jpg")
    assert (d["height"], d["width"]) == (40, 48)
    # Detectron2 subtracts 1 from xmin / ymin only, and keeps "difficult" objects (with no flag)
    assert [a["bbox"] for a in d["annotations"]] == [[9.0, 19.0, 30.0, 35.0], [0.0, 0.0, 48.0, 40.0]]
    assert [a["category_id"] for a in d["annotations"]] == [1, 2]
    assert all(a["bbox_mode"] == BoxMode.XYXY_ABS for a in d["annotations"])
    assert all(set(a) == {"category_id", "bbox", "bbox_mode"} for a in d["annotations"])
    assert dicts[1]["annotations"][0] == {"category_id": 0, "bbox": [4.0, 5.0, 60.0, 30.0],
                                          "bbox_mode": BoxMode.XYXY_ABS}  # fmt: skip

    registered.append("test_formats_voc_2007_trainval")
    register_pascal_voc("test_formats_voc_2007_trainval", root, "trainval", 2007, ["car", "chair", "person"])
    meta = MetadataCatalog.get("test_formats_voc_2007_trainval")
    assert meta.thing_classes == ["car", "chair", "person"]
    assert (meta.dirname, meta.year, meta.split) == (root, 2007, "trainval")
    assert DatasetCatalog.get("test_formats_voc_2007_trainval") == dicts


def test_voc_errors_name_the_file(tmp_path):
    root = str(tmp_path / "VOC")
    _write_voc(root, {"a": (32, 32, [("dog", (1, 1, 5, 5), 0)])})
    with pytest.raises(FileNotFoundError, match="test.txt"):
        load_voc_instances(root, "test", ["dog"])
    with pytest.raises(KeyError, match="'dog' is not one of the class_names"):
        load_voc_instances(root, "trainval", ["cat"])


# ------------------------------------------------------------------------------------------------------------ LVIS
def _lvis_json(path):
    data = {
        "images": [
            # out of id order on purpose: records come sorted by image id
            {"id": 9, "height": 32, "width": 48, "coco_url": "http://images.cocodataset.org/val2017/000000000009.jpg",
             "not_exhaustive_category_ids": [3], "neg_category_ids": [1, 2]},
            {"id": 4, "height": 40, "width": 40, "coco_url": "http://images.cocodataset.org/train2017/000000000004.jpg",
             "not_exhaustive_category_ids": [], "neg_category_ids": []},
        ],
        "categories": [
            {"id": 2, "name": "bench", "synonyms": ["bench", "long_bench"], "frequency": "c", "image_count": 7},
            {"id": 1, "name": "aerosol_can", "synonyms": ["aerosol_can", "spray_can"], "frequency": "r",
             "image_count": 2},
            {"id": 3, "name": "zebra", "synonyms": ["zebra"], "frequency": "f", "image_count": 40},
        ],
        "annotations": [
            {"id": 1, "image_id": 9, "category_id": 3, "bbox": [2.0, 3.0, 10.0, 8.0], "area": 80.0,
             "segmentation": [[2, 3, 12, 3, 12, 11, 2, 11]]},
            {"id": 2, "image_id": 4, "category_id": 1, "bbox": [0.5, 1.5, 4.0, 5.0], "area": 20.0,
             "segmentation": [[0.5, 1.5, 4.5, 1.5, 4.5, 6.5]]},
            {"id": 3, "image_id": 9, "category_id": 2, "bbox": [20.0, 10.0, 6.0, 6.0], "area": 36.0,
             "segmentation": [[20, 10, 26, 10, 26, 16], [20, 16, 21, 16, 21, 17]]},
        ],
    }  # fmt: skip
    with open(path, "w") as f:
        json.dump(data, f)


def test_lvis_ids_file_names_and_image_fields(tmp_path, registered):
    json_file = str(tmp_path / "lvis_v1_val.json")
    _lvis_json(json_file)
    dicts = load_lvis_json(json_file, str(tmp_path / "coco"), extra_annotation_keys=["area"])
    assert [d["image_id"] for d in dicts] == [4, 9]
    # the split folder comes from coco_url
    assert dicts[0]["file_name"] == os.path.join(str(tmp_path / "coco"), "train2017", "000000000004.jpg")
    assert dicts[1]["file_name"] == os.path.join(str(tmp_path / "coco"), "val2017", "000000000009.jpg")
    assert (dicts[1]["height"], dicts[1]["width"]) == (32, 48)
    # per-image federated fields are the json's LVIS ids, as Detectron2 returns them
    assert dicts[1]["not_exhaustive_category_ids"] == [3] and dicts[1]["neg_category_ids"] == [1, 2]
    assert dicts[0]["not_exhaustive_category_ids"] == [] and dicts[0]["neg_category_ids"] == []
    # annotation category ids: LVIS id - 1; boxes stay XYWH_ABS; polygons and extra keys as in the json
    anns = dicts[1]["annotations"]
    assert [a["category_id"] for a in anns] == [2, 1]
    assert anns[0]["bbox"] == [2.0, 3.0, 10.0, 8.0] and anns[0]["bbox_mode"] == BoxMode.XYWH_ABS
    assert anns[1]["segmentation"] == [[20, 10, 26, 10, 26, 16], [20, 16, 21, 16, 21, 17]]
    assert [a["area"] for a in anns] == [80.0, 36.0]
    assert dicts[0]["annotations"][0]["category_id"] == 0

    name = "test_formats_lvis_v1_val"
    registered.append(name)
    register_lvis_instances(name, {}, json_file, str(tmp_path / "coco"))
    assert [d["image_id"] for d in DatasetCatalog.get(name)] == [4, 9]
    meta = MetadataCatalog.get(name)
    assert meta.evaluator_type == "lvis" and meta.json_file == json_file
    # sorted by id, first synonym; image counts keyed by the LVIS id (what get_fed_loss_cls_weights reads)
    assert meta.thing_classes == ["aerosol_can", "bench", "zebra"]
    assert [(c["id"], c["image_count"], c["frequency"]) for c in meta.class_image_count] == [
        (1, 2, "r"), (2, 7, "c"), (3, 40, "f")]  # fmt: skip


def test_lvis_file_name_without_coco_url_and_bad_polygon(tmp_path):
    json_file = str(tmp_path / "own.json")
    data = {"images": [{"id": 1, "height": 8, "width": 8, "file_name": "sub/a.jpg"}], "categories": [],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2],
                             "segmentation": [[0, 0, 2, 0]]}]}  # fmt: skip
    with open(json_file, "w") as f:
        json.dump(data, f)
    with pytest.raises(ValueError, match="image id 1, annotation id 1"):
        load_lvis_json(json_file, "imgs")
    data["annotations"][0]["segmentation"] = [[0, 0, 2, 0, 2, 2]]
    with open(json_file, "w") as f:
        json.dump(data, f)
    assert load_lvis_json(json_file, "imgs")[0]["file_name"] == os.path.join("imgs", "sub", "a.jpg")
    # LVIS v0.5 images carry a COCO-2014 file_name and a coco_url: the url wins (Detectron2's layout)
    data["images"][0].update(file_name="COCO_val2014_000000000001.jpg",
                             coco_url="http://images.cocodataset.org/val2017/000000000001.jpg")  # fmt: skip
    with open(json_file, "w") as f:
        json.dump(data, f)
    assert load_lvis_json(json_file, "imgs")[0]["file_name"] == os.path.join("imgs", "val2017", "000000000001.jpg")


# ---------------------------------------------------------------------------------------------------- COCO panoptic
_PAN_META = {
    "thing_classes": ["person", "car"], "stuff_classes": ["things", "sky", "road"],
    "thing_dataset_id_to_contiguous_id": {1: 0, 3: 1},
    "stuff_dataset_id_to_contiguous_id": {187: 1, 149: 2},
}  # fmt: skip


def _rgb_of(segment_id):
    return [segment_id % 256, segment_id // 256 % 256, segment_id // 256**2]


def _write_coco_panoptic(root, h=32, w=40):
    """One image: sky on top, road below, a person box and a car box; crowd-free. Returns the segment id map."""
    seg = np.zeros((h, w), dtype=np.int64)
    seg[: h // 2] = 5  # sky
    seg[h // 2 :] = 70000  # road: needs the B channel (70000 = 112 + 17 * 256 + 1 * 256^2)
    seg[4:12, 3:9] = 300  # person (G channel)
    seg[20:28, 10:30] = 77  # car
    _write_image(os.path.join(root, "images", "000000000042.jpg"), h, w)
    os.makedirs(os.path.join(root, "panoptic"))
    rgb = np.stack([seg % 256, seg // 256 % 256, seg // 256**2], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(root, "panoptic", "000000000042.png"))
    segments = [
        {"id": 5, "category_id": 187, "iscrowd": 0, "area": int((seg == 5).sum())},
        {"id": 70000, "category_id": 149, "iscrowd": 0, "area": int((seg == 70000).sum())},
        {"id": 300, "category_id": 1, "iscrowd": 0, "area": 48, "bbox": [3, 4, 6, 8]},
        {"id": 77, "category_id": 3, "iscrowd": 0, "area": 160, "bbox": [10, 20, 20, 8]},
    ]
    pan = {"images": [{"id": 42, "file_name": "000000000042.jpg", "height": h, "width": w}],
           "annotations": [{"image_id": 42, "file_name": "000000000042.png", "segments_info": segments}],
           "categories": [{"id": 1, "name": "person", "isthing": 1}, {"id": 3, "name": "car", "isthing": 1},
                          {"id": 187, "name": "sky", "isthing": 0},
                          {"id": 149, "name": "road", "isthing": 0}]}  # fmt: skip
    with open(os.path.join(root, "panoptic.json"), "w") as f:
        json.dump(pan, f)
    # instances json of the things (for the separated variant)
    inst = {"images": pan["images"], "categories": pan["categories"][:2], "annotations": [
        {"id": 1, "image_id": 42, "category_id": 1, "bbox": [3, 4, 6, 8], "area": 48, "iscrowd": 0,
         "segmentation": [[3, 4, 9, 4, 9, 12, 3, 12]]},
        {"id": 2, "image_id": 42, "category_id": 3, "bbox": [10, 20, 20, 8], "area": 160, "iscrowd": 0,
         "segmentation": [[10, 20, 30, 20, 30, 28, 10, 28]]}]}  # fmt: skip
    with open(os.path.join(root, "instances.json"), "w") as f:
        json.dump(inst, f)
    # semantic "stuff" labels of the separated variant: things 0, stuff contiguous from 1, 255 ignore
    sem = np.where(seg == 5, 1, 2).astype(np.uint8)
    sem[(seg == 300) | (seg == 77)] = 0
    sem[0, :4] = 255
    os.makedirs(os.path.join(root, "stuff"))
    Image.fromarray(sem, mode="L").save(os.path.join(root, "stuff", "000000000042.png"))
    return seg, sem


def test_coco_panoptic_segments_info_and_png_ids(tmp_path, registered):
    root = str(tmp_path)
    seg, _ = _write_coco_panoptic(root)
    name = "test_formats_coco_panoptic"
    registered.append(name)
    register_coco_panoptic(name, _PAN_META, os.path.join(root, "images"), os.path.join(root, "panoptic"),
                           os.path.join(root, "panoptic.json"), os.path.join(root, "instances.json"))  # fmt: skip
    (d,) = DatasetCatalog.get(name)
    assert d["file_name"] == os.path.join(root, "images", "000000000042.jpg")
    assert d["pan_seg_file_name"] == os.path.join(root, "panoptic", "000000000042.png")
    assert d["image_id"] == 42 and (d["height"], d["width"]) == (32, 40)
    info = {s["id"]: (s["category_id"], s["isthing"]) for s in d["segments_info"]}
    assert info == {5: (1, False), 70000: (2, False), 300: (0, True), 77: (1, True)}
    # the png decodes back to the segment ids with id = R + 256 G + 256^2 B
    rgb = np.asarray(Image.open(d["pan_seg_file_name"]), dtype=np.int64)
    ids = rgb[..., 0] + 256 * rgb[..., 1] + 256**2 * rgb[..., 2]
    np.testing.assert_array_equal(ids, seg)
    assert set(np.unique(ids)) == set(info)
    meta = MetadataCatalog.get(name)
    assert (meta.evaluator_type, meta.ignore_label, meta.label_divisor) == ("coco_panoptic_seg", 255, 1000)
    assert meta.panoptic_root == os.path.join(root, "panoptic") and meta.thing_classes == ["person", "car"]


def test_coco_panoptic_unknown_category_is_named(tmp_path):
    from detectra.data.datasets.coco_panoptic import load_coco_panoptic_json

    root = str(tmp_path)
    _write_coco_panoptic(root)
    meta = dict(_PAN_META, stuff_dataset_id_to_contiguous_id={187: 1})
    with pytest.raises(KeyError, match="image id 42, segment id 70000: category_id 149"):
        load_coco_panoptic_json(os.path.join(root, "panoptic.json"), root, root, meta)


def test_coco_panoptic_separated_through_mapper_gives_panoptic_fpn_targets(tmp_path, registered):
    root = str(tmp_path)
    _, sem = _write_coco_panoptic(root)
    name = "test_formats_coco_pan"
    registered.extend([name + "_separated", name + "_stuffonly"])
    register_coco_panoptic_separated(name, _PAN_META, os.path.join(root, "images"), os.path.join(root, "panoptic"),
                                     os.path.join(root, "panoptic.json"), os.path.join(root, "stuff"),
                                     os.path.join(root, "instances.json"))  # fmt: skip
    (d,) = DatasetCatalog.get(name + "_separated")
    assert d["sem_seg_file_name"] == os.path.join(root, "stuff", "000000000042.png")
    assert [a["category_id"] for a in d["annotations"]] == [0, 1]
    meta = MetadataCatalog.get(name + "_separated")
    assert (meta.evaluator_type, meta.ignore_label, meta.sem_seg_root) == ("coco_panoptic_seg", 255,
                                                                            os.path.join(root, "stuff"))  # fmt: skip
    (s,) = DatasetCatalog.get(name + "_stuffonly")
    assert set(s) == {"file_name", "sem_seg_file_name"}
    assert MetadataCatalog.get(name + "_stuffonly").evaluator_type == "sem_seg"

    mapper = DatasetMapper(True, augmentations=[], image_format="BGR", use_instance_mask=True)
    out = mapper(d)
    assert out["image"].shape == (3, 32, 40)
    assert out["sem_seg"].dtype == torch.int64
    np.testing.assert_array_equal(out["sem_seg"].numpy(), sem)  # PanopticFPN's sem_seg target, 255 kept
    inst = out["instances"]
    assert inst.gt_classes.tolist() == [0, 1]
    torch.testing.assert_close(inst.gt_boxes.tensor, torch.tensor([[3.0, 4, 9, 12], [10, 20, 30, 28]]))
    assert len(inst.gt_masks) == 2


# ------------------------------------------------------------------------------------------------------ Cityscapes
def _write_cityscapes(root, h=32, w=64):
    """One image in city "aachen": a car (id 26), a crowd of persons, a caravan (ignored in eval), a road."""
    stem = "aachen_000000_000019_"
    img_dir, gt_dir = os.path.join(root, "leftImg8bit", "train"), os.path.join(root, "gtFine", "train")
    _write_image(os.path.join(img_dir, "aachen", stem + "leftImg8bit.png"), h, w)
    os.makedirs(os.path.join(gt_dir, "aachen"))
    objects = [
        {"label": "road", "polygon": [[0, 20], [63, 20], [63, 31], [0, 31]]},
        {"label": "car", "polygon": [[10, 4], [20, 4], [20, 12], [10, 12]]},
        {"label": "persongroup", "polygon": [[30, 2], [40, 2], [35, 10]]},
        {"label": "caravan", "polygon": [[45, 5], [55, 5], [55, 15]]},
        {"label": "bicycle", "polygon": [[1, 1], [3, 1], [3, 3]], "deleted": 1},
        {"label": "license plate", "polygon": [[12, 10], [14, 10], [14, 11]]},
    ]
    with open(os.path.join(gt_dir, "aachen", stem + "gtFine_polygons.json"), "w") as f:
        json.dump({"imgHeight": h, "imgWidth": w, "objects": objects}, f)
    inst = np.zeros((h, w), dtype=np.int32)
    inst[20:, :] = 7  # road (stuff)
    inst[4:13, 10:21] = 26001  # car instance 1
    inst[2:11, 30:41] = 24  # person crowd region (< 1000)
    inst[5:16, 45:56] = 29000  # caravan: hasInstances but ignoreInEval
    inst[0, 0:5] = 33002  # a one-pixel-high bicycle: empty box in Detectron2's convention, skipped
    # 16-bit png, as cityscapesScripts writes it
    Image.fromarray(inst.astype(np.uint16)).save(os.path.join(gt_dir, "aachen", stem + "gtFine_instanceIds.png"))
    label_ids = np.where(inst >= 1000, inst // 1000, inst).astype(np.uint8)
    Image.fromarray(label_ids, mode="L").save(os.path.join(gt_dir, "aachen", stem + "gtFine_labelIds.png"))
    # labelTrainIds: road 0, person 11, car 13, bicycle 18, everything else 255
    to_train = np.full(256, 255, dtype=np.uint8)
    to_train[[7, 24, 26, 33]] = [0, 11, 13, 18]
    train_ids = to_train[label_ids]
    Image.fromarray(train_ids, mode="L").save(os.path.join(gt_dir, "aachen", stem + "gtFine_labelTrainIds.png"))
    return img_dir, gt_dir, inst, train_ids


def test_cityscapes_instances_from_polygons(tmp_path):
    img_dir, gt_dir, _, _ = _write_cityscapes(str(tmp_path))
    (d,) = load_cityscapes_instances(img_dir, gt_dir, from_json=True, to_polygons=True)
    assert d["file_name"].endswith(os.path.join("aachen", "aachen_000000_000019_leftImg8bit.png"))
    assert d["image_id"] == "aachen_000000_000019_leftImg8bit.png" and (d["height"], d["width"]) == (32, 64)
    # contiguous ids over the 8 evaluated thing classes: person 0, rider 1, car 2, ..., bicycle 7;
    # road (stuff), caravan (ignoreInEval), license plate (id -1) and the deleted object are dropped
    anns = sorted(d["annotations"], key=lambda a: a["category_id"])
    assert [(a["category_id"], a["iscrowd"]) for a in anns] == [(0, 1), (2, 0)]
    car = anns[1]
    # vertices move to pixel centres (+0.5); the box is their bounds dilated by 0.5, as Detectron2's
    assert car["segmentation"] == [[10.5, 4.5, 20.5, 4.5, 20.5, 12.5, 10.5, 12.5]]
    assert car["bbox"] == [10.0, 4.0, 21.0, 13.0] and car["bbox_mode"] == BoxMode.XYXY_ABS
    assert anns[0]["bbox"] == [30.0, 2.0, 41.0, 11.0]


def test_cityscapes_instances_from_instance_ids_png(tmp_path):
    img_dir, gt_dir, inst, _ = _write_cityscapes(str(tmp_path))
    (d,) = load_cityscapes_instances(img_dir, gt_dir, from_json=False, to_polygons=False)
    assert (d["height"], d["width"]) == (32, 64)
    anns = sorted(d["annotations"], key=lambda a: a["category_id"])
    assert [(a["category_id"], a["iscrowd"]) for a in anns] == [(0, 1), (2, 0)]
    # Detectron2: the box spans first..last pixel index (no + 1)
    assert [a["bbox"] for a in anns] == [[30.0, 2.0, 40.0, 10.0], [10.0, 4.0, 20.0, 12.0]]
    np.testing.assert_array_equal(mask_util.decode(anns[1]["segmentation"]), (inst == 26001).astype(np.uint8))


def test_cityscapes_semantic_pairs_train_ids(tmp_path):
    img_dir, gt_dir, _, train_ids = _write_cityscapes(str(tmp_path))
    (d,) = load_cityscapes_semantic(img_dir, gt_dir)
    assert d["sem_seg_file_name"].endswith("aachen_000000_000019_gtFine_labelTrainIds.png")
    assert (d["height"], d["width"]) == (32, 64)
    out = DatasetMapper(False, augmentations=[], image_format="RGB")(d)
    labels = out["sem_seg"].numpy()
    np.testing.assert_array_equal(labels, train_ids)
    assert labels[25, 5] == 0 and labels[8, 15] == 13 and labels[5, 35] == 11  # road, car, person
    assert labels[10, 50] == 255 and labels[0, 2] == 18  # caravan ignored; bicycle's trainId
    os.remove(d["sem_seg_file_name"])
    with pytest.raises(FileNotFoundError, match="createTrainIdLabelImgs"):
        load_cityscapes_semantic(img_dir, gt_dir)


# --------------------------------------------------------------------------------------------------- load_sem_seg
def test_load_sem_seg_pairs_by_relative_stem(tmp_path, caplog):
    img_root, gt_root = str(tmp_path / "img"), str(tmp_path / "gt")
    for stem in ["b", "a", os.path.join("sub", "c")]:
        _write_image(os.path.join(img_root, stem + ".jpg"), 8, 8)
        _write_image(os.path.join(gt_root, stem + ".png"), 8, 8, value=3, mode="L")
    dicts = load_sem_seg(gt_root, img_root, gt_ext="png", image_ext="jpg")
    assert [(os.path.relpath(d["file_name"], img_root), os.path.relpath(d["sem_seg_file_name"], gt_root))
            for d in dicts] == [("a.jpg", "a.png"), ("b.jpg", "b.png"),
                                (os.path.join("sub", "c.jpg"), os.path.join("sub", "c.png"))]  # fmt: skip

    # files that do not pair: a warning naming both folders, and only the pairs are used (as Detectron2)
    _write_image(os.path.join(img_root, "only_image.jpg"), 8, 8)
    _write_image(os.path.join(gt_root, "only_label.png"), 8, 8, mode="L")
    with caplog.at_level("WARNING"):
        dicts = load_sem_seg(gt_root, img_root)
    assert len(dicts) == 3
    assert any("different files" in r.getMessage() and img_root in r.getMessage() for r in caplog.records)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_sem_seg(str(tmp_path / "missing"), img_root)
