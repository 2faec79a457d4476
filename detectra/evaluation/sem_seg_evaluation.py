"""Semantic segmentation metrics from a confusion matrix: mIoU, fwIoU, mACC, pACC and per-class IoU / ACC."""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pycocotools.mask as mask_util
import torch
from PIL import Image

from detectra.data import DatasetCatalog, MetadataCatalog

from ._table import small_table
from .evaluator import DatasetEvaluator

__all__ = ["SemSegEvaluator", "load_image_into_numpy_array", "sem_seg_metrics"]

logger = logging.getLogger(__name__)


def load_image_into_numpy_array(filename: str, dtype: Any = np.int64) -> np.ndarray:
    """Read a label image (PNG of class ids) as an (H, W) array."""
    with Image.open(filename) as img:
        return np.array(img, dtype=dtype)


def sem_seg_metrics(conf_matrix: np.ndarray, class_names: list[str]) -> dict[str, float]:
    """Metrics in percent from an (N + 1, N + 1) confusion matrix (rows: predicted, columns: ground truth; the
    last column counts ignored pixels and is left out). Classes absent from the ground truth get NaN and are
    left out of the means."""
    n = len(class_names)
    acc = np.full(n, np.nan, dtype=np.float64)
    iou = np.full(n, np.nan, dtype=np.float64)
    tp = conf_matrix.diagonal()[:-1].astype(np.float64)
    pos_gt = conf_matrix[:-1, :-1].sum(axis=0).astype(np.float64)
    pos_pred = conf_matrix[:-1, :-1].sum(axis=1).astype(np.float64)
    class_weights = pos_gt / max(pos_gt.sum(), 1)
    acc_valid = pos_gt > 0
    acc[acc_valid] = tp[acc_valid] / pos_gt[acc_valid]
    union = pos_gt + pos_pred - tp
    iou_valid = acc_valid & (union > 0)
    iou[iou_valid] = tp[iou_valid] / union[iou_valid]
    res: dict[str, float] = {
        "mIoU": 100 * float(iou[iou_valid].sum() / max(iou_valid.sum(), 1)),
        "fwIoU": 100 * float((iou[iou_valid] * class_weights[iou_valid]).sum()),
    }
    for i, name in enumerate(class_names):
        res[f"IoU-{name}"] = 100 * float(iou[i])
    res["mACC"] = 100 * float(acc[acc_valid].sum() / max(acc_valid.sum(), 1))
    res["pACC"] = 100 * float(tp.sum() / max(pos_gt.sum(), 1))
    for i, name in enumerate(class_names):
        res[f"ACC-{name}"] = 100 * float(acc[i])
    return res


