"""COCOEvaluator against plain pycocotools on the same detections, on written and on real annotations."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from detectra.evaluation import COCOEvaluator, instances_to_coco_json
from detectra.evaluation.coco_eval_api import evaluate_predictions_on_coco, has_fast_impl
from detectra.structures import Boxes, Instances

BOX_METRICS = ["AP", "AP50", "AP75", "APs", "APm", "APl"]
KPT_METRICS = ["AP", "AP50", "AP75", "APm", "APl"]


def _pycocotools_stats(gt_json: Path, results: list[dict], iou_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Plain pycocotools, as its README runs it: (stats, precision)."""
    results = copy.deepcopy(results)
    if iou_type == "segm":
        for r in results:
            r.pop("bbox", None)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_json))
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats), ev.eval["precision"]


def _run_evaluator(name: str, dets: dict[int, Instances], out_dir: Path, **kwargs) -> dict:
    evaluator = COCOEvaluator(name, distributed=False, output_dir=str(out_dir), **kwargs)
    evaluator.reset()
    for image_id, inst in dets.items():
        evaluator.process([{"image_id": image_id}], [{"instances": inst}])
    return evaluator.evaluate()


def _small_coco(tmp_path: Path) -> Path:
    """3 images, 2 categories with non-contiguous ids (3 and 7), boxes and polygons of all three sizes."""
    images = [{"id": i, "width": 200, "height": 160, "file_name": f"{i}.jpg"} for i in (1, 2, 5)]
    anns = []
    boxes = {
        1: [(10, 10, 20, 20, 3), (50, 40, 60, 50, 7), (120, 20, 70, 120, 3)],
        2: [(5, 5, 40, 30, 7), (100, 100, 25, 20, 7)],
        5: [(30, 30, 100, 100, 3), (150, 10, 8, 8, 3)],
    }
    for image_id, items in boxes.items():
        for x, y, w, h, c in items:
            poly = [x, y, x + w, y, x + w, y + h, x, y + h]
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": image_id,
                    "category_id": c,
                    "bbox": [x, y, w, h],
                    "area": float(w * h),
                    "iscrowd": 0,
                    "segmentation": [poly],
                }
            )
    data = {
        "images": images,
        "annotations": anns,
        "categories": [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}],
    }
    path = tmp_path / "small_coco.json"
    path.write_text(json.dumps(data))
    return path


def test_small_json_matches_pycocotools_bbox_and_segm(tmp_path, register_coco, make_detections):
    gt_json = _small_coco(tmp_path)
    name = register_coco(gt_json)
    coco = json.loads(gt_json.read_text())
    dets = make_detections(coco, seed=1, with_masks=True, jitter=0.15)
    results = _run_evaluator(name, dets, tmp_path)

    written = json.loads((tmp_path / "coco_instances_results.json").read_text())
    assert {r["category_id"] for r in written} <= {3, 7}  # mapped back to the json's ids
    assert (tmp_path / "instances_predictions.pth").is_file()
    for task in ("bbox", "segm"):
        stats, precision = _pycocotools_stats(gt_json, written, task)
        ours = [results[task][m] for m in BOX_METRICS]
        expected = [s * 100 if s >= 0 else float("nan") for s in stats[:6]]
        np.testing.assert_allclose(ours, expected, atol=1e-6, equal_nan=True)
        # per-class AP, from the same precision array
        for k, cls in enumerate(["cat", "dog"]):
            p = precision[:, :, k, 0, -1]
            np.testing.assert_allclose(results[task][f"AP-{cls}"], p[p > -1].mean() * 100, atol=1e-6)
        saved = np.load(tmp_path / f"coco_eval_{task}_precision.npz")
        np.testing.assert_allclose(saved["precision"], precision, atol=1e-12)
        assert list(saved["class_names"]) == ["cat", "dog"]
    assert 0 < results["bbox"]["AP"] < 100

    from detectra.utils.plots import plot_pr_curves

    assert plot_pr_curves(tmp_path / "coco_eval_segm_precision.npz", tmp_path / "pr.png").stat().st_size > 5000


