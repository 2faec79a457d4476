"""Confusion matrix, P/R/F1 against the score threshold and label statistics on hand-made detections, and the
figures drawn from them."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detectra.evaluation.detection_stats import (
    confusion_matrix,
    detections_from_coco_results,
    label_statistics,
    match_by_class,
    prf1_curves,
)
from detectra.utils.eval_plots import (
    plot_confusion_matrix,
    plot_gt_vs_pred_grid,
    plot_label_statistics,
    plot_prf1_curves,
)

BOX = np.array([[0, 0, 10, 10], [20, 20, 40, 40], [50, 50, 60, 60]], dtype=float)
GT = [{"boxes": BOX, "classes": np.array([0, 1, 1])}]
# class 0 found; the first class-1 box predicted as class 0; the second class-1 box missed; one prediction on
# empty background (class 1); one below the score threshold (ignored by the matrix)
PRED = [{"boxes": np.array([[0, 0, 10, 10], [21, 21, 40, 40], [80, 80, 90, 90], [50, 50, 60, 60]], dtype=float),
         "classes": np.array([0, 0, 1, 1]), "scores": np.array([0.9, 0.8, 0.7, 0.1])}]  # fmt: skip


def test_confusion_matrix_by_hand():
    m = confusion_matrix(GT, PRED, 2, score_threshold=0.25)
    # rows predicted (0, 1, background), columns true (0, 1, background)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 0, 1], [0, 1, 0]])
    # without the threshold the low-score box finds the missed one
    np.testing.assert_array_equal(confusion_matrix(GT, PRED, 2, score_threshold=0.0), [[1, 1, 0], [0, 1, 1], [0, 0, 0]])


def test_prf1_by_hand():
    scores, classes, tp, num_gt = match_by_class(GT, PRED, 2)
    np.testing.assert_array_equal(tp, [True, False, False, True])  # in score order
    np.testing.assert_array_equal(num_gt, [1, 2])
    c = prf1_curves(scores, classes, tp, num_gt, thresholds=np.array([0.0, 0.5, 0.85, 0.95]))
    np.testing.assert_allclose(c["precision"][0], [0.5, 0.5, 1.0, 1.0])  # 1 of 2, then 1 of 1, then none kept
    np.testing.assert_allclose(c["recall"][0], [1.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(c["precision"][1], [0.5, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(c["recall"][1], [0.5, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(c["f1"][0], [2 / 3, 2 / 3, 1.0, 0.0])


def test_label_statistics_and_coco_results():
    from detectra.structures import BoxMode

    dicts = [{"height": 100, "width": 200, "annotations": [
        {"bbox": [0, 0, 50, 20], "bbox_mode": BoxMode.XYWH_ABS, "category_id": 1},
        {"bbox": [100, 50, 200, 100], "bbox_mode": BoxMode.XYXY_ABS, "category_id": 0},
        {"bbox": [0, 0, 5, 5], "bbox_mode": BoxMode.XYWH_ABS, "category_id": 0, "iscrowd": 1}]}]  # fmt: skip
    s = label_statistics(dicts, 3)
    np.testing.assert_array_equal(s["counts"], [1, 1, 0])
    np.testing.assert_allclose(s["width"], [0.25, 0.5])
    np.testing.assert_allclose(s["center_y"], [0.1, 0.75])
    preds = detections_from_coco_results(
        [{"image_id": 7, "bbox": [1, 2, 3, 4], "category_id": 90, "score": 0.5}], [7, 8], {90: 2})
    np.testing.assert_allclose(preds[0]["boxes"], [[1, 2, 4, 6]])
    assert preds[0]["classes"].tolist() == [2] and len(preds[1]["boxes"]) == 0


@pytest.mark.parametrize("name", ["confusion", "prf1", "labels"])
def test_figures_have_their_sizes(tmp_path, name):
    if name == "confusion":
        out = plot_confusion_matrix(confusion_matrix(GT, PRED, 2), ["a", "b"], tmp_path / "cm.png")
        size = (800, 700)
    elif name == "prf1":
        out = plot_prf1_curves(prf1_curves(*match_by_class(GT, PRED, 2)), ["a", "b"], tmp_path / "prf1.png")
        size = (1500, 450)
    else:
        stats = {"counts": np.array([3, 1]), "width": np.array([0.1, 0.5]), "height": np.array([0.2, 0.3]),
                 "center_x": np.array([0.5, 0.2]), "center_y": np.array([0.5, 0.9])}  # fmt: skip
        out = plot_label_statistics(stats, ["a", "b"], tmp_path / "labels.png")
        size = (1200, 900)
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == size
        assert np.asarray(im.convert("RGB")).std() > 5


def test_gt_vs_pred_grid_keeps_the_format_asked_for(tmp_path):
    a = np.zeros((50, 100, 3), np.uint8)
    b = np.full((80, 80, 3), 200, np.uint8)
    out = plot_gt_vs_pred_grid([(a, a), (b, b)], tmp_path / "grid.jpg", height=40)
    with Image.open(out) as im:
        # rows: 40 px + 8 px gap each; width: the wider row, 80 + 8 + 80
        assert im.format == "JPEG" and im.size == (168, 96)
