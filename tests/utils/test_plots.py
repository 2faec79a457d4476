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
    assert names == ["eval_metrics.png", "inference_pr_curves_bbox.png", "losses.png", "lr.png"]
    for p in written:
        assert p.parent == tmp_path / "plots"
        with Image.open(p) as im:
            assert im.format == "PNG" and im.size[0] >= 400
            arr = np.asarray(im.convert("RGB"))
        assert arr.std() > 5  # something was drawn, not a blank canvas


def test_plot_training_without_val_or_eval(tmp_path):
    _write_metrics(tmp_path / "metrics.json", with_val=False, with_eval=False)
    names = sorted(p.name for p in plot_training(tmp_path, plot_dir=tmp_path / "out"))
    assert names == ["losses.png", "lr.png"]


def test_plot_training_nothing_to_plot(tmp_path):
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        plot_training(tmp_path)


def test_pr_curve_two_classes(tmp_path):
    _pr_npz(tmp_path / "coco_eval_segm_precision.npz", n_classes=2)
    out = plot_pr_curves(tmp_path / "coco_eval_segm_precision.npz", tmp_path / "pr.png")
    assert out.is_file() and out.stat().st_size > 5000
