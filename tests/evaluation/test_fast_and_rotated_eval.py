"""COCOeval_opt gives pycocotools' numbers; RotatedCOCOEvaluator's AP on hand-made rotated boxes."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from detectra.evaluation import RotatedCOCOEvaluator
from detectra.evaluation.coco_eval_api import quiet
from detectra.evaluation.fast_eval_api import COCOeval_opt
from detectra.evaluation.rotated_coco_evaluation import RotatedCOCOeval
from detectra.structures import Instances, RotatedBoxes


def _random_coco(seed: int = 0) -> tuple[dict, list[dict]]:
    """8 images, 3 categories, ~5 boxes each; detections = jittered ground truth plus false positives."""
    rng = np.random.default_rng(seed)
    images, anns, dets = [], [], []
    for img_id in range(1, 9):
        images.append({"id": img_id, "width": 200, "height": 200, "file_name": f"{img_id}.jpg"})
        for _ in range(rng.integers(2, 7)):
            x, y = rng.uniform(0, 150, 2)
            w, h = rng.uniform(5, 50, 2)
            cat = int(rng.integers(1, 4))
            anns.append({"id": len(anns) + 1, "image_id": img_id, "category_id": cat, "bbox": [x, y, w, h],
                         "area": w * h, "iscrowd": 0})  # fmt: skip
            if rng.random() < 0.8:
                jitter = rng.normal(0, 3, 4)
                dets.append({"image_id": img_id, "category_id": cat, "score": float(rng.random()),
                             "bbox": [x + jitter[0], y + jitter[1], abs(w + jitter[2]), abs(h + jitter[3])]})  # fmt: skip
        for _ in range(2):
            dets.append({"image_id": img_id, "category_id": int(rng.integers(1, 4)), "score": float(rng.random()) / 2,
                         "bbox": [*rng.uniform(0, 150, 2).tolist(), 20.0, 20.0]})  # fmt: skip
    cats = [{"id": i, "name": f"c{i}"} for i in (1, 2, 3)]
    return {"images": images, "annotations": anns, "categories": cats}, dets


def _coco(dataset: dict) -> COCO:
    with quiet():
        coco = COCO()
        coco.dataset = dataset
        coco.createIndex()
    return coco


@pytest.mark.parametrize("max_dets", [[1, 10, 100], [1, 2, 3]])
def test_cocoeval_opt_equals_pycocotools(max_dets):
    gt_dict, dets = _random_coco()
    gt = _coco(gt_dict)
    results = []
    for cls in (COCOeval, COCOeval_opt):
        with quiet():
            ev = cls(gt, gt.loadRes(dets), "bbox")
            ev.params.maxDets = max_dets
            ev.evaluate()
            ev.accumulate()
        results.append(ev)
    ref, opt = results
    np.testing.assert_allclose(opt.eval["precision"], ref.eval["precision"], atol=1e-6)
    np.testing.assert_allclose(opt.eval["recall"], ref.eval["recall"], atol=1e-6)
    with quiet():
        opt.summarize()
    assert 0.1 < opt.stats[0] < 0.9  # a real mix of matches and misses, not a degenerate case
    if max_dets[2] == 100:
        with quiet():
            ref.summarize()
        np.testing.assert_allclose(opt.stats, ref.stats, atol=1e-6)


def test_rotated_iou_crowd_and_axis_aligned():
    ev = RotatedCOCOeval.__new__(RotatedCOCOeval)
    gt = [[5.0, 5.0, 10.0, 20.0, 0.0]]
    # the same 10x10 square unrotated or rotated by 90 degrees covers half of the 10x20 box
    iou = ev.compute_iou_dt_gt([[5.0, 5.0, 10.0, 10.0, 0.0], [5.0, 5.0, 10.0, 10.0, 90.0]], gt, [0])
    np.testing.assert_allclose(iou, [[0.5], [0.5]], atol=1e-6)
    # a 20x10 box rotated by 90 degrees is the 10x20 ground truth
    np.testing.assert_allclose(ev.compute_iou_dt_gt([[5.0, 5.0, 20.0, 10.0, 90.0]], gt, [0]), [[1.0]], atol=1e-6)
    # crowd: the fraction of the detection inside the ground truth. A 10x10 square turned by 45 degrees pokes
    # out of the 10-wide box by 5 * sqrt(2) - 5 on the left and right: two triangles of that height squared.
    outside = 2 * (5 * np.sqrt(2) - 5) ** 2 / 100
    crowd_iou = ev.compute_iou_dt_gt([[5.0, 5.0, 10.0, 10.0, 45.0]], gt, [1])
    np.testing.assert_allclose(crowd_iou, [[1 - outside]], atol=1e-6)
    assert RotatedCOCOeval.is_rotated(np.zeros((3, 5))) and not RotatedCOCOeval.is_rotated([[0, 0, 1, 1]])


def _rotated_gt_json(tmp_path) -> str:
    images = [{"id": i, "width": 100, "height": 100, "file_name": f"{i}.jpg"} for i in (1, 2)]
    boxes = {1: [[30.0, 30.0, 40.0, 10.0, 30.0], [70.0, 70.0, 20.0, 20.0, 0.0]], 2: [[50.0, 50.0, 60.0, 8.0, -45.0]]}
    anns = [
        {"id": k + 1, "image_id": img, "category_id": 1, "bbox": b, "area": b[2] * b[3], "iscrowd": 0}
        for k, (img, b) in enumerate((img, b) for img, bs in boxes.items() for b in bs)
    ]
    path = tmp_path / "rotated_gt.json"
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": [{"id": 1, "name": "bar"}]}))
    return str(path), boxes


def _outputs(boxes: list[list[float]], scores: list[float]) -> dict:
    inst = Instances((100, 100))
    inst.pred_boxes = RotatedBoxes(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 5))
    inst.scores = torch.tensor(scores)
    inst.pred_classes = torch.zeros(len(scores), dtype=torch.int64)
    return {"instances": inst}


def test_rotated_coco_evaluator_ap_on_hand_made_boxes(tmp_path, register_coco):
    json_file, gt = _rotated_gt_json(tmp_path)
    name = register_coco(json_file)
    evaluator = RotatedCOCOEvaluator(name, distributed=False, output_dir=str(tmp_path))

    # exact predictions: AP 100 (an axis-aligned IoU would be well below 1 for the thin rotated bars)
    evaluator.reset()
    evaluator.process([{"image_id": 1}, {"image_id": 2}], [_outputs(gt[1], [0.9, 0.8]), _outputs(gt[2], [0.7])])
    assert evaluator.evaluate()["bbox"]["AP"] == pytest.approx(100.0)

    # the thin bar of image 2 predicted at +45 instead of -45 degrees: IoU ~0.07, a false positive, so one of three
    # ground truths is missed at every threshold. Precision stays 1 up to recall 2/3, then 0: AP = 67/101 points.
    evaluator.reset()
    wrong = [[50.0, 50.0, 60.0, 8.0, 45.0]]
    evaluator.process([{"image_id": 1}, {"image_id": 2}], [_outputs(gt[1], [0.9, 0.8]), _outputs(wrong, [0.7])])
    assert evaluator.evaluate()["bbox"]["AP"] == pytest.approx(100.0 * 67 / 101, abs=1e-4)
