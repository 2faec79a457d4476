"""COCO-protocol AP for rotated boxes: ``RotatedCOCOeval`` (IoU of rotated boxes) and ``RotatedCOCOEvaluator``.

Rotated boxes are COCO ``bbox`` entries with 5 values (cx, cy, w, h, angle in degrees, counter-clockwise), in the
ground-truth json and in the results; ``convert_to_coco_json`` writes them so for ``BoxMode.XYWHA_ABS`` datasets.
Axis-aligned 4-value boxes in the same files are evaluated as (x, y, w, h) with angle 0.
"""
from __future__ import annotations

import itertools
import json
import os
from typing import Any, Sequence

import numpy as np
import pycocotools.mask as mask_util
import torch
from pycocotools.cocoeval import COCOeval

from detectra.layers import pairwise_iou_rotated
from detectra.structures import BoxMode

from .coco_eval_api import coco_summary_stats, quiet
from .coco_evaluation import COCOEvaluator

__all__ = ["RotatedCOCOeval", "RotatedCOCOEvaluator"]


class RotatedCOCOeval(COCOeval):
    """pycocotools' ``COCOeval`` whose box IoU understands 5-value rotated boxes."""

    @staticmethod
    def is_rotated(box_list: Any) -> bool:
        """Whether ``box_list`` (ndarray[N, 4 or 5], Tensor, or list of boxes) holds rotated (5-value) boxes."""
        if isinstance(box_list, (np.ndarray, torch.Tensor)):
            return box_list.ndim == 2 and box_list.shape[-1] == 5
        if isinstance(box_list, list) and box_list:
            return all(len(box) == 5 for box in box_list)
        return False

    @staticmethod
    def boxlist_to_tensor(boxlist: Any, output_box_dim: int) -> torch.Tensor:
        """Boxes as Tensor[N, output_box_dim]; 4-value (x, y, w, h) boxes become (cx, cy, w, h, 0) when 5 are asked."""
        array = np.asarray(boxlist, dtype=np.float64)
        boxes = torch.from_numpy(array.reshape(-1, array.shape[-1] if array.ndim == 2 else output_box_dim))
        if boxes.shape[1] == output_box_dim:
            return boxes
        if boxes.shape[1] == 4 and output_box_dim == 5:
            return BoxMode.convert(boxes, BoxMode.XYWH_ABS, BoxMode.XYWHA_ABS)
        raise ValueError(f"Cannot turn {boxes.shape[1]}-value boxes into {output_box_dim}-value boxes.")

    def compute_iou_dt_gt(self, dt: Any, gt: Any, is_crowd: list[int]) -> np.ndarray:
        """IoU matrix (D, G) between detections and ground truth; for a crowd ground truth, the fraction of the
        detection covered by it (pycocotools' crowd rule)."""
        if not (self.is_rotated(dt) or self.is_rotated(gt)):
            return mask_util.iou(dt, gt, is_crowd)
        dt_t = self.boxlist_to_tensor(dt, 5)  # (D, 5)
        gt_t = self.boxlist_to_tensor(gt, 5)  # (G, 5)
        iou = pairwise_iou_rotated(dt_t, gt_t)  # (D, G)
        crowd = torch.as_tensor(np.asarray(is_crowd, dtype=bool)).reshape(-1)
        if crowd.any():
            area_dt = (dt_t[:, 2] * dt_t[:, 3])[:, None]
            area_gt = (gt_t[:, 2] * gt_t[:, 3])[None, :]
            inter = iou * (area_dt + area_gt) / (1 + iou)  # from iou = inter / (a_dt + a_gt - inter)
            iou = torch.where(crowd[None, :], inter / area_dt.clamp(min=1e-12), iou)
        return iou.numpy()

    def computeIoU(self, imgId: int, catId: int) -> np.ndarray | list:
        """IoU between the top-``maxDets[-1]`` detections (by score) and the ground truth of one image / category."""
        p = self.params
        if p.useCats:
            gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]
        else:
            gt = [g for c in p.catIds for g in self._gts[imgId, c]]
            dt = [d for c in p.catIds for d in self._dts[imgId, c]]
        if len(gt) == 0 or len(dt) == 0:
            return []
        order = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[i] for i in order][: p.maxDets[-1]]
        if p.iouType != "bbox":
            raise ValueError(f"RotatedCOCOeval evaluates boxes only (iouType='bbox'), not '{p.iouType}'.")
        g = [x["bbox"] for x in gt]
        d = [x["bbox"] for x in dt]
        return self.compute_iou_dt_gt(d, g, [int(x["iscrowd"]) for x in gt])


