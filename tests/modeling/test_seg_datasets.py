"""Real masks (car_damage parts) and keypoints (tiny_coco persons) through the mapper, the mask / keypoint losses
and `COCOEvaluator`'s segm / keypoints tasks.

Two checks per dataset: the ground truth itself, turned into predictions the way the model outputs them
(full-image bit masks; keypoints in continuous coordinates), scores ~100 AP, so the data, structures and evaluation
conventions agree; and a tiny model trains one step on the real annotations and its predictions evaluate.
"""
import json
import math

import pytest
import torch

from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data import transforms as T
from detectra.data.dataset_mapper import DatasetMapper
from detectra.data.datasets.coco import register_coco_instances
from detectra.evaluation import COCOEvaluator
from detectra.modeling import build_model
from detectra.structures import BitMasks, Instances, PolygonMasks
from detectra.utils.events import EventStorage

from .test_seg_training import seg_cfg

CAR_PARTS = "seg_test_car_damage_val_parts"
COCO_KPTS = "seg_test_tiny_coco_val_keypoints"


@pytest.fixture(autouse=True)
def _one_thread():
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


@pytest.fixture(scope="module")
def car_parts(shared_dir):
    root = shared_dir / "datasets" / "car_damage" / "val"
    if not root.is_dir():
        pytest.skip(f"car_damage not found under {root}")
    if CAR_PARTS not in DatasetCatalog.list():
        register_coco_instances(CAR_PARTS, {}, root / "instances_parts.json", root)
    return DatasetCatalog.get(CAR_PARTS)


@pytest.fixture(scope="module")
def coco_keypoints(shared_dir):
    root = shared_dir / "datasets" / "tiny_coco"
    if not root.is_dir():
        pytest.skip(f"tiny_coco not found under {root}")
    if COCO_KPTS not in DatasetCatalog.list():
        register_coco_instances(
            COCO_KPTS, {}, root / "annotations" / "person_keypoints_val2017.json", root / "val2017"
        )
    dicts = DatasetCatalog.get(COCO_KPTS)
    # images with at least one person with visible keypoints
    return [d for d in dicts if any(sum(a.get("keypoints", [0, 0, 0])[2::3]) > 0 for a in d["annotations"])]


def _evaluate(name: str, tmp_path, pairs, tasks):
    evaluator = COCOEvaluator(name, tasks=tasks, distributed=False, output_dir=str(tmp_path))
    evaluator.reset()
    for inp, out in pairs:
        evaluator.process([inp], [out])
    return evaluator.evaluate()


def test_car_damage_masks_gt_roundtrip(car_parts, tmp_path):
    """Polygons -> mapper -> gt_masks -> full-image bit masks as predictions: segm AP ~100."""
    mapper = DatasetMapper(is_train=True, augmentations=[], image_format="BGR", use_instance_mask=True)
    pairs = []
    for d in car_parts:
        inst = mapper(d)["instances"]
        assert isinstance(inst.gt_masks, PolygonMasks) and len(inst.gt_masks) == len(inst) > 0
        h, w = inst.image_size
        pred = Instances((h, w), pred_boxes=inst.gt_boxes, scores=torch.ones(len(inst)), pred_classes=inst.gt_classes)
        pred.pred_masks = BitMasks.from_polygon_masks(inst.gt_masks, h, w).tensor
        pairs.append(({"image_id": d["image_id"]}, {"instances": pred}))
    results = _evaluate(CAR_PARTS, tmp_path, pairs, ("segm",))
    assert results["segm"]["AP"] > 99.0, results["segm"]


