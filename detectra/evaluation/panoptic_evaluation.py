"""COCO panoptic evaluation: writes the predicted PNGs and json, then computes PQ / SQ / RQ."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import logging
import os
import tempfile
from collections import OrderedDict

import numpy as np
from PIL import Image

from detectra.data import MetadataCatalog
from detectra.utils import comm

from ._table import format_table
from .evaluator import DatasetEvaluator
from .panoptic_quality import id2rgb, pq_compute

__all__ = ["COCOPanopticEvaluator"]

logger = logging.getLogger(__name__)


class COCOPanopticEvaluator(DatasetEvaluator):
    """PQ, SQ, RQ for all / things / stuff (percent), from `output["panoptic_seg"] = (ids (H, W), segments_info)`.

    The dataset's metadata needs `panoptic_json` and `panoptic_root` (COCO panoptic ground truth) and the
    maps `thing_dataset_id_to_contiguous_id` / `stuff_dataset_id_to_contiguous_id` to turn predicted
    contiguous category ids back into the json's ids. When `segments_info` is None, ids are read as
    `category * label_divisor + instance` with -1 for VOID.
    """

    def __init__(self, dataset_name: str, output_dir: str | None = None):
        self._metadata = MetadataCatalog.get(dataset_name)
        for key in ("panoptic_json", "panoptic_root"):
            if not hasattr(self._metadata, key):
                raise ValueError(f"COCOPanopticEvaluator needs metadata '{key}' for dataset '{dataset_name}'.")
        things = self._metadata.get("thing_dataset_id_to_contiguous_id", {}) or {}
        stuff = self._metadata.get("stuff_dataset_id_to_contiguous_id", {}) or {}
        self._thing_contiguous_id_to_dataset_id = {v: k for k, v in things.items()}
        self._stuff_contiguous_id_to_dataset_id = {v: k for k, v in stuff.items()}
        self._output_dir = output_dir
        if output_dir:
            os.makedirs(output_dir, exist_ok=True)
        self.reset()

    def reset(self) -> None:
        self._predictions: list[dict] = []

    def _convert_category_id(self, segment_info: dict) -> dict:
        segment_info = dict(segment_info)
        isthing = segment_info.pop("isthing", None)
        if isthing is None:  # already in the dataset's ids
            return segment_info
        mapping = self._thing_contiguous_id_to_dataset_id if isthing else self._stuff_contiguous_id_to_dataset_id
        cat = segment_info["category_id"]
        if cat not in mapping:
            kind = "thing" if isthing else "stuff"
            raise KeyError(f"Predicted {kind} category {cat} is not in the dataset's {kind} id map.")
        segment_info["category_id"] = mapping[cat]
        return segment_info

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        for input, output in zip(inputs, outputs):
            panoptic_img, segments_info = output["panoptic_seg"]
            panoptic_img = panoptic_img.cpu().numpy().astype(np.int64) if hasattr(panoptic_img, "cpu") else np.asarray(
                panoptic_img, dtype=np.int64
            )
            if segments_info is None:
                label_divisor = self._metadata.label_divisor
                thing_ids = set(self._thing_contiguous_id_to_dataset_id)
                segments_info = []
                for label in np.unique(panoptic_img):
                    if label == -1:
                        continue
                    category = int(label) // label_divisor
                    segments_info.append({"id": int(label) + 1, "category_id": category, "isthing": category in thing_ids})
                panoptic_img = panoptic_img + 1  # the COCO panoptic format uses 0 for VOID
            file_name = os.path.splitext(os.path.basename(input["file_name"]))[0] + ".png"
            with io.BytesIO() as out:
                Image.fromarray(id2rgb(panoptic_img)).save(out, format="PNG")
                png = out.getvalue()
            self._predictions.append(
                {
                    "image_id": input["image_id"],
                    "file_name": file_name,
                    "png_string": png,
                    "segments_info": [self._convert_category_id(s) for s in segments_info],
                }
            )

    def evaluate(self) -> dict | None:
        comm.synchronize()
        predictions = list(itertools.chain(*comm.gather(self._predictions)))
        if not comm.is_main_process():
            return None

        gt_json = self._metadata.panoptic_json
        gt_folder = self._metadata.panoptic_root
        with tempfile.TemporaryDirectory(prefix="panoptic_eval") as pred_dir:
            logger.info(f"Writing all panoptic predictions to {pred_dir} ...")
            annotations = []
            for p in predictions:
                with open(os.path.join(pred_dir, p["file_name"]), "wb") as f:
                    f.write(p["png_string"])
                annotations.append({k: v for k, v in p.items() if k != "png_string"})
            with open(gt_json) as f:
                json_data = json.load(f)
            json_data["annotations"] = annotations
            pred_json_file = os.path.join(self._output_dir or pred_dir, "predictions.json")
            with open(pred_json_file, "w") as f:
                json.dump(json_data, f)
            with contextlib.redirect_stdout(io.StringIO()):
                pq_res = pq_compute(gt_json, pred_json_file, gt_folder=gt_folder, pred_folder=pred_dir)

        res = {}
        for suffix, group in (("", "All"), ("_th", "Things"), ("_st", "Stuff")):
            for metric in ("PQ", "SQ", "RQ"):
                res[metric + suffix] = 100 * pq_res[group][metric.lower()]
        rows = [
            [group, 100 * pq_res[group]["pq"], 100 * pq_res[group]["sq"], 100 * pq_res[group]["rq"], pq_res[group]["n"]]
            for group in ("All", "Things", "Stuff")
        ]
        logger.info("Panoptic Evaluation Results:\n" + format_table(["", "PQ", "SQ", "RQ", "#categories"], rows))
        return OrderedDict({"panoptic_seg": res})
