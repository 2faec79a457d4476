"""Evaluators by dataset type, annotated predictions, the evaluation table, and the COCO-format prediction json:
what `train`, `eval` and `predict` write."""
from __future__ import annotations

import json
import os
from typing import Any, Iterable

import numpy as np

from detectra.cli._classes import dataset_classes
from detectra.data import DatasetCatalog
from detectra.evaluation import instances_to_coco_json
from detectra.evaluation.by_type import build_evaluator  # noqa: F401  (re-exported for the sub-commands)
from detectra.utils.eval_plots import diagnostic_plots as draw
from detectra.utils.visualizer import Visualizer

__all__ = [
    "AnnotatedNames",
    "annotated_name",
    "build_evaluator",
    "diagnostic_plots",
    "draw_predictions",
    "format_results",
    "nothing_detected",
    "predictions_to_coco",
    "write_results",
]


def _per_dataset(results: dict, datasets: Iterable[str]) -> dict[str, dict]:
    """DefaultTrainer.test returns the bare results for one dataset; make it {dataset: results} always."""
    datasets = list(datasets)
    if len(datasets) == 1 and not (set(results) == set(datasets)):
        return {datasets[0]: results}
    return dict(results)


# Metrics are printed with 3 decimals everywhere (table, summary line), as Detectron2's tables: an AP of 0.04 is
# not shown as 0.0.
def _metric(value: float) -> str:
    return f"{value:.3f}"


def format_results(results: dict, datasets: Iterable[str]) -> str:
    """A plain-text table per dataset and task: the summary metrics, then the per-class AP."""
    lines = []
    for dataset, tasks in _per_dataset(results, datasets).items():
        for task, metrics in (tasks or {}).items():
            if not isinstance(metrics, dict):
                continue
            main = {k: v for k, v in metrics.items() if "-" not in k}
            per_class = {k.split("-", 1)[1]: v for k, v in metrics.items() if k.startswith("AP-")}
            lines.append(f"{dataset} / {task}")
            lines.append("  " + " ".join(f"{k:>7}" for k in main))
            lines.append("  " + " ".join(f"{_metric(v):>7}" for v in main.values()))
            if per_class:
                width = max(len(k) for k in per_class)
                lines += [f"    AP {k:<{width}} {_metric(v):>7}" for k, v in per_class.items()]
            lines.append("")
    return "\n".join(lines) if lines else "(no evaluation results)\n"


def write_results(results: dict, datasets: Iterable[str], output_dir: str) -> tuple[str, str]:
    """Write ``eval_results.json`` and ``eval_results.txt`` (the table) into ``output_dir``."""
    os.makedirs(output_dir, exist_ok=True)
    per_dataset = _per_dataset(results, datasets)
    json_path = os.path.join(output_dir, "eval_results.json")
    with open(json_path, "w") as f:
        json.dump(per_dataset, f, indent=2, default=float)
    txt_path = os.path.join(output_dir, "eval_results.txt")
    with open(txt_path, "w") as f:
        f.write(format_results(per_dataset, per_dataset))
    return json_path, txt_path


def headline(results: dict, datasets: Iterable[str]) -> str:
    """'box AP 62.123' (and mask AP ...) of the first dataset, for the final summary."""
    per_dataset = _per_dataset(results, datasets)
    if not per_dataset:
        return ""
    tasks = next(iter(per_dataset.values())) or {}
    names = {"bbox": "box AP", "segm": "mask AP", "keypoints": "keypoint AP", "sem_seg": "mIoU", "panoptic_seg": "PQ"}
    keys = {"sem_seg": "mIoU", "panoptic_seg": "PQ"}
    parts = []
    for task, metrics in tasks.items():
        value = metrics.get(keys.get(task, "AP")) if isinstance(metrics, dict) else None
        if isinstance(value, (int, float)):
            parts.append(f"{names.get(task, task)} {_metric(value)}")
    return ", ".join(parts)


def nothing_detected(output_dir: str) -> bool:
    """Whether the run's COCO-style evaluation wrote an empty detections file (the model found nothing)."""
    path = os.path.join(output_dir, "inference", "coco_instances_results.json")
    if not os.path.isfile(path):
        return False
    with open(path) as f:
        return json.load(f) == []


def annotated_name(input_path: str) -> str:
    """The file name of an input's annotated copy: same stem, same format (JPEG in, JPEG out); PNG for formats
    other than JPEG and PNG. `AnnotatedNames` keeps the names of one folder apart."""
    stem, ext = os.path.splitext(os.path.basename(input_path))
    return stem + (ext if ext.lower() in (".jpg", ".jpeg", ".png") else ".png")