class RotatedCOCOEvaluator(COCOEvaluator):
    """Box AP (COCO protocol) of models that predict ``RotatedBoxes`` (e.g. RRPN + rotated Fast R-CNN).

    Same arguments and outputs as :class:`COCOEvaluator`; only the "bbox" task, with rotated IoU.
    """

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        for input, output in zip(inputs, outputs):
            prediction: dict[str, Any] = {"image_id": input["image_id"]}
            if "instances" in output:
                instances = output["instances"].to(self._cpu_device)
                prediction["instances"] = self.instances_to_json(instances, input["image_id"])
            if "proposals" in output:
                prediction["proposals"] = output["proposals"].to(self._cpu_device)
            if len(prediction) > 1:
                self._predictions.append(prediction)

    def instances_to_json(self, instances: Any, img_id: int) -> list[dict]:
        """COCO results records of one image's ``Instances`` (``pred_boxes``: RotatedBoxes or Boxes)."""
        num_instance = len(instances)
        if num_instance == 0:
            return []
        boxes = instances.pred_boxes.tensor.numpy()
        if boxes.shape[1] == 4:
            boxes = BoxMode.convert(boxes, BoxMode.XYXY_ABS, BoxMode.XYWH_ABS)
        scores = instances.scores.tolist()
        classes = instances.pred_classes.tolist()
        return [
            {"image_id": img_id, "category_id": classes[k], "bbox": boxes[k].tolist(), "score": scores[k]}
            for k in range(num_instance)
        ]

    def _tasks_from_predictions(self, predictions: list[dict]) -> tuple[str, ...]:
        return ("bbox",)

    def _eval_predictions(self, predictions: list[dict], img_ids: Sequence[int] | None = None) -> None:
        self._logger.info("Preparing results in the COCO format ...")
        coco_results = list(itertools.chain(*[x["instances"] for x in predictions]))
        if hasattr(self._metadata, "thing_dataset_id_to_contiguous_id"):
            reverse = {v: k for k, v in self._metadata.thing_dataset_id_to_contiguous_id.items()}
            for result in coco_results:
                result["category_id"] = reverse[result["category_id"]]
        if self._output_dir:
            with open(os.path.join(self._output_dir, "coco_instances_results.json"), "w") as f:
                json.dump(coco_results, f)
        if not self._do_evaluation:
            self._logger.info("Annotations are not available for evaluation.")
            return
        self._logger.info("Evaluating predictions with rotated-box IoU ...")
        if self._tasks is not None and set(self._tasks) != {"bbox"}:
            raise ValueError(f"RotatedCOCOEvaluator evaluates the 'bbox' task only, got tasks {self._tasks}.")
        coco_eval = self._evaluate_rotated(coco_results, img_ids) if coco_results else None
        self._results["bbox"] = self._derive_coco_results(
            coco_eval, "bbox", class_names=self._metadata.get("thing_classes")
        )

    def _evaluate_rotated(self, coco_results: list[dict], img_ids: Sequence[int] | None) -> RotatedCOCOeval:
        with quiet():
            coco_dt = self._coco_api.loadRes(coco_results)
            coco_eval = RotatedCOCOeval(self._coco_api, coco_dt, iouType="bbox")
            coco_eval.params.maxDets = list(self._max_dets_per_image)
            if img_ids is not None:
                coco_eval.params.imgIds = list(img_ids)
            coco_eval.evaluate()
            coco_eval.accumulate()
        coco_eval.stats = coco_summary_stats(coco_eval, "bbox")
        return coco_eval
