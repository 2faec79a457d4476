"""COCO-style evaluation of boxes, masks, keypoints and proposals."""

from __future__ import annotations

import copy
import itertools
import json
import logging
import os
import pickle
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
import pycocotools.mask as mask_util
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from detectra.data import MetadataCatalog
from detectra.utils import comm

from ._table import pairs_table, small_table
from .coco_eval_api import COCOevalMaxDets, evaluate_predictions_on_coco, has_fast_impl, print_summary, quiet  # noqa: F401
from .evaluator import DatasetEvaluator, tasks_from_config_argument
from .fast_eval_api import COCOeval_opt
from .proposal_recall import evaluate_box_proposals

__all__ = ["COCOEvaluator", "instances_to_coco_json", "prediction_record"]

_METRICS = {
    "bbox": ["AP", "AP50", "AP75", "APs", "APm", "APl"],
    "segm": ["AP", "AP50", "AP75", "APs", "APm", "APl"],
    "keypoints": ["AP", "AP50", "AP75", "APm", "APl"],
}


class COCOEvaluator(DatasetEvaluator):
    """AP of boxes / masks / keypoints (and AR of proposals) with the COCO protocol.

    Writes `coco_instances_results.json` (detections in COCO results format), `instances_predictions.pth` and
    `coco_eval_{task}_precision.npz` (the `(T, R, K, A, M)` precision array and its axes, for PR curves) into
    `output_dir`, and returns `{task: {"AP": ..., "AP50": ..., "AP-<class>": ...}}` in percent.
    """

    def __init__(
        self,
        dataset_name: str,
        tasks: Sequence[str] | None = None,
        distributed: bool = True,
        output_dir: str | None = None,
        *,
        max_dets_per_image: int | None = None,
        use_fast_impl: bool = True,
        kpt_oks_sigmas: Sequence[float] = (),
        allow_cached_coco: bool = True,
    ):
        """
        Args:
            dataset_name: a dataset registered in DatasetCatalog / MetadataCatalog. Its metadata's `json_file`
                is the ground truth; when it has none, the dataset dicts are converted to a COCO json in
                `output_dir` (cached there).
            tasks: subset of ("bbox", "segm", "keypoints"); inferred from the predictions when None. A config
                (Detectron2's older `COCOEvaluator(name, cfg, distributed, output_dir)` form) is accepted with a
                deprecation warning: tasks are then inferred, and `kpt_oks_sigmas` defaults to its
                `TEST.KEYPOINT_OKS_SIGMAS`.
            distributed: gather predictions from all ranks and evaluate on the main one.
            output_dir: where to write results and predictions (optional).
            max_dets_per_image: the largest detection limit (COCO's default 100); the limits are [1, 10, this].
            use_fast_impl: use faster-coco-eval when installed (same numbers as pycocotools, faster).
            kpt_oks_sigmas: per-keypoint OKS sigmas (cfg.TEST.KEYPOINT_OKS_SIGMAS); COCO's person ones if empty.
            allow_cached_coco: reuse a json converted earlier into `output_dir`.
        """
        self._logger = logging.getLogger(__name__)
        tasks, cfg = tasks_from_config_argument(tasks, type(self).__name__)
        if cfg is not None and not kpt_oks_sigmas:
            kpt_oks_sigmas = cfg.TEST.KEYPOINT_OKS_SIGMAS
        self._distributed = distributed
        self._output_dir = output_dir
        if use_fast_impl and not has_fast_impl():
            self._logger.info("faster-coco-eval is not installed; COCOEvaluator uses pycocotools (same numbers).")
        self._use_fast_impl = use_fast_impl
        self._max_dets_per_image = [1, 10, 100] if max_dets_per_image is None else [1, 10, max_dets_per_image]
        self._tasks = tuple(tasks) if tasks is not None else None
        if self._tasks is not None:
            unknown = set(self._tasks) - set(_METRICS)
            if unknown:
                raise ValueError(f"COCOEvaluator got unknown tasks {sorted(unknown)}; use {sorted(_METRICS)}.")
        self._cpu_device = torch.device("cpu")

        self._metadata = MetadataCatalog.get(dataset_name)
        if not hasattr(self._metadata, "json_file"):
            if output_dir is None:
                raise ValueError(
                    f"Dataset '{dataset_name}' has no json_file in its metadata, so COCOEvaluator must convert it "
                    "to COCO json first; pass output_dir to say where to write it."
                )
            from detectra.data.datasets.coco import convert_to_coco_json

            cache_path = os.path.join(output_dir, f"{dataset_name}_coco_format.json")
            self._logger.info(f"Converting dataset '{dataset_name}' to COCO format at {cache_path}")
            convert_to_coco_json(dataset_name, cache_path, allow_cached=allow_cached_coco)
            self._metadata.json_file = cache_path

        json_file = self._metadata.json_file
        if not os.path.isfile(json_file):
            raise FileNotFoundError(f"Ground truth json '{json_file}' of dataset '{dataset_name}' does not exist.")
        with quiet():
            self._coco_api = COCO(json_file)
        # Test-dev style jsons carry no annotations: then we only write the results file.
        self._do_evaluation = "annotations" in self._coco_api.dataset
        if self._do_evaluation:
            self._kpt_oks_sigmas = kpt_oks_sigmas
        self.reset()

    def reset(self) -> None:
        self._predictions: list[dict] = []
        self._output_tasks: set[str] = set()  # what the model predicts, known even when it detects nothing

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        """Convert each output's `instances` to COCO json records and keep `proposals` as Instances."""
        for input, output in zip(inputs, outputs):
            prediction = prediction_record(input, output)
            if len(prediction) > 1:
                self._predictions.append(prediction)
            if "instances" in output:
                fields = output["instances"].get_fields()
                self._output_tasks |= {t for t, f in (("segm", "pred_masks"), ("keypoints", "pred_keypoints"))
                                       if f in fields}  # fmt: skip

    def evaluate(self, img_ids: Sequence[int] | None = None) -> dict:
        """Gather predictions across ranks and evaluate them.

        Args:
            img_ids: evaluate only these image ids (all by default).
        """
        if self._distributed:
            comm.synchronize()
            gathered = comm.gather((self._predictions, self._output_tasks), dst=0)
            if not comm.is_main_process():
                return {}
            predictions = list(itertools.chain(*[p for p, _ in gathered]))
            self._output_tasks = set().union(*[t for _, t in gathered])
        else:
            predictions = self._predictions

        if len(predictions) == 0:
            self._logger.warning("[COCOEvaluator] Did not receive valid predictions.")
            return {}

        if self._output_dir:
            os.makedirs(self._output_dir, exist_ok=True)
            torch.save(predictions, os.path.join(self._output_dir, "instances_predictions.pth"))

        self._results: OrderedDict[str, dict] = OrderedDict()
        if "proposals" in predictions[0]:
            self._eval_box_proposals(predictions)
        if "instances" in predictions[0]:
            self._eval_predictions(predictions, img_ids=img_ids)
        return copy.deepcopy(self._results)

    def _tasks_from_predictions(self, predictions: list[dict]) -> tuple[str, ...]:
        tasks = {"bbox", *self._output_tasks}  # a Mask R-CNN that detects nothing: segm too
        for pred in predictions:
            if "segmentation" in pred:
                tasks.add("segm")
            if "keypoints" in pred:
                tasks.add("keypoints")
        return tuple(sorted(tasks))

    def _check_tasks_have_outputs(self, tasks: Sequence[str], coco_results: list[dict]) -> None:
        # without this, pycocotools fails on the first result with a bare KeyError
        needs = {"segm": ("segmentation", "pred_masks"), "keypoints": ("keypoints", "pred_keypoints")}
        for task in tasks:
            if task in needs and coco_results and needs[task][0] not in coco_results[0]:
                raise ValueError(
                    f"COCOEvaluator('{self._metadata.name}') was asked to evaluate '{task}', but the model's "
                    f"predictions have no {needs[task][1]}: leave '{task}' out of tasks=, or evaluate a model that "
                    f"predicts them."
                )

    def _eval_predictions(self, predictions: list[dict], img_ids: Sequence[int] | None = None) -> None:
        self._logger.info("Preparing results for COCO format ...")
        coco_results = list(itertools.chain(*[x["instances"] for x in predictions]))
        tasks = self._tasks or self._tasks_from_predictions(coco_results)

        # Models predict contiguous ids in [0, num_classes); the json has its own (COCO's are 1..90 with gaps).
        if hasattr(self._metadata, "thing_dataset_id_to_contiguous_id"):
            dataset_id_to_contiguous_id = self._metadata.thing_dataset_id_to_contiguous_id
            contiguous_to_dataset_id = {v: k for k, v in dataset_id_to_contiguous_id.items()}
            num_classes = len(contiguous_to_dataset_id)
            for result in coco_results:
                category_id = result["category_id"]
                if category_id not in contiguous_to_dataset_id:
                    raise ValueError(
                        f"A prediction has class {category_id}, outside the dataset's {num_classes} classes "
                        f"[0, {num_classes - 1}]; check MODEL.*.NUM_CLASSES against the dataset."
                    )
                result["category_id"] = contiguous_to_dataset_id[category_id]

        if self._output_dir:
            file_path = os.path.join(self._output_dir, "coco_instances_results.json")
            self._logger.info(f"Saving results to {file_path}")
            with open(file_path, "w") as f:
                json.dump(coco_results, f)

        if not self._do_evaluation:
            self._logger.info("Annotations are not available for evaluation.")
            return

        self._check_tasks_have_outputs(tasks, coco_results)
        self._logger.info(f"Evaluating predictions with {'fast' if self._use_fast_impl else 'official'} COCO API...")
        for task in sorted(tasks):
            coco_eval = evaluate_predictions_on_coco(
                self._coco_api,
                coco_results,
                task,
                kpt_oks_sigmas=self._kpt_oks_sigmas,
                use_fast_impl=self._use_fast_impl,
                img_ids=img_ids,
                max_dets_per_image=self._max_dets_per_image,
            )
            if self._output_dir:  # without detections too: PR curves at 0, so a run's files do not depend on luck
                self._save_precision(coco_eval, task)
            self._results[task] = self._derive_coco_results(
                coco_eval if coco_results else None, task, class_names=self._metadata.get("thing_classes")
            )

    def _save_precision(self, coco_eval: Any, task: str) -> None:
        """Keep the raw precision/recall arrays so per-class PR curves can be drawn later."""
        params = coco_eval.params
        cat_ids = list(params.catIds)
        names = self._metadata.get("thing_classes")
        if names is not None and hasattr(self._metadata, "thing_dataset_id_to_contiguous_id"):
            to_contiguous = self._metadata.thing_dataset_id_to_contiguous_id
            class_names = [names[to_contiguous[c]] if c in to_contiguous else str(c) for c in cat_ids]
        else:
            class_names = [self._coco_api.cats[c]["name"] for c in cat_ids]
        np.savez_compressed(
            os.path.join(self._output_dir, f"coco_eval_{task}_precision.npz"),
            precision=coco_eval.eval["precision"],  # (T, R, K, A, M)
            recall=coco_eval.eval["recall"],  # (T, K, A, M)
            iou_thrs=np.asarray(params.iouThrs),
            rec_thrs=np.asarray(params.recThrs),
            cat_ids=np.asarray(cat_ids),
            class_names=np.asarray(class_names),
            area_labels=np.asarray(params.areaRngLbl),
            max_dets=np.asarray(params.maxDets),
        )

    def _eval_box_proposals(self, predictions: list[dict]) -> None:
        """AR of proposals at 100 and 1000, over all, small, medium and large objects (in percent)."""
        if self._output_dir:
            # Saved in Detectron2's layout so that precomputed-proposal datasets can read them back.
            ids, boxes, objectness_logits = [], [], []
            for prediction in predictions:
                ids.append(prediction["image_id"])
                boxes.append(prediction["proposals"].proposal_boxes.tensor.numpy())
                objectness_logits.append(prediction["proposals"].objectness_logits.numpy())
            proposal_data = {"boxes": boxes, "objectness_logits": objectness_logits, "ids": ids, "bbox_mode": 0}
            with open(os.path.join(self._output_dir, "box_proposals.pkl"), "wb") as f:
                pickle.dump(proposal_data, f, pickle.HIGHEST_PROTOCOL)

        if not self._do_evaluation:
            self._logger.info("Annotations are not available for evaluation.")
            return
        self._logger.info("Evaluating bbox proposals ...")
        res = {}
        areas = {"all": "", "small": "s", "medium": "m", "large": "l"}
        for limit in (100, 1000):
            for area, suffix in areas.items():
                stats = evaluate_box_proposals(predictions, self._coco_api, area=area, limit=limit)
                res[f"AR{suffix}@{limit:d}"] = float(stats["ar"].item() * 100)
        self._logger.info("Proposal metrics: \n" + small_table(res))
        self._results["box_proposals"] = res

    def _derive_coco_results(self, coco_eval: Any, iou_type: str, class_names: list[str] | None = None) -> dict:
        """Summary metrics in percent (NaN where undefined) plus `AP-<class>` for every class."""
        metrics = _METRICS[iou_type]
        if coco_eval is None:  # Detectron2 reports NaN, not COCO's 0, for a model that detects nothing
            self._logger.warning("No predictions from the model!")
            return {metric: float("nan") for metric in metrics}

        results = {
            metric: float(coco_eval.stats[idx] * 100 if coco_eval.stats[idx] >= 0 else "nan")
            for idx, metric in enumerate(metrics)
        }
        self._logger.info(f"Evaluation results for {iou_type}: \n" + small_table(results))
        if not np.isfinite(sum(results.values())):
            self._logger.info("Some metrics cannot be computed and are shown as NaN.")
        if class_names is None or len(class_names) <= 1:
            return results

        precisions = coco_eval.eval["precision"]  # (iou, recall, class, area range, max dets)
        if len(class_names) != precisions.shape[2]:
            raise ValueError(
                f"Metadata lists {len(class_names)} thing_classes but the ground truth json has "
                f"{precisions.shape[2]} categories; make them agree."
            )
        per_category = []
        for idx, name in enumerate(class_names):
            precision = precisions[:, :, idx, 0, -1]  # area "all", largest detection limit
            precision = precision[precision > -1]
            ap = float(np.mean(precision)) if precision.size else float("nan")
            per_category.append((str(name), ap * 100))
        self._logger.info(f"Per-category {iou_type} AP: \n" + pairs_table(per_category, "category", "AP"))
        results.update({"AP-" + name: ap for name, ap in per_category})
        return results