class AnnotatedNames:
    """The names of the annotated copies written into one folder: an input's stem, with ``_2``, ``_3``, ... added
    for a later input of the same file name (``a/img.jpg`` and ``b/img.jpg`` give ``img.jpg`` and ``img_2.jpg``),
    so that no copy overwrites another."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def stem(self, input_path: str) -> str:
        """A stem not given out before (for an output whose extension the caller picks, e.g. a video)."""
        stem = os.path.splitext(os.path.basename(input_path))[0]
        name, k = stem, 1
        while name in self._used:
            k += 1
            name = f"{stem}_{k}"
        self._used.add(name)
        return name

    def __call__(self, input_path: str) -> str:
        """A file name not given out before, in the format `annotated_name` picks."""
        return self.stem(input_path) + os.path.splitext(annotated_name(input_path))[1]


def draw_predictions(
    image_rgb: np.ndarray, outputs: dict, metadata: Any, path: str | None, threshold: float = 0.5
) -> np.ndarray:
    """Draw one model output (instances above ``threshold``, else sem_seg / panoptic) on the image and save it in
    the format of ``path``'s extension (not at all where ``path`` is None). Returns the drawing (RGB)."""
    vis = Visualizer(image_rgb, metadata)
    if "panoptic_seg" in outputs:
        seg, info = outputs["panoptic_seg"]
        out = vis.draw_panoptic_seg(seg.to("cpu"), info)
    elif "instances" in outputs:
        inst = outputs["instances"].to("cpu")
        if inst.has("scores"):
            inst = inst[inst.scores >= threshold]
        out = vis.draw_instance_predictions(inst)
    elif "sem_seg" in outputs:
        out = vis.draw_sem_seg(outputs["sem_seg"].max(dim=0).indices.to("cpu"))  # argmax, faster
    else:
        out = vis.get_output()
    if path is not None:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        out.save(path)
    return out.get_image()


def diagnostic_plots(test: str | None, train: str | None, output_dir: str, plot_dir: str) -> list[Any]:
    """Confusion matrix and P/R/F1 curves on the registered dataset ``test`` (from the evaluator's detections in
    ``output_dir/inference``) and label statistics of ``train``, in ``plot_dir``; the plots whose inputs are
    missing are skipped."""
    classes = dataset_classes(test or train) if (test or train) else None
    if not classes:
        return []
    ids = {d: i for i, d in enumerate(classes["thing_dataset_ids"])}
    results = os.path.join(output_dir, "inference", "coco_instances_results.json")
    test_dicts = DatasetCatalog.get(test) if test else None
    train_dicts = DatasetCatalog.get(train) if train and os.path.isfile(os.path.join(output_dir, "metrics.json")) \
        else None  # label statistics only for a training run
    return draw(plot_dir, test_dicts=test_dicts, results_file=results, train_dicts=train_dicts,
                class_names=classes["thing_classes"], dataset_id_to_contiguous=ids)  # fmt: skip


def predictions_to_coco(records: list[tuple[dict, dict]], metadata: Any) -> dict:
    """A COCO-format dict (images, annotations with "score", categories) from ``[(image_info, outputs)]``.

    ``image_info`` has id, file_name, height, width; category ids are the dataset's own ids when the metadata
    maps them (``thing_dataset_id_to_contiguous_id``), else class index + 1.
    """
    classes = list(metadata.get("thing_classes", []) or [])
    to_contiguous = metadata.get("thing_dataset_id_to_contiguous_id", None) or {}
    to_dataset = {v: int(k) for k, v in to_contiguous.items()} if to_contiguous else None
    images, annotations = [], []
    num_classes = len(classes)
    for info, outputs in records:
        images.append(dict(info))
        if "instances" not in outputs:
            continue
        track_ids = outputs["instances"].get("ID") if outputs["instances"].has("ID") else None  # from --track
        for k, ann in enumerate(instances_to_coco_json(outputs["instances"].to("cpu"), info["id"])):
            if track_ids is not None:
                ann["track_id"] = int(track_ids[k])
            c = int(ann["category_id"])
            num_classes = max(num_classes, c + 1)
            ann["category_id"] = to_dataset.get(c, c + 1) if to_dataset else c + 1
            ann["id"] = len(annotations) + 1
            x, y, w, h = ann["bbox"]
            ann["area"] = float(w * h)
            ann["iscrowd"] = 0
            annotations.append(ann)
    categories = []
    for c in range(num_classes):
        cid = to_dataset.get(c, c + 1) if to_dataset else c + 1
        categories.append({"id": cid, "name": classes[c] if c < len(classes) else str(c)})
    return {"images": images, "annotations": annotations, "categories": categories}
