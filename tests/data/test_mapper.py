"""DatasetMapper on images written by the test and on the shared real datasets."""
import copy
import json

import numpy as np
import pytest
import torch
from PIL import Image

import detectra.data.transforms as T
from detectra.data import detection_utils as utils
from detectra.data.catalog import MetadataCatalog
from detectra.data.dataset_mapper import DatasetMapper
from detectra.structures import BitMasks, BoxMode, PolygonMasks, polygons_to_bitmask

H, W = 48, 64
RECT = (10, 8, 30, 28)  # x0, y0, x1, y1
RGB = (220, 60, 20)
FLIP = [1, 0, 2]  # left_eye, right_eye, nose

COCO_KEYPOINTS = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle",
]


@pytest.fixture
def record(tmp_path):
    image = np.zeros((H, W, 3), np.uint8)
    x0, y0, x1, y1 = RECT
    image[y0:y1, x0:x1] = RGB
    Image.fromarray(image).save(tmp_path / "img.png")
    rect_anno = {
        "bbox": [x0, y0, x1 - x0, y1 - y0], "bbox_mode": BoxMode.XYWH_ABS, "category_id": 1, "iscrowd": 0,
        "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
        "keypoints": [12.5, 18.5, 2, 27.5, 18.5, 2, 20.5, 24.5, 1],
    }
    crowd = dict(copy.deepcopy(rect_anno), iscrowd=1, category_id=4)
    return {"file_name": str(tmp_path / "img.png"), "image_id": 7, "height": H, "width": W,
            "annotations": [rect_anno, crowd]}


def test_train_mapping_flips_everything_consistently(record):
    mapper = DatasetMapper(
        True, augmentations=[T.RandomFlip(prob=1.0)], image_format="BGR", use_instance_mask=True,
        use_keypoint=True, keypoint_hflip_indices=FLIP,
    )
    original = copy.deepcopy(record)
    out = mapper(record)
    assert record == original  # the input dict is not modified

    image = out["image"]
    assert image.dtype == torch.uint8 and image.shape == (3, H, W)
    hwc = image.permute(1, 2, 0).numpy()
    x0, y0, x1, y1 = W - RECT[2], RECT[1], W - RECT[0], RECT[3]
    assert (hwc[y0:y1, x0:x1] == RGB[::-1]).all()  # BGR
    assert hwc.any(axis=2).sum() == (x1 - x0) * (y1 - y0)

    inst = out["instances"]
    assert len(inst) == 1 and inst.gt_classes.tolist() == [1]  # the crowd annotation is gone
    np.testing.assert_allclose(inst.gt_boxes.tensor.numpy(), [[x0, y0, x1, y1]])
    assert isinstance(inst.gt_masks, PolygonMasks)
    mask = polygons_to_bitmask(inst.gt_masks.polygons[0], H, W)
    assert mask.sum() == (x1 - x0) * (y1 - y0) and mask[y0:y1, x0:x1].all()
    kps = inst.gt_keypoints.tensor[0].numpy()
    np.testing.assert_allclose(kps, [[W - 27.5, 18.5, 2], [W - 12.5, 18.5, 2], [W - 20.5, 24.5, 1]])
    assert "annotations" not in out and out["image_id"] == 7


def test_test_mapping_drops_annotations_and_reads_sem_seg_labels(record, tmp_path):
    labels = np.zeros((H, W), np.uint8)
    labels[RECT[1]:RECT[3], RECT[0]:RECT[2]] = 7
    labels[0, 0] = 255
    seg = Image.fromarray(labels, mode="P")
    seg.putpalette([(i * 37) % 256 for i in range(768)])  # palette colours unrelated to the label ids
    seg.save(tmp_path / "seg.png")
    record["sem_seg_file_name"] = str(tmp_path / "seg.png")
    mapper = DatasetMapper(False, augmentations=[T.Resize((96, 128))], image_format="RGB")
    out = mapper(record)
    assert out["image"].shape == (3, 96, 128)
    assert "annotations" not in out and "instances" not in out and "sem_seg_file_name" not in out
    sem = out["sem_seg"]
    assert sem.dtype == torch.int64 and sem.shape == (96, 128)
    assert set(sem.unique().tolist()) == {0, 7, 255}
    assert (sem[16:56, 20:60] == 7).all() and (sem == 7).sum() == 40 * 40


def test_bitmask_format_crop_and_recomputed_boxes(record):
    mapper = DatasetMapper(
        True, augmentations=[T.CropTransform(15, 0, 40, 40)], image_format="RGB", use_instance_mask=True,
        instance_mask_format="bitmask", recompute_boxes=True, return_transforms=True,
    )
    out = mapper(record)
    inst = out["instances"]
    assert isinstance(inst.gt_masks, BitMasks) and inst.gt_masks.tensor.shape == (1, 40, 40)
    colored = out["image"].permute(1, 2, 0).numpy().any(axis=2)
    np.testing.assert_array_equal(inst.gt_masks.tensor[0].numpy(), colored)
    np.testing.assert_allclose(inst.gt_boxes.tensor.numpy(), [[0, 8, 15, 28]])
    assert isinstance(out["transforms"], T.TransformList)
    assert not inst.has("gt_keypoints")
    with pytest.raises(ValueError, match="use_instance_mask"):
        DatasetMapper(True, augmentations=[], image_format="RGB", recompute_boxes=True)


