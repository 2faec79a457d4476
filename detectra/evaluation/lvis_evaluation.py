"""LVIS evaluation: AP with the federated-annotation rules and the rare / common / frequent split.

The `lvis` package from PyPI needs opencv-python, which detectra does not depend on, so the LVIS protocol is
implemented here on top of pycocotools' per-image matching and accumulation. It differs from COCO in:
  1. at most `max_dets` (300) detections per image over all classes, the top-scoring ones;
  2. a class is evaluated on an image only when the image is annotated for it: it has ground truth of that class
     (positive) or lists it in `neg_category_ids` (verified absent); other detections are dropped;
  3. on images listing a class in `not_exhaustive_category_ids`, unmatched detections of it are ignored;
  4. APr / APc / APf average the per-class AP over the categories whose "frequency" is r / c / f.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import os
from collections import OrderedDict, defaultdict
from typing import Sequence

import numpy as np
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from detectra.data import MetadataCatalog
from detectra.utils import comm

from ._table import small_table
from .coco_eval_api import quiet
from .coco_evaluation import prediction_record
from .evaluator import DatasetEvaluator, tasks_from_config_argument
from .proposal_recall import evaluate_box_proposals

__all__ = ["LVISEvaluator", "evaluate_lvis", "load_lvis_api"]

logger = logging.getLogger(__name__)

_LVIS_METRICS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf"]


def load_lvis_api(json_file: str) -> COCO:
    """An LVIS json as a pycocotools COCO (LVIS has no crowd annotations; pycocotools needs the field)."""
    with quiet():
        api = COCO(json_file)
    for ann in api.dataset["annotations"]:
        ann.setdefault("iscrowd", 0)
    return api


def _filter_lvis_results(gt: COCO, results: list[dict], max_dets: int) -> list[dict]:
    """Rules 1 and 2: per image, keep the top `max_dets` results, then only classes the image is annotated for."""
    by_image: dict[int, list[dict]] = defaultdict(list)
    for r in results:
        by_image[r["image_id"]].append(r)
    kept = []
    for image_id, dets in by_image.items():
        if image_id not in gt.imgs:
            continue
        dets = sorted(dets, key=lambda d: -d["score"])[:max_dets]
        img = gt.imgs[image_id]
        positive = {gt.anns[a]["category_id"] for a in gt.getAnnIds(imgIds=[image_id])}
        annotated = positive | set(img.get("neg_category_ids", []))
        kept.extend(d for d in dets if d["category_id"] in annotated)
    return kept


def evaluate_lvis(gt: COCO, results: list[dict], iou_type: str, max_dets: int = 300) -> tuple[dict, COCOeval | None]:
    """LVIS metrics (fractions in [0, 1], -1 where undefined) of COCO-format `results` against an LVIS `gt`.

    Returns:
        ({"AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf", "AR@<max_dets>"}, evaluated COCOeval).
    """
    results = _filter_lvis_results(gt, copy.deepcopy(results), max_dets)
    if not results:
        return {m: -1.0 for m in _LVIS_METRICS}, None
    if iou_type == "segm":
        for r in results:
            r.pop("bbox", None)  # mask areas decide the area ranges
    with quiet():
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, iou_type)
        # One limit; it never binds per class since rule 1 already capped each image at max_dets in total.
        ev.params.maxDets = [max_dets]
        ev.evaluate()
        not_exhaustive = {(i, c) for i, img in gt.imgs.items() for c in img.get("not_exhaustive_category_ids", [])}
        for e in ev.evalImgs:
            if e is not None and (e["image_id"], e["category_id"]) in not_exhaustive:
                e["dtIgnore"] = np.logical_or(e["dtIgnore"], e["dtMatches"] == 0)  # rule 3
        ev.accumulate()

    precision = ev.eval["precision"]  # (T, R, K, A, 1)
    params = ev.params

    def _mean(values: np.ndarray) -> float:
        valid = values[values > -1]
        return float(np.mean(valid)) if valid.size else -1.0

    def _ap(iou: float | None = None, area: int = 0, cats: Sequence[int] | None = None) -> float:
        p = precision[:, :, :, area, 0]
        if iou is not None:
            p = p[np.where(np.isclose(params.iouThrs, iou))[0]]
        if cats is not None:
            p = p[:, :, list(cats)]
        return _mean(p)

    freq_groups: dict[str, list[int]] = {"r": [], "c": [], "f": []}
    for k, cat_id in enumerate(params.catIds):
        freq = gt.cats[cat_id].get("frequency")
        if freq in freq_groups:
            freq_groups[freq].append(k)
    stats = {
        "AP": _ap(),
        "AP50": _ap(0.5),
        "AP75": _ap(0.75),
        "APs": _ap(area=1),
        "APm": _ap(area=2),
        "APl": _ap(area=3),
        "APr": _ap(cats=freq_groups["r"]) if freq_groups["r"] else -1.0,
        "APc": _ap(cats=freq_groups["c"]) if freq_groups["c"] else -1.0,
        "APf": _ap(cats=freq_groups["f"]) if freq_groups["f"] else -1.0,
        f"AR@{max_dets}": _mean(ev.eval["recall"][:, :, 0, 0]),
    }
    return stats, ev


class LVISEvaluator(DatasetEvaluator):
    """LVIS AP of boxes / masks (and AR of proposals), with the frequency split r / c / f (percent)."""

    def __init__(
        self,
        dataset_name: str,
        tasks: Sequence[str] | None = None,
        distributed: bool = True,
        output_dir: str | None = None,
        *,
        max_dets_per_image: int | None = None,
    ):
        """
        Args:
            dataset_name: registered dataset whose metadata has `json_file` (an LVIS-format json).
            tasks: subset of ("bbox", "segm"); inferred from the predictions when None (also when it is a
                config: Detectron2's older form, accepted with a deprecation warning).
            distributed: gather predictions from all ranks.
            output_dir: where to write `lvis_instances_results.json` and `instances_predictions.pth`.
            max_dets_per_image: detections kept per image (LVIS: 300).
        """
        tasks, _ = tasks_from_config_argument(tasks, type(self).__name__)
        self._distributed = distributed
        self._output_dir = output_dir
        self._tasks = tuple(tasks) if tasks is not None else None
        self._max_dets_per_image = 300 if max_dets_per_image is None else max_dets_per_image
        self._metadata = MetadataCatalog.get(dataset_name)
        json_file = self._metadata.get("json_file", None)
        if json_file is None or not os.path.isfile(json_file):
            raise FileNotFoundError(f"LVISEvaluator needs the LVIS json of '{dataset_name}' (metadata json_file).")
        self._lvis_api = load_lvis_api(json_file)
        self._do_evaluation = len(self._lvis_api.dataset.get("annotations", [])) > 0
        self.reset()

    def reset(self) -> None:
        self._predictions: list[dict] = []

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        self._predictions.extend(prediction_record(input, output) for input, output in zip(inputs, outputs))

    def evaluate(self) -> dict:
        if self._distributed:
            comm.synchronize()
            predictions = list(itertools.chain(*comm.gather(self._predictions, dst=0)))
            if not comm.is_main_process():
                return {}
        else:
            predictions = self._predictions
        if len(predictions) == 0:
            logger.warning("[LVISEvaluator] Did not receive valid predictions.")
            return {}
        if self._output_dir:
            os.makedirs(self._output_dir, exist_ok=True)
            torch.save(predictions, os.path.join(self._output_dir, "instances_predictions.pth"))

        results: OrderedDict[str, dict] = OrderedDict()
        if "proposals" in predictions[0]:
            res = {}
            for limit in (100, 1000):
                for area, suffix in {"all": "", "small": "s", "medium": "m", "large": "l"}.items():
                    stats = evaluate_box_proposals(predictions, self._lvis_api, area=area, limit=limit)
                    res[f"AR{suffix}@{limit:d}"] = float(stats["ar"].item() * 100)
            results["box_proposals"] = res
        if "instances" in predictions[0]:
            lvis_results = list(itertools.chain(*[x["instances"] for x in predictions]))
            tasks = self._tasks or (("bbox", "segm") if any("segmentation" in r for r in lvis_results) else ("bbox",))
            # LVIS category ids are 1..N; a model predicts 0..N-1 (or the metadata's contiguous ids).
            to_contiguous = self._metadata.get("thing_dataset_id_to_contiguous_id", None)
            reverse = {v: k for k, v in to_contiguous.items()} if to_contiguous else None
            for r in lvis_results:
                r["category_id"] = reverse[r["category_id"]] if reverse else r["category_id"] + 1
            if self._output_dir:
                with open(os.path.join(self._output_dir, "lvis_instances_results.json"), "w") as f:
                    json.dump(lvis_results, f)
            if self._do_evaluation:
                for task in sorted(tasks):
                    stats, _ = evaluate_lvis(self._lvis_api, lvis_results, task, self._max_dets_per_image)
                    res = {m: (stats[m] * 100 if stats[m] >= 0 else float("nan")) for m in _LVIS_METRICS}
                    logger.info(f"LVIS {task} results:\n" + small_table(res))
                    results[task] = res
        return copy.deepcopy(results)