def prediction_record(input: dict, output: dict) -> dict[str, Any]:
    """What the COCO-style evaluators keep of one image: ``{"image_id", "instances", "proposals"}``, the last two
    where the model's output has them ("instances" as COCO json records, "proposals" as Instances on the CPU)."""
    prediction: dict[str, Any] = {"image_id": input["image_id"]}
    if "instances" in output:
        prediction["instances"] = instances_to_coco_json(output["instances"].to("cpu"), input["image_id"])
    if "proposals" in output:
        prediction["proposals"] = output["proposals"].to("cpu")
    return prediction


def instances_to_coco_json(instances: Any, img_id: int) -> list[dict]:
    """Convert a model's `Instances` for one image to COCO results records.

    Args:
        instances: with `pred_boxes` (Boxes, XYXY_ABS), `scores` (N,), `pred_classes` (N,) and optionally
            `pred_masks` (N, H, W bool) and `pred_keypoints` (N, K, 3: x, y, score).
        img_id: the image id.

    Returns:
        One dict per instance: image_id, category_id (the contiguous id, as predicted), bbox (XYWH_ABS), score,
        and segmentation (RLE with a str "counts") / keypoints (flat [x, y, score] * K) when predicted.
    """
    num_instances = len(instances)
    if num_instances == 0:
        return []

    boxes = instances.pred_boxes.tensor.numpy().astype(np.float64)
    boxes[:, 2:] -= boxes[:, :2]  # XYXY -> XYWH
    boxes = boxes.tolist()
    scores = instances.scores.tolist()
    classes = instances.pred_classes.tolist()

    rles = None
    if instances.has("pred_masks"):
        masks = instances.pred_masks
        masks = masks.numpy() if isinstance(masks, torch.Tensor) else np.asarray(masks.tensor)
        # pycocotools wants Fortran-ordered uint8 (H, W, N).
        rles = mask_util.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
        for rle in rles:
            rle["counts"] = rle["counts"].decode("utf-8")  # bytes are not json-serializable

    keypoints = None
    if instances.has("pred_keypoints"):
        keypoints = instances.pred_keypoints.clone()
        # COCO keypoint annotations are integer pixel indices, while our coordinates are continuous with
        # pixel centres at +0.5: shift back so the two agree.
        keypoints[:, :, :2] -= 0.5

    results = []
    for k in range(num_instances):
        result: dict[str, Any] = {
            "image_id": img_id,
            "category_id": classes[k],
            "bbox": boxes[k],
            "score": scores[k],
        }
        if rles is not None:
            result["segmentation"] = rles[k]
        if keypoints is not None:
            result["keypoints"] = keypoints[k].flatten().tolist()
        results.append(result)
    return results


