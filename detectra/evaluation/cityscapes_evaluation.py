"""Cityscapes instance and semantic segmentation evaluation through the official `cityscapesscripts`.

`cityscapesscripts` is an optional dependency (`pip install cityscapesscripts`); these evaluators write
predictions in its file formats and call its evaluation functions, so the numbers are the official ones.
"""

from __future__ import annotations

import glob
import importlib
import logging
import os
import shutil
import tempfile
from collections import OrderedDict
from typing import Any

import numpy as np
import torch
from PIL import Image

from detectra.data import MetadataCatalog
from detectra.utils import comm

from .evaluator import DatasetEvaluator

__all__ = ["CityscapesEvaluator", "CityscapesInstanceEvaluator", "CityscapesSemSegEvaluator"]

logger = logging.getLogger(__name__)

_INSTALL_HINT = (
    "Cityscapes evaluation needs the official scripts: run `pip install cityscapesscripts` "
    "(and set CITYSCAPES_DATASET to the dataset root if they ask for it)."
)


def _import_cityscapes(module: str) -> Any:
    try:
        return importlib.import_module(f"cityscapesscripts.{module}")
    except ImportError as e:
        raise ImportError(f"{_INSTALL_HINT} ({e})") from e


class CityscapesEvaluator(DatasetEvaluator):
    """Base of the Cityscapes evaluators. Shared set-up: metadata (thing_classes, gt_dir) and a temporary folder shared by all ranks."""

    def __init__(self, dataset_name: str):
        _import_cityscapes("helpers.labels")  # fail at construction, not after a whole inference run
        self._metadata = MetadataCatalog.get(dataset_name)
        if not hasattr(self._metadata, "gt_dir"):
            raise ValueError(f"Cityscapes evaluation needs metadata 'gt_dir' for dataset '{dataset_name}'.")
        self._cpu_device = torch.device("cpu")
        self._working_dir: tempfile.TemporaryDirectory | None = None
        self._temp_dir = ""

    def reset(self) -> None:
        if self._working_dir is not None:
            self._working_dir.cleanup()
        self._working_dir = tempfile.TemporaryDirectory(prefix="cityscapes_eval_")
        # Every rank writes into the main rank's folder (they share a file system, as in Detectron2).
        self._temp_dir = comm.all_gather(self._working_dir.name)[0]
        logger.info(f"Writing cityscapes results to temporary directory {self._temp_dir} ...")

    def _gt_files(self, suffix: str) -> list[str]:
        gt_dir = self._metadata.gt_dir
        files = sorted(glob.glob(os.path.join(gt_dir, "*", f"*_gtFine_{suffix}.png")))
        if not files:
            raise FileNotFoundError(f"No *_gtFine_{suffix}.png found under '{gt_dir}' (metadata gt_dir).")
        return files

    def _official_script(self, name: str) -> tuple[Any, Any]:
        """cityscapesscripts' ``evaluation.<name>`` module and its ``args``, pointed at the predictions written."""
        script = _import_cityscapes(f"evaluation.{name}")
        args = script.args
        args.predictionPath = os.path.abspath(self._temp_dir)
        args.predictionWalk = None
        args.JSONOutput = False
        args.colorized = False
        return script, args


class CityscapesInstanceEvaluator(CityscapesEvaluator):
    """Instance segmentation AP / AP50 with cityscapesscripts' evalInstanceLevelSemanticLabeling."""

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        labels = _import_cityscapes("helpers.labels")
        for input, output in zip(inputs, outputs):
            basename = os.path.splitext(os.path.basename(input["file_name"]))[0]
            pred_txt = os.path.join(self._temp_dir, basename + "_pred.txt")
            with open(pred_txt, "w") as fout:
                if "instances" not in output:
                    continue
                instances = output["instances"].to(self._cpu_device)
                for i in range(len(instances)):
                    class_name = self._metadata.thing_classes[int(instances.pred_classes[i])]
                    class_id = labels.name2label[class_name].id
                    score = float(instances.scores[i])
                    mask = instances.pred_masks[i].numpy().astype(np.uint8)
                    png = os.path.join(self._temp_dir, f"{basename}_{i}_{class_name}.png")
                    Image.fromarray(mask * 255).save(png)
                    fout.write(f"{os.path.basename(png)} {class_id} {score}\n")

    def evaluate(self) -> dict | None:
        comm.synchronize()
        if not comm.is_main_process():
            return None
        cityscapes_eval, args = self._official_script("evalInstanceLevelSemanticLabeling")
        args.gtInstancesFile = os.path.join(self._temp_dir, "gtInstances.json")
        gt_files = self._gt_files("instanceIds")
        pred_files = [cityscapes_eval.getPrediction(gt, args) for gt in gt_files]
        results = cityscapes_eval.evaluateImgLists(pred_files, gt_files, args)["averages"]
        self._working_dir.cleanup()
        return OrderedDict({"segm": {"AP": results["allAp"] * 100, "AP50": results["allAp50%"] * 100}})


class CityscapesSemSegEvaluator(CityscapesEvaluator):
    """Semantic segmentation IoU / iIoU (classes and categories) with evalPixelLevelSemanticLabeling."""

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        labels = _import_cityscapes("helpers.labels")
        for input, output in zip(inputs, outputs):
            basename = os.path.splitext(os.path.basename(input["file_name"]))[0]
            train_ids = output["sem_seg"].argmax(dim=0).to(self._cpu_device).numpy()
            pred = np.full(train_ids.shape, 255, dtype=np.uint8)
            for train_id, label in labels.trainId2label.items():
                if label.ignoreInEval:
                    continue
                pred[train_ids == train_id] = label.id  # the scripts compare label ids, not train ids
            Image.fromarray(pred).save(os.path.join(self._temp_dir, basename + "_pred.png"))

    def evaluate(self) -> dict | None:
        comm.synchronize()
        if not comm.is_main_process():
            return None
        cityscapes_eval, args = self._official_script("evalPixelLevelSemanticLabeling")
        gt_files = self._gt_files("labelIds")
        pred_files = [cityscapes_eval.getPrediction(args, gt) for gt in gt_files]
        results = cityscapes_eval.evaluateImgLists(pred_files, gt_files, args)
        shutil.rmtree(self._temp_dir, ignore_errors=True)
        return OrderedDict(
            {
                "sem_seg": {
                    "IoU": 100.0 * results["averageScoreClasses"],
                    "iIoU": 100.0 * results["averageScoreInstClasses"],
                    "IoU_sup": 100.0 * results["averageScoreCategories"],
                    "iIoU_sup": 100.0 * results["averageScoreInstCategories"],
                }
            }
        )
