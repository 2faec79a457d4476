"""Diagnostic figures of a trained detector (PNG, headless): confusion matrix with background, precision / recall /
F1 against the score threshold, label statistics of the training set, and ground truth next to predictions.
The numbers come from `detectra.evaluation.detection_stats`; `diagnostic_plots` draws them all for a run."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from detectra.evaluation.detection_stats import (
    confusion_matrix,
    detections_from_coco_results,
    ground_truth_from_dicts,
    label_statistics,
    match_by_class,
    prf1_curves,
)
from detectra.utils.plots import _pyplot

__all__ = [
    "DPI",
    "diagnostic_plots",
    "plot_confusion_matrix",
    "plot_gt_vs_pred_grid",
    "plot_label_statistics",
    "plot_prf1_curves",
]

logger = logging.getLogger(__name__)

DPI = 100  # figure sizes below are in inches: a 8 x 7 figure is an 800 x 700 PNG


def _save(plt: Any, fig: Any, out: str | Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    return out


def plot_confusion_matrix(matrix: np.ndarray, class_names: Sequence[str], out: str | Path) -> Path:
    """Draw a `confusion_matrix` (rows predicted, columns true, background last), each column normalised to
    the share of that true class, with the counts written in the cells. An 8 x 7 inch figure."""
    plt = _pyplot()
    names = [*class_names, "background"]
    counts = np.asarray(matrix)
    share = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(8, 7))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    ticks = np.arange(len(names))
    small = len(names) > 12
    ax.set_xticks(ticks, names if not small else [], rotation=90, fontsize=7)
    ax.set_yticks(ticks, names if not small else [], fontsize=7)
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    ax.set_title("confusion matrix (counts; colour: share of the true class)")
    if len(names) <= 30:
        for (r, c), n in np.ndenumerate(counts):
            if n:
                ax.text(c, r, str(n), ha="center", va="center", fontsize=7,
                        color="white" if share[r, c] > 0.5 else "black")  # fmt: skip
    fig.tight_layout()
    return _save(plt, fig, out)


def plot_prf1_curves(curves: Mapping[str, np.ndarray], class_names: Sequence[str], out: str | Path) -> Path:
    """Precision, recall and F1 against the score threshold (from `prf1_curves`), one thin line per class and
    the class mean in bold; the best mean F1 is marked. A 15 x 4.5 inch figure."""
    plt = _pyplot()
    t = curves["thresholds"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, key in zip(axes, ("precision", "recall", "f1")):
        values = curves[key]
        for k, name in enumerate(class_names):
            ax.plot(t, values[k], lw=1, alpha=0.6, label=name if len(class_names) <= 12 else None)
        mean = values.mean(axis=0)
        if key == "f1":
            best = int(np.argmax(mean))
            label = f"all classes: {mean[best]:.2f} at {t[best]:.2f}"
        else:
            label = "all classes"
        ax.plot(t, mean, color="black", lw=3, label=label)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("score threshold")
        ax.set_title({"precision": "precision", "recall": "recall", "f1": "F1"}[key])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(plt, fig, out)


def plot_label_statistics(stats: Mapping[str, np.ndarray], class_names: Sequence[str], out: str | Path) -> Path:
    """Class counts, box width against height and box centres (relative to the image) of a dataset, from
    `label_statistics`. A 12 x 9 inch figure."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    counts = stats["counts"]
    axes[0, 0].bar(np.arange(len(counts)), counts, color="tab:blue")
    axes[0, 0].set_xticks(np.arange(len(counts)), class_names if len(counts) <= 30 else [], rotation=90, fontsize=7)
    axes[0, 0].set_title(f"instances per class ({int(counts.sum())} in all)")
    axes[0, 1].hist2d(stats["width"], stats["height"], bins=40, range=[[0, 1], [0, 1]], cmap="Blues")
    axes[0, 1].set_xlabel("box width / image width")
    axes[0, 1].set_ylabel("box height / image height")
    axes[0, 1].set_title("box sizes")
    axes[1, 0].hist2d(stats["center_x"], stats["center_y"], bins=40, range=[[0, 1], [0, 1]], cmap="Blues")
    axes[1, 0].invert_yaxis()
    axes[1, 0].set_xlabel("centre x / image width")
    axes[1, 0].set_ylabel("centre y / image height")
    axes[1, 0].set_title("box centres")
    areas = np.sqrt(np.clip(stats["width"] * stats["height"], 0, None))
    axes[1, 1].hist(areas, bins=40, range=(0, 1), color="tab:blue")
    axes[1, 1].set_xlabel("sqrt(box area / image area)")
    axes[1, 1].set_title("box scale")
    fig.tight_layout()
    return _save(plt, fig, out)


def plot_gt_vs_pred_grid(pairs: Sequence[tuple[np.ndarray, np.ndarray]], out: str | Path, height: int = 320) -> Path:
    """Ground truth (left) next to predictions (right), one image per row, each resized to ``height`` pixels;
    written as JPEG or PNG by the extension of ``out``."""
    from PIL import Image

    rows = []
    for gt, pred in pairs:
        halves = []
        for img in (gt, pred):
            h, w = img.shape[:2]
            halves.append(np.asarray(Image.fromarray(img).resize((max(1, round(w * height / h)), height))))
        rows.append(np.concatenate([halves[0], np.full((height, 8, 3), 255, np.uint8), halves[1]], axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 8), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(out, quality=90)
    return out


def diagnostic_plots(
    plot_dir: str | Path, *, test_dicts: Sequence[Mapping[str, Any]] | None, results_file: str | Path | None,
    train_dicts: Sequence[Mapping[str, Any]] | None, class_names: Sequence[str],
    dataset_id_to_contiguous: Mapping[int, int] | None = None, score_threshold: float = 0.25,
) -> list[Path]:  # fmt: skip
    """Write ``confusion_matrix.png`` and ``prf1_curves.png`` (from the test set's ground truth and the
    evaluator's ``coco_instances_results.json``) and ``labels.png`` (from the training set) into ``plot_dir``;
    those whose inputs are missing are skipped. Returns the files written."""
    plot_dir = Path(plot_dir)
    written: list[Path] = []
    k = len(class_names)
    if test_dicts and results_file and Path(results_file).is_file():
        with open(results_file) as f:
            results = json.load(f)
        gts = ground_truth_from_dicts(test_dicts)
        preds = detections_from_coco_results(results, [d["image_id"] for d in test_dicts], dataset_id_to_contiguous)
        matrix = confusion_matrix(gts, preds, k, score_threshold=score_threshold)
        written.append(plot_confusion_matrix(matrix, class_names, plot_dir / "confusion_matrix.png"))
        written.append(plot_prf1_curves(prf1_curves(*match_by_class(gts, preds, k)), class_names,
                                        plot_dir / "prf1_curves.png"))  # fmt: skip
    if train_dicts:
        written.append(plot_label_statistics(label_statistics(train_dicts, k), class_names, plot_dir / "labels.png"))
    return written
