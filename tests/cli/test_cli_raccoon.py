"""`detectra train` on a real COCO-format dataset (raccoon photos) registered from the command line: trains,
evaluates and predicts; the AP it reports is what pycocotools computes from its own results file."""
from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from detectra.cli import main


@pytest.mark.slow
def test_train_eval_predict_raccoon(shared_dir, tmp_path):
    root = shared_dir / "datasets" / "raccoon"
    out = tmp_path / "run"
    argv = [
        "train", "--config-file", "shapes/faster_rcnn_R_18_FPN", "--output-dir", str(out), "--num-vis", "2",
        "--train-json", str(root / "annotations" / "instances_train.json"), "--train-images", str(root / "images"),
        "--val-json", str(root / "annotations" / "instances_val.json"), "--val-images", str(root / "images"),
        "--dataset-name", "raccoon",
        "INPUT.MIN_SIZE_TRAIN", "(96,)", "INPUT.MAX_SIZE_TRAIN", "128", "INPUT.MIN_SIZE_TEST", "96",
        "INPUT.MAX_SIZE_TEST", "128", "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "20",
        "SOLVER.WARMUP_ITERS", "5", "SOLVER.STEPS", "()", "SOLVER.BASE_LR", "0.01", "DATALOADER.NUM_WORKERS", "0",
        "MODEL.ANCHOR_GENERATOR.SIZES", "[[16], [32], [64], [128]]", "MODEL.RPN.POST_NMS_TOPK_TEST", "50",
    ]  # fmt: skip
    assert main(argv) == 0
    config = (out / "config.yaml").read_text()
    assert "NUM_CLASSES: 1" in config and "raccoon_train" in config
    reported = json.loads((out / "eval_results.json").read_text())["raccoon_val"]["bbox"]
    results_file = out / "inference" / "coco_instances_results.json"
    detections = json.loads(results_file.read_text())
    assert len(detections) > 0

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(root / "annotations" / "instances_val.json"))
        ev = COCOeval(gt, gt.loadRes(str(results_file)), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    names = ["AP", "AP50", "AP75", "APs", "APm", "APl"]
    ours = np.array([reported[k] for k in names], dtype=float)
    theirs = ev.stats[:6] * 100
    theirs[theirs < 0] = np.nan  # pycocotools says -1 where there is no ground truth of that size
    np.testing.assert_allclose(ours, theirs, atol=1e-4, equal_nan=True)

    pred = tmp_path / "pred"
    image = sorted((root / "images").iterdir())[0]
    assert main(["predict", str(image), "--run", str(out), "-o", str(pred), "--threshold", "0.0"]) == 0
    coco = json.loads((pred / "predictions.json").read_text())
    assert coco["categories"] == [{"id": 1, "name": gt.loadCats(gt.getCatIds())[0]["name"]}]
    assert len(list(pred.glob("*.jpg"))) == 1
