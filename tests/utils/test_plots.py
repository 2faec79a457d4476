"""plot_training draws PNGs from a metrics.json and COCOEvaluator's precision arrays."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from detectra.utils.plots import load_metrics, plot_pr_curves, plot_training


def _write_metrics(path, with_val=True, with_eval=True):
    lines = []
    for it in range(0, 100, 5):
        rec = {"iteration": it, "total_loss": 2.0 / (1 + it / 20), "loss_cls": 1.2 / (1 + it / 20),
               "loss_box_reg": 0.8 / (1 + it / 20), "lr": 0.02 * min(1, (it + 1) / 50), "time": 0.1}  # fmt: skip
        if with_val and it % 25 == 0:
            rec.update(val_total_loss=2.2 / (1 + it / 20), val_loss_cls=1.3 / (1 + it / 20))
        lines.append(json.dumps(rec))
        if with_eval and it % 50 == 45:
            lines.append(json.dumps({"iteration": it, "bbox/AP": it / 3, "bbox/AP50": it / 2, "bbox/AP-cat": 1.0}))
    lines.append(json.dumps({"iteration": 10, "total_loss": 0.5}))  # resumed run rewrote iteration 10
    lines.append('{"iteration": 95, "total_lo')  # killed mid-write
    path.write_text("\n".join(lines) + "\n")


def test_load_metrics_keeps_last_record_and_merges(tmp_path):
    _write_metrics(tmp_path / "metrics.json")
    records = load_metrics(tmp_path / "metrics.json")
    its = [r["iteration"] for r in records]
    assert its == sorted(set(its)) and len(its) == 20
    r10 = records[2]
    assert r10["total_loss"] == 0.5 and "loss_cls" in r10
    r45 = next(r for r in records if r["iteration"] == 45)
    assert r45["bbox/AP"] == 15.0 and "total_loss" in r45


def _pr_npz(path, n_classes=3):
    rec = np.linspace(0, 1, 101)
    precision = np.full((10, 101, n_classes, 4, 3), -1.0)
    for k in range(n_classes - 1):  # last class has no ground truth
        precision[:, :, k, :, :] = np.clip(1 - rec * (k + 1) / 3, 0, 1)[None, :, None, None]
    np.savez(
        path, precision=precision, recall=np.zeros((10, n_classes, 4, 3)), iou_thrs=np.linspace(0.5, 0.95, 10),
        rec_thrs=rec, cat_ids=np.arange(1, n_classes + 1), class_names=np.array(["a", "b", "c"][:n_classes]),
        area_labels=np.array(["all", "small", "medium", "large"]), max_dets=np.array([1, 10, 100]),
    )  # fmt: skip


def test_plot_training_writes_all_pngs(tmp_path):
    _write_metrics(tmp_path / "metrics.json")
    (tmp_path / "inference").mkdir()
    _pr_npz(tmp_path / "inference" / "coco_eval_bbox_precision.npz")
    written = plot_training(tmp_path)
    names = sorted(p.name for p in written)
    assert names == ["eval_metrics.png", "inference_pr_curves_bbox.png", "inference_pr_curves_bbox_50-95.png",
                     "losses.png", "lr.png", "train_stats.png"]  # fmt: skip
    for p in written:
        assert p.parent == tmp_path / "plots"
        with Image.open(p) as im:
            assert im.format == "PNG" and im.size[0] >= 400
            arr = np.asarray(im.convert("RGB"))
        assert arr.std() > 5  # something was drawn, not a blank canvas


def test_plot_training_without_val_or_eval(tmp_path):
    _write_metrics(tmp_path / "metrics.json", with_val=False, with_eval=False)
    names = sorted(p.name for p in plot_training(tmp_path, plot_dir=tmp_path / "out"))
    assert names == ["losses.png", "lr.png", "train_stats.png"]


def test_plot_training_nothing_to_plot(tmp_path):
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        plot_training(tmp_path)


def test_pr_curve_two_classes(tmp_path):
    _pr_npz(tmp_path / "coco_eval_segm_precision.npz", n_classes=2)
    out = plot_pr_curves(tmp_path / "coco_eval_segm_precision.npz", tmp_path / "pr.png")
    assert out.is_file() and out.stat().st_size > 5000


def test_eval_metrics_need_two_real_evaluations_and_head_statistics_plot_apart(tmp_path):
    lines = [{"iteration": i, "total_loss": 1.0, "roi_head/num_fg_samples": 5.0 + i, "time": 0.1} for i in range(5)]
    lines.append({"iteration": 4, "bbox/AP": float("nan"), "bbox/AP50": 3.0})  # one final evaluation
    (tmp_path / "metrics.json").write_text("\n".join(json.dumps(r) for r in lines))
    names = sorted(p.name for p in plot_training(tmp_path))
    assert "eval_metrics.png" not in names and "train_stats.png" in names
    from detectra.utils.plots import _is_eval_key

    assert _is_eval_key("bbox/AP") and _is_eval_key("ds_val/segm/AP-cat")
    assert not _is_eval_key("roi_head/num_fg_samples") and not _is_eval_key("fast_rcnn/cls_accuracy")


def test_pr_curves_over_iou_thresholds_average_the_precision(tmp_path):
    npz = tmp_path / "coco_eval_bbox_precision.npz"
    _pr_npz(npz)
    data = np.load(npz)
    precision = data["precision"].copy()
    precision[5:, :, 0] = 0.0  # class a: no precision at IoU >= 0.75
    np.savez(npz, **{**{k: data[k] for k in data.files}, "precision": precision})
    out = plot_pr_curves(npz, tmp_path / "pr_50-95.png", iou=None)
    with Image.open(out) as im:
        assert im.size == (700, 600)
    from detectra.utils.plots import pr_curves

    # the curve of class a at 0.5:0.95 is the mean over the 10 thresholds: half of its IoU=0.5 curve
    _, at50, names, _ = pr_curves(npz, 0.5)
    _, mean, _, label = pr_curves(npz, None)
    np.testing.assert_allclose(mean[:, 0], at50[:, 0] / 2)
    np.testing.assert_allclose(mean[:, 1], at50[:, 1])
    assert (mean[:, 2] == -1).all() and names == ["a", "b", "c"] and label == "IoU=0.50:0.95"