def test_car_damage_mask_rcnn_train_and_evaluate(car_parts, tmp_path):
    """A tiny Mask R-CNN trains a step on real polygons (resized) and its predictions go through the segm task."""
    cfg = seg_cfg("mask_rcnn_fpn")
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = len(MetadataCatalog.get(CAR_PARTS).thing_classes)
    torch.manual_seed(0)
    model = build_model(cfg)
    resize = [T.ResizeShortestEdge(160, 256)]
    train_mapper = DatasetMapper(is_train=True, augmentations=resize, image_format="BGR", use_instance_mask=True)
    batch = [train_mapper(d) for d in car_parts[:2]]
    with EventStorage() as storage:
        losses = model.train()(batch)
    assert set(losses) >= {"loss_mask", "loss_cls", "loss_box_reg", "loss_rpn_cls"}
    assert all(math.isfinite(v.item()) for v in losses.values())
    assert 0.3 < losses["loss_mask"].item() < 2.0  # BCE of near-zero logits: ~log 2
    assert 0.0 <= storage.history("mask_rcnn/accuracy").latest() <= 1.0
    sum(losses.values()).backward()
    assert model.roi_heads.mask_head.predictor.weight.grad.abs().sum() > 0

    test_mapper = DatasetMapper(is_train=False, augmentations=resize, image_format="BGR")
    model.eval()
    pairs = []
    with torch.no_grad():
        for d in car_parts[:4]:
            inp = test_mapper(d)
            out = model([inp])[0]
            assert out["instances"].pred_masks.shape[1:] == (d["height"], d["width"])
            pairs.append((inp, out))
    results = _evaluate(CAR_PARTS, tmp_path, pairs, ("bbox", "segm"))
    assert 0.0 <= results["segm"]["AP"] <= 100.0  # an untrained model: the point is that its outputs evaluate
    # Every predicted mask reached the evaluator as an RLE of its image's size.
    written = json.loads((tmp_path / "coco_instances_results.json").read_text())
    assert len(written) == sum(len(out["instances"]) for _, out in pairs) > 0
    sizes = {inp["image_id"]: [inp["height"], inp["width"]] for inp, _ in pairs}
    assert all(r["segmentation"]["size"] == sizes[r["image_id"]] for r in written)


def test_tiny_coco_keypoints_gt_roundtrip(coco_keypoints, tmp_path):
    """Keypoints -> mapper (+0.5 px continuous coordinates) -> predictions -> keypoints AP ~100."""
    mapper = DatasetMapper(is_train=True, augmentations=[], image_format="BGR", use_keypoint=True)
    pairs = []
    for d in coco_keypoints:
        inst = mapper(d)["instances"]
        kpts = inst.gt_keypoints.tensor  # (N, 17, 3)
        inst = inst[kpts[:, :, 2].sum(dim=1) > 0]  # persons without keypoints are ignored by COCO's OKS
        pred = Instances(
            inst.image_size, pred_boxes=inst.gt_boxes, scores=torch.ones(len(inst)), pred_classes=inst.gt_classes
        )
        pred.pred_keypoints = inst.gt_keypoints.tensor.clone()
        pred.pred_keypoints[:, :, 2] = 1.0
        pairs.append(({"image_id": d["image_id"]}, {"instances": pred}))
    results = _evaluate(COCO_KPTS, tmp_path, pairs, ("keypoints",))
    assert results["keypoints"]["AP"] > 99.0, results["keypoints"]


def test_tiny_coco_keypoint_rcnn_train_and_evaluate(coco_keypoints, tmp_path):
    """A tiny Keypoint R-CNN (17 keypoints) trains a step on real persons and its predictions evaluate."""
    cfg = seg_cfg("keypoint_rcnn")
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = 1
    cfg.MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS = 17
    torch.manual_seed(0)
    model = build_model(cfg)
    resize = [T.ResizeShortestEdge(192, 320)]
    train_mapper = DatasetMapper(is_train=True, augmentations=resize, image_format="BGR", use_keypoint=True)
    batch = [train_mapper(d) for d in coco_keypoints[:2]]
    with EventStorage():
        losses = model.train()(batch)
    assert all(math.isfinite(v.item()) for v in losses.values())
    # cross-entropy over 56 x 56 cells: at least ~log(3136) ~ 8 for an untrained head
    assert losses["loss_keypoint"].item() > 5.0
    losses["loss_keypoint"].backward()
    assert model.roi_heads.keypoint_head.score_lowres.weight.grad.abs().sum() > 0

    test_mapper = DatasetMapper(is_train=False, augmentations=resize, image_format="BGR")
    model.eval()
    pairs = []
    with torch.no_grad():
        for d in coco_keypoints[:3]:
            inp = test_mapper(d)
            out = model([inp])[0]
            kp = out["instances"].pred_keypoints
            assert kp.shape[1:] == (17, 3)
            assert (kp[:, :, 0] <= d["width"] + 1).all() and (kp[:, :, 1] <= d["height"] + 1).all()
            pairs.append((inp, out))
    results = _evaluate(COCO_KPTS, tmp_path, pairs, ("keypoints",))
    assert 0.0 <= results["keypoints"]["AP"] <= 100.0  # an untrained model: the point is that its outputs evaluate
    # Every predicted person reached the evaluator with 17 (x, y, score) triplets.
    written = json.loads((tmp_path / "coco_instances_results.json").read_text())
    assert len(written) == sum(len(out["instances"]) for _, out in pairs) > 0
    assert all(len(r["keypoints"]) == 17 * 3 for r in written)