def test_perfect_detections_give_ap_100(tmp_path, register_coco):
    gt_json = _small_coco(tmp_path)
    name = register_coco(gt_json)
    coco = json.loads(gt_json.read_text())
    dets = {}
    to_contiguous = {3: 0, 7: 1}
    for img in coco["images"]:
        anns = [a for a in coco["annotations"] if a["image_id"] == img["id"]]
        xyxy = [[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in anns)]
        dets[img["id"]] = Instances(
            (img["height"], img["width"]),
            pred_boxes=Boxes(torch.tensor(xyxy, dtype=torch.float32)),
            scores=torch.linspace(0.9, 0.5, len(anns)),
            pred_classes=torch.tensor([to_contiguous[a["category_id"]] for a in anns]),
        )
    results = _run_evaluator(name, dets, tmp_path)
    for metric in ("AP", "AP50", "AP75", "APs", "APm", "APl", "AP-cat", "AP-dog"):
        assert results["bbox"][metric] == pytest.approx(100.0, abs=1e-9), metric
    assert "segm" not in results


@pytest.mark.parametrize("task,field", [("segm", "pred_masks"), ("keypoints", "pred_keypoints")])
def test_asking_for_a_task_the_model_does_not_predict_names_it(tmp_path, register_coco, task, field):
    name = register_coco(_small_coco(tmp_path))
    boxes_only = Instances((40, 60), pred_boxes=Boxes(torch.tensor([[1.0, 2.0, 20.0, 30.0]])),
                           scores=torch.tensor([0.9]), pred_classes=torch.tensor([0]))  # fmt: skip
    # this used to fail inside pycocotools with a bare KeyError: 'id'
    with pytest.raises(ValueError, match=rf"evaluate '{task}', but the model's predictions have no {field}"):
        _run_evaluator(name, {1: boxes_only}, tmp_path, tasks=("bbox", task))


def test_no_detections_gives_nan(tmp_path, register_coco):
    name = register_coco(_small_coco(tmp_path))
    empty = Instances(
        (160, 200), pred_boxes=Boxes(torch.zeros(0, 4)), scores=torch.zeros(0), pred_classes=torch.zeros(0).long()
    )
    results = _run_evaluator(name, {1: empty}, tmp_path, tasks=("bbox",))
    assert all(np.isnan(v) for v in results["bbox"].values())


def test_no_detections_still_writes_pr_arrays_of_every_predicted_task(tmp_path, register_coco):
    """A Mask R-CNN that detects nothing (e.g. class scores saturated to 0 after a diverging step): the metrics are
    Detectron2's NaN, but the tasks come from what the model predicts (bbox and segm) and each task's PR arrays are
    COCO's for no detections (precision 0 where there is ground truth, -1 elsewhere), so the run's files and plots
    do not depend on whether the model happened to detect something."""
    from detectra.utils.plots import plot_pr_curves

    gt_json = _small_coco(tmp_path)
    name = register_coco(gt_json)
    empty = {
        i: Instances((160, 200), pred_boxes=Boxes(torch.zeros(0, 4)), scores=torch.zeros(0),
                     pred_classes=torch.zeros(0).long(), pred_masks=torch.zeros(0, 160, 200, dtype=torch.bool))
        for i in (1, 2, 5)
    }  # fmt: skip
    results = _run_evaluator(name, empty, tmp_path)
    assert sorted(results) == ["bbox", "segm"]
    assert all(np.isnan(v) for task in results.values() for v in task.values())
    for task in ("bbox", "segm"):
        precision = np.load(tmp_path / f"coco_eval_{task}_precision.npz")["precision"]  # (T, R, K, A, M)
        assert precision.shape == (10, 101, 2, 4, 3)
        assert (precision[:, :, :, 0, :] == 0).all()  # area "all": both classes have ground truth
        assert set(np.unique(precision)) == {-1.0, 0.0}  # e.g. no medium "cat"
        assert plot_pr_curves(tmp_path / f"coco_eval_{task}_precision.npz", tmp_path / f"{task}.png").is_file()
    gt = COCO(str(gt_json))
    assert evaluate_predictions_on_coco(gt, [], "bbox").stats[0] == 0.0  # COCO's AP of no detections


