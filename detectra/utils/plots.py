"""Training plots from an output folder: loss curves, learning rate, evaluation metrics, PR curves (PNG files)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load_metrics", "plot_training", "plot_pr_curves", "pr_curves"]

logger = logging.getLogger(__name__)


def _pyplot():
    """matplotlib's pyplot on the headless Agg backend (works without a display, on CI and servers)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def load_metrics(json_file: str | Path) -> list[dict[str, Any]]:
    """Read a `metrics.json` (one json object per line), sorted by iteration.

    A resumed run appends iterations it had already written; the last record of each iteration wins. Lines
    that are not json (a run killed mid-write) are skipped with a warning.
    """
    by_iter: dict[int, dict[str, Any]] = {}
    for lineno, line in enumerate(Path(json_file).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            logger.warning(f"{json_file}:{lineno}: not a json line, skipped")
            continue
        if "iteration" in record:
            it = int(record["iteration"])
            by_iter[it] = {**by_iter.get(it, {}), **record}
    return [by_iter[i] for i in sorted(by_iter)]


def _series(records: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    pts = [(r["iteration"], r[key]) for r in records if isinstance(r.get(key), (int, float))]
    if not pts:
        return np.zeros(0), np.zeros(0)
    arr = np.asarray(pts, dtype=np.float64)
    return arr[:, 0], arr[:, 1]


def _plot_losses(plt: Any, records: list[dict], keys: set[str], path: Path) -> Path | None:
    train_losses = sorted(k for k in keys if k.startswith("loss_"))
    has_total = "total_loss" in keys
    val_keys = sorted(k for k in keys if k.startswith("val_"))
    if not (train_losses or has_total):
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax = axes[0]
    if has_total:
        ax.plot(*_series(records, "total_loss"), label="train total_loss", color="C0")
    if "val_total_loss" in keys:
        ax.plot(*_series(records, "val_total_loss"), "o--", label="val total_loss", color="C3")
    ax.set_title("total loss")
    ax.set_xlabel("iteration")
    ax.legend()
    ax.grid(alpha=0.3)

    ax = axes[1]
    for i, k in enumerate(train_losses):
        ax.plot(*_series(records, k), label=k, color=f"C{i % 10}")
        if f"val_{k}" in val_keys:
            ax.plot(*_series(records, f"val_{k}"), "o--", label=f"val_{k}", color=f"C{i % 10}", alpha=0.7)
    ax.set_title("losses")
    ax.set_xlabel("iteration")
    if train_losses:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(plt, fig, path)


def _plot_train_stats(plt: Any, records: list[dict], keys: set[str], path: Path) -> Path | None:
    """What the model and the loop record besides losses and lr: step and data time, foreground fractions and
    accuracies of the heads (``fast_rcnn/*``, ``roi_head/*``, ``rpn/*``), one small panel each."""
    skip = {"iteration", "lr", "eta_seconds", "total_loss"}
    stats = sorted(k for k in keys if k not in skip and "loss" not in k and not _is_eval_key(k))
    stats = [k for k in stats if len(_series(records, k)[0])]
    if not stats:
        return None
    cols = min(4, len(stats))
    rows = (len(stats) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, k in zip(axes.flat, stats):
        ax.plot(*_series(records, k), lw=1)
        ax.set_title(k, fontsize=9)
        ax.set_xlabel("iteration", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(stats) :]:
        ax.axis("off")
    return _save(plt, fig, path)


def _save(plt: Any, fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _is_eval_key(key: str) -> bool:
    """Evaluation results are flattened as "task/metric" ("bbox/AP", "bbox/AP-cat"), or "dataset/task/metric"
    with several test sets; the heads' own statistics ("roi_head/num_fg_samples") are not evaluations."""
    tasks = ("bbox", "segm", "keypoints", "sem_seg", "panoptic_seg", "box_proposals")
    return any(part in tasks for part in key.split("/")[:-1])


def _plot_single(plt: Any, records: list[dict], key: str, title: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(*_series(records, key))
    ax.set_title(title)
    ax.set_xlabel("iteration")
    ax.grid(alpha=0.3)
    return _save(plt, fig, path)


def _plot_eval_metrics(plt: Any, records: list[dict], keys: set[str], path: Path) -> Path | None:
    # Evaluation results are flattened as "task/metric" (e.g. "bbox/AP"); per-class ones ("bbox/AP-cat") are
    # too many for one figure and left to the PR curves.
    # Only evaluations that ran during training draw a curve: one final point (or NaN metrics when the model
    # predicted nothing) is not a trend, and its numbers are in eval_results.txt.
    metric_keys = sorted(k for k in keys if _is_eval_key(k) and "-" not in k.rsplit("/", 1)[1]
                         and np.isfinite(_series(records, k)[1]).sum() >= 2)  # fmt: skip
    by_task: dict[str, list[str]] = {}
    for k in metric_keys:
        by_task.setdefault(k.rsplit("/", 1)[0], []).append(k)
    if not by_task:
        return None
    fig, axes = plt.subplots(1, len(by_task), figsize=(6 * len(by_task), 4.5), squeeze=False)
    for ax, (task, task_keys) in zip(axes[0], by_task.items()):
        for k in task_keys:
            ax.plot(*_series(records, k), "o-", label=k.rsplit("/", 1)[1])
        ax.set_title(f"{task} evaluation")
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return _save(plt, fig, path)


def pr_curves(npz_file: str | Path, iou: float | None = 0.5) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """The per-class precision-recall curves of a `coco_eval_{task}_precision.npz` (all areas, most detections).

    Args:
        npz_file: the saved precision array (T, R, K, A, M) with its axes.
        iou: an evaluated IoU threshold; None: the mean over all of them (0.5:0.95 for COCO).

    Returns:
        (recall thresholds (R,), precision (R, K) with -1 for classes without ground truth, class names, a label
        of the IoU such as "IoU=0.50:0.95").
    """
    data = np.load(npz_file)
    precision, iou_thrs = data["precision"], data["iou_thrs"]
    area = list(data["area_labels"]).index("all") if "all" in list(data["area_labels"]) else 0
    if iou is None:
        per_iou = precision[:, :, :, area, -1]  # (T, R, K); -1 marks classes without ground truth
        curves = np.where((per_iou > -1).all(axis=0), per_iou.mean(axis=0), -1.0)
        iou_text = f"IoU={iou_thrs[0]:.2f}:{iou_thrs[-1]:.2f}"
    else:
        t = int(np.argmin(np.abs(iou_thrs - iou)))
        curves = precision[t, :, :, area, -1]
        iou_text = f"IoU={iou_thrs[t]:.2f}"
    return data["rec_thrs"], curves, [str(n) for n in data["class_names"]], iou_text


def plot_pr_curves(
    npz_file: str | Path, out_file: str | Path, iou: float | None = 0.5, max_legend: int = 20
) -> Path:
    """Draw per-class precision-recall curves from a `coco_eval_{task}_precision.npz` written by COCOEvaluator.

    Args:
        npz_file: the saved precision array (T, R, K, A, M) with its axes.
        out_file: PNG to write.
        iou: the IoU threshold of the curves (one of the evaluated thresholds, default 0.5); None: the mean over
            all evaluated thresholds (0.5:0.95 for COCO), whose area is COCO's AP.
        max_legend: name the classes in a legend only up to this many.

    Returns:
        `out_file` as a Path.
    """
    plt = _pyplot()
    rec_thrs, curves, names, iou_text = pr_curves(npz_file, iou)

    fig, ax = plt.subplots(figsize=(7, 6))
    valid = [k for k in range(curves.shape[1]) if (curves[:, k] > -1).all()]
    for k in valid:
        ap = curves[:, k].mean() * 100
        ax.plot(rec_thrs, curves[:, k], lw=1, alpha=0.7, label=f"{names[k]} ({ap:.1f})")
    if valid:
        mean_curve = curves[:, valid].mean(axis=1)
        ax.plot(rec_thrs, mean_curve, color="black", lw=3, label=f"mean ({mean_curve.mean() * 100:.1f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"precision-recall at {iou_text} ({Path(npz_file).stem.split('_')[2]})")
    if len(valid) <= max_legend:
        ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_training(output_dir: str | Path, plot_dir: str | Path | None = None) -> list[Path]:
    """Draw every plot the files in a training output folder allow.

    Reads `output_dir/metrics.json` for `losses.png` (total and each `loss_*`, with `val_*` losses dashed when
    present), `lr.png` and `eval_metrics.png` (the "task/metric" scalars over iterations), and every
    `coco_eval_{task}_precision.npz` below `output_dir` for `pr_curves_{task}.png`.

    Args:
        output_dir: the training output folder (cfg.OUTPUT_DIR).
        plot_dir: where to write the PNGs (default `output_dir/plots`).

    Returns:
        The PNG files written.
    """
    output_dir = Path(output_dir)
    plot_dir = Path(plot_dir) if plot_dir is not None else output_dir / "plots"
    metrics_file = output_dir / "metrics.json"
    pr_files = sorted(output_dir.rglob("coco_eval_*_precision.npz"))
    if not metrics_file.is_file() and not pr_files:
        raise FileNotFoundError(
            f"Nothing to plot in '{output_dir}': no metrics.json and no coco_eval_*_precision.npz; pass the "
            "OUTPUT_DIR of a training run."
        )
    plot_dir.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    written: list[Path] = []
    if metrics_file.is_file():
        records = load_metrics(metrics_file)
        keys = {k for r in records for k in r}
        losses = _plot_losses(plt, records, keys, plot_dir / "losses.png")
        if losses:
            written.append(losses)
        if "lr" in keys:
            written.append(_plot_single(plt, records, "lr", "learning rate", plot_dir / "lr.png"))
        metrics = _plot_eval_metrics(plt, records, keys, plot_dir / "eval_metrics.png")
        if metrics:
            written.append(metrics)
        stats = _plot_train_stats(plt, records, keys, plot_dir / "train_stats.png")
        if stats:
            written.append(stats)
    for npz in pr_files:
        task = npz.stem[len("coco_eval_") : -len("_precision")]
        # Several evaluations (e.g. one per test dataset) each get their own file.
        prefix = "" if npz.parent == output_dir else "_".join(npz.parent.relative_to(output_dir).parts) + "_"
        written.append(plot_pr_curves(npz, plot_dir / f"{prefix}pr_curves_{task}.png"))
        written.append(plot_pr_curves(npz, plot_dir / f"{prefix}pr_curves_{task}_50-95.png", iou=None))
    return written