class SemSegEvaluator(DatasetEvaluator):
    """Evaluates `output["sem_seg"]` (C, H, W logits at the input's original size) against the dataset's
    `sem_seg_file_name` label images; pixels equal to `ignore_label` do not count."""

    def __init__(
        self,
        dataset_name: str,
        distributed: bool = True,
        output_dir: str | None = None,
        *,
        sem_seg_loading_fn: Callable[[str], np.ndarray] = load_image_into_numpy_array,
        num_classes: int | None = None,
        ignore_label: int | None = None,
    ):
        """
        Args:
            dataset_name: registered dataset whose dicts have "file_name" and "sem_seg_file_name", and whose
                metadata has `stuff_classes` and `ignore_label`.
            distributed: sum the confusion matrices of all ranks.
            output_dir: where to write `sem_seg_predictions.json` (RLE per class per image).
            sem_seg_loading_fn: reads a ground-truth label file into an (H, W) int array.
            num_classes, ignore_label: override the metadata.
        """
        self._dataset_name = dataset_name
        self._distributed = distributed
        self._output_dir = output_dir
        self.sem_seg_loading_fn = sem_seg_loading_fn
        self.input_file_to_gt_file = {
            d["file_name"]: d["sem_seg_file_name"] for d in DatasetCatalog.get(dataset_name) if "sem_seg_file_name" in d
        }
        meta = MetadataCatalog.get(dataset_name)
        self._class_names = list(meta.get("stuff_classes", None) or [])
        if num_classes is not None and self._class_names and num_classes != len(self._class_names):
            raise ValueError(
                f"SemSegEvaluator: num_classes={num_classes} but '{dataset_name}' lists "
                f"{len(self._class_names)} stuff_classes; make them agree."
            )
        if not self._class_names:
            if num_classes is None:
                raise ValueError(f"Dataset '{dataset_name}' has no stuff_classes in its metadata; pass num_classes.")
            self._class_names = [str(i) for i in range(num_classes)]
        self._num_classes = len(self._class_names)
        self._ignore_label = ignore_label if ignore_label is not None else meta.get("ignore_label", 255)
        stuff_map = meta.get("stuff_dataset_id_to_contiguous_id", None)
        self._contiguous_id_to_dataset_id = {v: k for k, v in stuff_map.items()} if stuff_map else None
        self.reset()

    def reset(self) -> None:
        self._conf_matrix = np.zeros((self._num_classes + 1, self._num_classes + 1), dtype=np.int64)
        self._predictions: list[dict] = []

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        n = self._num_classes
        for input, output in zip(inputs, outputs):
            pred = output["sem_seg"].max(dim=0).indices.cpu().numpy().astype(np.int64)  # argmax, faster
            gt_file = self.input_file_to_gt_file.get(input["file_name"])
            if gt_file is None:
                raise KeyError(
                    f"'{input['file_name']}' has no sem_seg_file_name in dataset '{self._dataset_name}'."
                )
            gt = self.sem_seg_loading_fn(gt_file).astype(np.int64)
            if gt.shape != pred.shape:
                raise ValueError(
                    f"Prediction of shape {pred.shape} for '{input['file_name']}' does not match its ground truth "
                    f"{gt.shape}; the model must resize sem_seg to the input's height and width."
                )
            gt = gt.copy()
            gt[gt == self._ignore_label] = n
            if ((gt < 0) | (gt > n)).any():
                raise ValueError(f"'{gt_file}' has labels outside [0, {n}) other than ignore_label.")
            self._conf_matrix += np.bincount(
                (n + 1) * pred.reshape(-1) + gt.reshape(-1), minlength=(n + 1) ** 2
            ).reshape(n + 1, n + 1)
            if self._output_dir:
                self._predictions.extend(self.encode_json_sem_seg(pred, input["file_name"]))

    def evaluate(self) -> dict | None:
        if self._distributed:
            from detectra.utils import comm

            comm.synchronize()
            conf_list = comm.all_gather(self._conf_matrix)
            predictions = list(itertools.chain(*comm.all_gather(self._predictions)))
            if not comm.is_main_process():
                return None
            conf = np.sum(conf_list, axis=0)
        else:
            conf, predictions = self._conf_matrix, self._predictions

        if self._output_dir:
            os.makedirs(self._output_dir, exist_ok=True)
            with open(os.path.join(self._output_dir, "sem_seg_predictions.json"), "w") as f:
                json.dump(predictions, f)
        res = sem_seg_metrics(conf, self._class_names)
        if self._output_dir:
            torch.save(res, os.path.join(self._output_dir, "sem_seg_evaluation.pth"))
        logger.info("Semantic segmentation results:\n" + small_table({k: v for k, v in res.items() if "-" not in k}))
        return OrderedDict({"sem_seg": res})

    def encode_json_sem_seg(self, sem_seg: np.ndarray, input_file_name: str) -> list[dict]:
        """One COCO-stuff-style record (RLE mask) per predicted class."""
        records = []
        for label in np.unique(sem_seg):
            category_id = int(label)
            if self._contiguous_id_to_dataset_id is not None:
                category_id = self._contiguous_id_to_dataset_id.get(category_id, category_id)
            rle = mask_util.encode(np.asfortranarray((sem_seg == label).astype(np.uint8)))
            rle["counts"] = rle["counts"].decode("utf-8")
            records.append({"file_name": input_file_name, "category_id": category_id, "segmentation": rle})
        return records