# Detectron2's module-level name, which proposal-evaluation scripts import from here.
_evaluate_box_proposals = evaluate_box_proposals


def _evaluate_predictions_on_coco(
    coco_gt: COCO,
    coco_results: list[dict],
    iou_type: str,
    kpt_oks_sigmas: Sequence[float] | None = None,
    cocoeval_fn: type = COCOeval_opt,
    img_ids: Sequence[int] | None = None,
    max_dets_per_image: Sequence[int] | None = None,
    *,
    use_fast_impl: bool | None = None,
) -> Any:
    """Detectron2's module-level COCO evaluation, with its signature, for the code that imports it (custom
    evaluators, result-file scripts). New code: :func:`detectra.evaluation.coco_eval_api.evaluate_predictions_on_coco`.

    Args:
        coco_gt, coco_results, iou_type, kpt_oks_sigmas, img_ids, max_dets_per_image: as in
            ``evaluate_predictions_on_coco``.
        cocoeval_fn: the evaluator class: ``COCOeval_opt`` (the fast backend), pycocotools' ``COCOeval``, or a
            subclass of it.
        use_fast_impl: Detectron2 before 0.6 chose the backend with this flag; it overrides ``cocoeval_fn``.

    Returns:
        The evaluated COCOeval object with ``.stats`` filled; the summary table is printed (by the class's own
        ``summarize()`` for a custom ``cocoeval_fn``).
    """
    if use_fast_impl is not None:
        cocoeval_fn = COCOeval_opt if use_fast_impl else COCOeval
    builtin = cocoeval_fn in (COCOeval_opt, COCOeval)
    coco_eval = evaluate_predictions_on_coco(
        coco_gt, coco_results, iou_type, kpt_oks_sigmas, use_fast_impl=cocoeval_fn is COCOeval_opt, img_ids=img_ids,
        max_dets_per_image=max_dets_per_image, cocoeval_cls=None if builtin else cocoeval_fn,
    )
    if builtin:
        print_summary(coco_eval)
    else:  # a custom class's own summary, as Detectron2 runs it (it may override summarize())
        coco_eval.summarize()
    return coco_eval