def test_precomputed_proposals_and_empty_annotations(record):
    record["proposal_boxes"] = np.array([[0.0, 0.0, 32.0, 24.0], [1.0, 1.0, 1.0, 5.0]])
    record["proposal_objectness_logits"] = np.array([2.0, 1.0])
    record["proposal_bbox_mode"] = BoxMode.XYXY_ABS
    record["annotations"] = []
    mapper = DatasetMapper(True, augmentations=[T.Resize((96, 128))], image_format="BGR", precomputed_proposal_topk=10)
    out = mapper(record)
    np.testing.assert_allclose(out["proposals"].proposal_boxes.tensor.numpy(), [[0, 0, 64, 48]])
    assert len(out["instances"]) == 0


def test_mapper_from_config():
    from detectra.config import get_cfg

    cfg = get_cfg()
    cfg.MODEL.MASK_ON = True
    cfg.INPUT.CROP.ENABLED = True
    cfg.INPUT.MASK_FORMAT = "bitmask"
    mapper = DatasetMapper(cfg, is_train=True)
    assert mapper.is_train and mapper.image_format == "BGR" and mapper.use_instance_mask
    assert mapper.instance_mask_format == "bitmask" and mapper.recompute_boxes
    assert [type(a) for a in mapper.augmentations.augs] == [T.RandomCrop, T.ResizeShortestEdge, T.RandomFlip]
    test_mapper = DatasetMapper(cfg, False)
    assert not test_mapper.recompute_boxes and len(test_mapper.augmentations.augs) == 1

    name = "_test_mapper_kp"
    MetadataCatalog.get(name).set(keypoint_names=COCO_KEYPOINTS,
                                  keypoint_flip_map=[(f"left_{p}", f"right_{p}") for p in
                                                     ("eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee",
                                                      "ankle")])
    try:
        cfg.MODEL.KEYPOINT_ON = True
        cfg.DATASETS.TRAIN = (name,)
        kp_mapper = DatasetMapper(cfg, True)
        assert kp_mapper.keypoint_hflip_indices[:5] == [0, 2, 1, 4, 3]
    finally:
        MetadataCatalog.remove(name)


def _coco_records(json_path, image_dir, limit):
    data = json.loads(json_path.read_text())
    cat_ids = sorted(c["id"] for c in data["categories"])
    contiguous = {cid: i for i, cid in enumerate(cat_ids)}
    per_image = {}
    for a in data["annotations"]:
        per_image.setdefault(a["image_id"], []).append(a)
    records = []
    for img in data["images"]:
        if img["id"] not in per_image:
            continue
        annos = [
            {"bbox": a["bbox"], "bbox_mode": BoxMode.XYWH_ABS, "category_id": contiguous[a["category_id"]],
             "iscrowd": a.get("iscrowd", 0), "segmentation": a["segmentation"],
             **({"keypoints": a["keypoints"]} if "keypoints" in a else {})}
            for a in per_image[img["id"]]
        ]
        records.append({"file_name": str(image_dir / img["file_name"]), "height": img["height"],
                        "width": img["width"], "image_id": img["id"], "annotations": annos})
    return records[:limit]


def test_car_damage_polygons_land_on_their_boxes(shared_dir):
    root = shared_dir / "datasets" / "car_damage" / "val"
    records = _coco_records(root / "instances_parts.json", root, limit=3)
    mapper = DatasetMapper(
        True, augmentations=[T.ResizeShortestEdge(256, 400), T.RandomFlip(prob=1.0)], image_format="BGR",
        use_instance_mask=True,
    )
    bit_mapper = DatasetMapper(
        True, augmentations=[T.ResizeShortestEdge(256, 400), T.RandomFlip(prob=1.0)], image_format="BGR",
        use_instance_mask=True, instance_mask_format="bitmask",
    )
    for rec in records:
        out, bit = mapper(rec), bit_mapper(rec)
        h, w = out["image"].shape[1:]
        assert min(h, w) == 256 or max(h, w) == 400
        scale = w / rec["width"]
        inst = out["instances"]
        assert len(inst) == len([a for a in rec["annotations"] if not a["iscrowd"]])
        # The flipped, scaled json box, with the masks' boxes inside it.
        for a, box in zip(rec["annotations"], inst.gt_boxes.tensor.numpy()):
            x, y, bw, bh = a["bbox"]
            np.testing.assert_allclose(box, np.array([rec["width"] - x - bw, y, rec["width"] - x, y + bh]) * scale,
                                       atol=1e-3)
        np.testing.assert_allclose(inst.gt_masks.get_bounding_boxes().tensor, inst.gt_boxes.tensor, atol=2.5)
        raster = np.stack([polygons_to_bitmask(p, h, w) for p in inst.gt_masks.polygons])
        bits = bit["instances"].gt_masks.tensor.numpy()
        inter, union = (raster & bits).sum(), (raster | bits).sum()
        assert inter / union > 0.95  # polygon path and bitmask path agree