def test_tiny_coco_bbox_segm_match_pycocotools(shared_dir, tmp_path, register_coco, make_detections):
    gt_json = shared_dir / "datasets/tiny_coco/annotations/instances_val2017.json"
    name = register_coco(gt_json)
    coco = json.loads(gt_json.read_text())
    dets = make_detections(coco, seed=0, with_masks=True)
    results = _run_evaluator(name, dets, tmp_path)
    written = json.loads((tmp_path / "coco_instances_results.json").read_text())
    for task in ("bbox", "segm"):
        stats, _ = _pycocotools_stats(gt_json, written, task)
        ours = [results[task][m] for m in BOX_METRICS]
        expected = [s * 100 if s >= 0 else float("nan") for s in stats[:6]]
        np.testing.assert_allclose(ours, expected, atol=1e-6, equal_nan=True)
        assert 20 < results[task]["AP"] < 95  # a realistic, non-trivial score


def test_tiny_coco_keypoints_match_pycocotools(shared_dir, tmp_path, register_coco, make_detections):
    gt_json = shared_dir / "datasets/tiny_coco/annotations/person_keypoints_train2017.json"
    name = register_coco(gt_json)
    coco = json.loads(gt_json.read_text())
    dets = make_detections(coco, seed=2, with_keypoints=True)
    results = _run_evaluator(name, dets, tmp_path, tasks=("keypoints",))
    written = json.loads((tmp_path / "coco_instances_results.json").read_text())
    stats, _ = _pycocotools_stats(gt_json, written, "keypoints")
    ours = [results["keypoints"][m] for m in KPT_METRICS]
    np.testing.assert_allclose(ours, [s * 100 if s >= 0 else float("nan") for s in stats[:5]], atol=1e-6)
    assert results["keypoints"]["AP"] > 10


@pytest.mark.skipif(not has_fast_impl(), reason="faster-coco-eval is not installed")
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_fast_backend_equals_pycocotools_on_tiny_coco(shared_dir, iou_type, make_detections):
    gt_json = shared_dir / "datasets/tiny_coco/annotations/instances_val2017.json"
    coco = json.loads(gt_json.read_text())
    dets = make_detections(coco, seed=3, with_masks=iou_type == "segm")
    id_of = sorted(c["id"] for c in coco["categories"])
    results = []
    for image_id, inst in dets.items():
        for r in instances_to_coco_json(inst, image_id):
            r["category_id"] = id_of[r["category_id"]]
            results.append(r)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_json))
    fast = evaluate_predictions_on_coco(gt, results, iou_type, use_fast_impl=True)
    slow = evaluate_predictions_on_coco(gt, results, iou_type, use_fast_impl=False)
    assert type(fast).__module__.startswith("faster_coco_eval")
    stats, precision = _pycocotools_stats(gt_json, results, iou_type)
    np.testing.assert_allclose(fast.eval["precision"], precision, atol=1e-6)
    np.testing.assert_allclose(fast.eval["recall"], slow.eval["recall"], atol=1e-6)
    np.testing.assert_allclose(fast.stats, stats, atol=1e-6)
    np.testing.assert_allclose(slow.stats, stats, atol=1e-6)


def test_max_dets_per_image(tmp_path, register_coco, shared_dir, make_detections):
    gt_json = shared_dir / "datasets/tiny_coco/annotations/instances_val2017.json"
    name = register_coco(gt_json)
    dets = make_detections(json.loads(gt_json.read_text()), seed=4)
    results = _run_evaluator(name, dets, tmp_path, max_dets_per_image=3, tasks=("bbox",))
    written = json.loads((tmp_path / "coco_instances_results.json").read_text())
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_json))
        ev = COCOeval(gt, gt.loadRes(written), "bbox")
        ev.params.maxDets = [1, 10, 3]
        ev.evaluate()
        ev.accumulate()
    p = ev.eval["precision"][:, :, :, 0, 2]
    assert results["bbox"]["AP"] == pytest.approx(p[p > -1].mean() * 100, abs=1e-6)
    full = _run_evaluator(name, dets, tmp_path / "full", tasks=("bbox",))
    assert results["bbox"]["AP"] < full["bbox"]["AP"]


