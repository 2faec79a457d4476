"""Pick the evaluators of a dataset from its metadata's ``evaluator_type``: shared by `detectra train`/`eval`
and ``tools/train_net.py``."""
from __future__ import annotations

import os
from typing import Any, Optional

from detectra.data import MetadataCatalog
from detectra.evaluation import (
    COCOEvaluator,
    COCOPanopticEvaluator,
    DatasetEvaluators,
    LVISEvaluator,
    PascalVOCDetectionEvaluator,
    SemSegEvaluator,
)

__all__ = ["build_evaluator"]


def build_evaluator(cfg: Any, dataset_name: str, output_folder: Optional[str] = None) -> Any:
    """The evaluator(s) for the ``evaluator_type`` of a dataset's metadata, as Detectron2's train_net.py picks them.

    Args:
        cfg: the run's config (OUTPUT_DIR, TEST.KEYPOINT_OKS_SIGMAS).
        dataset_name: a registered dataset.
        output_folder: where evaluators write; default ``OUTPUT_DIR/inference``.
    """
    output_folder = output_folder or os.path.join(cfg.OUTPUT_DIR, "inference")
    kind = MetadataCatalog.get(dataset_name).get("evaluator_type", "coco")
    evaluators = []
    if kind in ("sem_seg", "coco_panoptic_seg"):
        evaluators.append(SemSegEvaluator(dataset_name, distributed=True, output_dir=output_folder))
    if kind in ("coco", "coco_panoptic_seg"):
        evaluators.append(COCOEvaluator(dataset_name, output_dir=output_folder,
                                        kpt_oks_sigmas=cfg.TEST.KEYPOINT_OKS_SIGMAS))  # fmt: skip
    if kind == "coco_panoptic_seg":
        evaluators.append(COCOPanopticEvaluator(dataset_name, output_folder))
    if kind == "lvis":
        evaluators.append(LVISEvaluator(dataset_name, output_dir=output_folder))
    if kind == "pascal_voc":
        evaluators.append(PascalVOCDetectionEvaluator(dataset_name))
    if not evaluators:
        raise NotImplementedError(f"no evaluator for dataset '{dataset_name}' of evaluator_type '{kind}'.")
    return evaluators[0] if len(evaluators) == 1 else DatasetEvaluators(evaluators)