def test_tiny_coco_keypoints_are_mirrored_with_the_flip_map(shared_dir):
    root = shared_dir / "datasets" / "tiny_coco"
    records = _coco_records(root / "annotations" / "person_keypoints_val2017.json", root / "val2017", limit=4)
    flip_map = {f"left_{p}": f"right_{p}" for p in ("eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee",
                                                        "ankle")}
    flip_map.update({v: k for k, v in flip_map.items()})
    flip = [COCO_KEYPOINTS.index(flip_map.get(n, n)) for n in COCO_KEYPOINTS]
    mapper = DatasetMapper(
        True, augmentations=[T.ResizeShortestEdge(200, 333), T.RandomFlip(prob=1.0)], image_format="BGR",
        use_keypoint=True, keypoint_hflip_indices=flip,
    )
    checked = 0
    for rec in records:
        out = mapper(rec)
        h, w = out["image"].shape[1:]
        sx, sy = w / rec["width"], h / rec["height"]
        kept = [a for a in rec["annotations"] if not a["iscrowd"]]
        kps = out["instances"].gt_keypoints.tensor.numpy()
        assert kps.shape == (len(kept), 17, 3)
        for a, k in zip(kept, kps):
            orig = np.asarray(a["keypoints"], dtype=np.float64).reshape(17, 3)
            for i in range(17):
                j = flip[i]  # after the flip, slot j holds the mirrored keypoint i
                if orig[i, 2] > 0:
                    np.testing.assert_allclose(k[j], [(rec["width"] - orig[i, 0]) * sx, orig[i, 1] * sy, orig[i, 2]],
                                               atol=1e-3)
                    checked += 1
                else:
                    np.testing.assert_array_equal(k[j], [0, 0, 0])
    assert checked > 20


def test_sixteen_bit_label_map_keeps_label_values(record, tmp_path):
    labels = np.zeros((H, W), np.uint16)
    labels[:, W // 2:] = 300  # more classes than uint8 holds
    Image.fromarray(labels).save(tmp_path / "labels16.png")
    record["sem_seg_file_name"] = str(tmp_path / "labels16.png")
    out = DatasetMapper(False, augmentations=[T.Resize((24, 32))], image_format="BGR")(record)
    assert set(out["sem_seg"].unique().tolist()) == {0, 300}
    assert (out["sem_seg"][:, 16:] == 300).all()


@pytest.mark.parametrize("masks", [False, True])
@pytest.mark.parametrize("mode", [BoxMode.XYWH_ABS, BoxMode.XYXY_ABS])
def test_mapping_equals_per_annotation_transform(shared_dir, mode, masks):
    # The mapper converts all boxes at once (and, without masks/keypoints, transforms them at once too); the
    # result must be the per-annotation utils path (Detectron2's) bit for bit, crops that cut boxes away included.
    root = shared_dir / "datasets" / "tiny_coco"
    records = _coco_records(root / "annotations" / "instances_val2017.json", root / "val2017", limit=2)
    augs = [T.ResizeShortestEdge(200, 300), T.RandomFlip(prob=1.0), T.RandomCrop("absolute", (60, 70))]
    mapper = DatasetMapper(True, augmentations=augs, image_format="BGR", return_transforms=True,
                           use_instance_mask=masks)  # fmt: skip
    dropped = 0
    for rec in records:
        if mode == BoxMode.XYXY_ABS:
            for a in rec["annotations"]:
                a["bbox"] = BoxMode.convert(a["bbox"], a["bbox_mode"], mode)
                a["bbox_mode"] = mode
        original = copy.deepcopy(rec)
        np.random.seed(0)
        out = mapper(rec)
        assert rec == original
        image_shape = out["image"].shape[1:]
        annos = [utils.transform_instance_annotations(copy.deepcopy(a), out["transforms"], image_shape)
                 for a in rec["annotations"] if not a["iscrowd"]]
        if not masks:
            for a in annos:
                a.pop("segmentation")
        expected = utils.filter_empty_instances(utils.annotations_to_instances(annos, image_shape))
        dropped += len(annos) - len(expected)
        got = out["instances"]
        assert torch.equal(got.gt_boxes.tensor, expected.gt_boxes.tensor)
        assert torch.equal(got.gt_classes, expected.gt_classes)
        assert got.has("gt_masks") == masks
        if masks:
            for pa, pb in zip(got.gt_masks.polygons, expected.gt_masks.polygons):
                assert len(pa) == len(pb) and all(np.array_equal(x, y) for x, y in zip(pa, pb))
    assert dropped > 0  # the crop really cut boxes (or masks) to nothing
