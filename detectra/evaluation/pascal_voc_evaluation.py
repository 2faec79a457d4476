"""Pascal VOC detection AP (VOC2007 11-point or area under the PR curve), AP50 / AP75 / AP over 0.5:0.95."""

from __future__ import annotations

import functools
import logging
import os
import xml.etree.ElementTree as ET
from collections import OrderedDict, defaultdict

import numpy as np
import torch

from detectra.data import MetadataCatalog
from detectra.utils import comm

from ._table import small_table
from .evaluator import DatasetEvaluator

__all__ = ["PascalVOCDetectionEvaluator", "voc_ap", "voc_eval"]

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def parse_rec(filename: str) -> list[dict]:
    """Objects of one VOC annotation xml: name, difficult, bbox [xmin, ymin, xmax, ymax] (1-based, inclusive)."""
    tree = ET.parse(filename)
    objects = []
    for obj in tree.findall("object"):
        bbox = obj.find("bndbox")
        difficult = obj.find("difficult")
        objects.append(
            {
                "name": obj.find("name").text,
                "difficult": int(difficult.text) if difficult is not None else 0,
                "bbox": [int(float(bbox.find(k).text)) for k in ("xmin", "ymin", "xmax", "ymax")],
            }
        )
    return objects


def voc_ap(rec: np.ndarray, prec: np.ndarray, use_07_metric: bool = False) -> float:
    """AP from a PR curve: VOC2007's 11-point interpolation, or the exact area under the monotone envelope."""
    if use_07_metric:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):
            p = np.max(prec[rec >= t]) if np.any(rec >= t) else 0.0
            ap += p / 11.0
        return float(ap)
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]  # precision envelope: best precision at any higher recall
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def voc_eval(
    detections: list[tuple[str, float, list[float]]],
    annopath: str,
    image_ids: list[str],
    classname: str,
    ovthresh: float = 0.5,
    use_07_metric: bool = False,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Recall, precision and AP of one class, with VOC's rules: "difficult" objects are neither hits nor
    misses, a second detection of a matched object is a false positive, IoU uses inclusive pixel coordinates.

    Args:
        detections: (image_id, score, [xmin, ymin, xmax, ymax] 1-based) of this class.
        annopath: xml path template with one "{}" for the image id.
        image_ids: the images of the split.
    """
    class_recs = {}
    npos = 0
    for image_id in image_ids:
        objs = [o for o in parse_rec(annopath.format(image_id)) if o["name"] == classname]
        bbox = np.array([o["bbox"] for o in objs], dtype=np.float64).reshape(-1, 4)
        difficult = np.array([o["difficult"] for o in objs], dtype=bool)
        npos += int((~difficult).sum())
        class_recs[image_id] = {"bbox": bbox, "difficult": difficult, "det": np.zeros(len(objs), dtype=bool)}

    if not detections:
        return np.zeros(0), np.zeros(0), 0.0
    order = np.argsort([-d[1] for d in detections], kind="stable")
    tp = np.zeros(len(detections))
    fp = np.zeros(len(detections))
    for d, idx in enumerate(order):
        image_id, _, box = detections[idx]
        rec = class_recs.get(image_id)
        if rec is None:
            raise KeyError(f"Detection for image '{image_id}', which is not in the '{classname}' split's image set.")
        bb = np.asarray(box, dtype=np.float64)
        gt = rec["bbox"]
        ovmax, jmax = -np.inf, -1
        if gt.size > 0:
            iw = np.maximum(np.minimum(gt[:, 2], bb[2]) - np.maximum(gt[:, 0], bb[0]) + 1.0, 0.0)
            ih = np.maximum(np.minimum(gt[:, 3], bb[3]) - np.maximum(gt[:, 1], bb[1]) + 1.0, 0.0)
            inters = iw * ih
            union = (
                (bb[2] - bb[0] + 1.0) * (bb[3] - bb[1] + 1.0)
                + (gt[:, 2] - gt[:, 0] + 1.0) * (gt[:, 3] - gt[:, 1] + 1.0)
                - inters
            )
            overlaps = inters / union
            jmax = int(np.argmax(overlaps))
            ovmax = overlaps[jmax]
        if ovmax > ovthresh:
            if not rec["difficult"][jmax]:
                if not rec["det"][jmax]:
                    tp[d] = 1.0
                    rec["det"][jmax] = True
                else:
                    fp[d] = 1.0
        else:
            fp[d] = 1.0

    fp = np.cumsum(fp)
    tp = np.cumsum(tp)
    recall = tp / max(float(npos), np.finfo(np.float64).eps)
    precision = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return recall, precision, voc_ap(recall, precision, use_07_metric)


class PascalVOCDetectionEvaluator(DatasetEvaluator):
    """VOC detection AP from the dataset's xml annotations (metadata: dirname, split, year, thing_classes).

    Results (percent): "AP" (mean over IoU 0.50:0.95), "AP50", "AP75", computed with VOC2007's 11-point metric
    when year == 2007 and with the area metric otherwise.
    """

    def __init__(self, dataset_name: str):
        meta = MetadataCatalog.get(dataset_name)
        for key in ("dirname", "split", "year", "thing_classes"):
            if not hasattr(meta, key):
                raise ValueError(f"PascalVOCDetectionEvaluator needs metadata '{key}' for dataset '{dataset_name}'.")
        self._dataset_name = dataset_name
        self._anno_file_template = os.path.join(meta.dirname, "Annotations", "{}.xml")
        self._image_set_path = os.path.join(meta.dirname, "ImageSets", "Main", meta.split + ".txt")
        self._class_names = list(meta.thing_classes)
        self._is_2007 = int(meta.year) == 2007
        self.reset()

    def reset(self) -> None:
        self._predictions: dict[int, list[tuple[str, float, list[float]]]] = defaultdict(list)

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        for input, output in zip(inputs, outputs):
            image_id = str(input["image_id"])
            instances = output["instances"].to(torch.device("cpu"))
            boxes = instances.pred_boxes.tensor.numpy().astype(np.float64)
            scores = instances.scores.tolist()
            classes = instances.pred_classes.tolist()
            for box, score, cls in zip(boxes, scores, classes):
                # Our boxes are 0-based continuous; VOC's xml coordinates are 1-based pixel indices.
                xmin, ymin, xmax, ymax = box[0] + 1, box[1] + 1, box[2], box[3]
                self._predictions[cls].append((image_id, score, [xmin, ymin, xmax, ymax]))

    def evaluate(self) -> dict | None:
        all_predictions = comm.gather(dict(self._predictions), dst=0)
        if not comm.is_main_process():
            return None
        predictions: dict[int, list] = defaultdict(list)
        for per_rank in all_predictions:
            for cls, lines in per_rank.items():
                predictions[cls].extend(lines)

        with open(self._image_set_path) as f:
            image_ids = [line.strip() for line in f if line.strip()]
        logger.info(
            f"Evaluating {self._dataset_name} using {2007 if self._is_2007 else 2012} metric. "
            "Note that results do not use the official Matlab API."
        )
        aps: dict[int, list[float]] = defaultdict(list)
        for cls_id, cls_name in enumerate(self._class_names):
            for thresh in range(50, 100, 5):
                _, _, ap = voc_eval(
                    predictions.get(cls_id, []),
                    self._anno_file_template,
                    image_ids,
                    cls_name,
                    ovthresh=thresh / 100.0,
                    use_07_metric=self._is_2007,
                )
                aps[thresh].append(ap * 100)
        mean_ap = {t: float(np.mean(v)) for t, v in aps.items()}
        res = {"AP": float(np.mean(list(mean_ap.values()))), "AP50": mean_ap[50], "AP75": mean_ap[75]}
        logger.info("VOC results:\n" + small_table(res))
        return OrderedDict({"bbox": res})
