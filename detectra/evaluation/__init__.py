"""Evaluators (COCO, LVIS, Pascal VOC, semantic and panoptic segmentation, Cityscapes) and the inference loop."""

from .coco_evaluation import COCOEvaluator, instances_to_coco_json
from .evaluator import DatasetEvaluator, DatasetEvaluators, inference_context, inference_on_dataset
from .testing import flatten_results_dict, print_csv_format, verify_results

__all__ = [k for k in globals().keys() if not k.startswith("_")]