def test_box_proposals_recall(tmp_path, register_coco):
    gt_json = _small_coco(tmp_path)
    name = register_coco(gt_json)
    # image 1: gts (xyxy) [10,10,30,30] small (area 400), [50,40,110,90] and [120,20,190,140] medium
    # (3000 and 8400); no large ones.
    proposals = Instances(
        (160, 200),
        proposal_boxes=Boxes(
            torch.tensor([[10, 10, 30, 30], [50, 40, 110, 86], [0, 0, 5, 5]], dtype=torch.float32)
        ),  # IoU 1.0, 0.92, 0
        objectness_logits=torch.tensor([3.0, 2.0, 1.0]),
    )
    evaluator = COCOEvaluator(name, distributed=False, output_dir=str(tmp_path))
    evaluator.process([{"image_id": 1}], [{"proposals": proposals}])
    res = evaluator.evaluate()["box_proposals"]
    # thresholds 0.5..0.95 (10): the small gt is recalled at all 10, the first medium one at 9 (0.92 < 0.95),
    # the second medium one never.
    assert res["AR@100"] == pytest.approx((10 + 9) / (3 * 10) * 100, abs=1e-4)
    assert res["ARs@100"] == pytest.approx(100.0, abs=1e-4)
    assert res["ARm@100"] == pytest.approx(9 / 20 * 100, abs=1e-4)
    assert res["ARl@100"] == pytest.approx(0.0, abs=1e-4)
    assert res["AR@1000"] == res["AR@100"]
    assert (tmp_path / "box_proposals.pkl").is_file()


def test_dataset_without_json_is_converted(tmp_path):
    from detectra.data import DatasetCatalog, MetadataCatalog
    from detectra.structures import BoxMode

    dicts = [
        {
            "file_name": "a.jpg",
            "image_id": 0,
            "height": 100,
            "width": 120,
            "annotations": [{"bbox": [10, 10, 50, 60], "bbox_mode": BoxMode.XYXY_ABS, "category_id": 0}],
        }
    ]
    name = "_test_eval_no_json"
    DatasetCatalog.register(name, lambda: dicts)
    MetadataCatalog.get(name).set(thing_classes=["thing"])
    try:
        det = Instances(
            (100, 120),
            pred_boxes=Boxes(torch.tensor([[10.0, 10.0, 50.0, 60.0]])),
            scores=torch.tensor([0.9]),
            pred_classes=torch.tensor([0]),
        )
        results = _run_evaluator(name, {0: det}, tmp_path)
        assert results["bbox"]["AP"] == pytest.approx(100.0)
        assert (tmp_path / f"{name}_coco_format.json").is_file()
    finally:
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)


def test_instances_to_coco_json_formats():
    masks = torch.zeros(1, 8, 10, dtype=torch.bool)
    masks[0, 2:5, 3:7] = True
    inst = Instances(
        (8, 10),
        pred_boxes=Boxes(torch.tensor([[3.0, 2.0, 7.0, 5.0]])),
        scores=torch.tensor([0.5]),
        pred_classes=torch.tensor([4]),
        pred_masks=masks,
        pred_keypoints=torch.tensor([[[1.5, 2.5, 0.9]]]),
    )
    (rec,) = instances_to_coco_json(inst, 11)
    assert rec["bbox"] == [3.0, 2.0, 4.0, 3.0]
    assert rec["category_id"] == 4 and rec["image_id"] == 11
    assert rec["keypoints"] == pytest.approx([1.0, 2.0, 0.9])
    assert inst.pred_keypoints[0, 0, 0] == 1.5  # not modified in place
    from pycocotools import mask as mask_util

    decoded = mask_util.decode({"size": rec["segmentation"]["size"], "counts": rec["segmentation"]["counts"]})
    assert np.array_equal(decoded.astype(bool), masks[0].numpy())
    json.dumps(rec)
