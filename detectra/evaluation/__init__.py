"""Evaluators (COCO, LVIS, Pascal VOC, semantic and panoptic segmentation, Cityscapes) and the inference loop."""

from . import fast_eval_api, rotated_coco_evaluation
from .cityscapes_evaluation import CityscapesInstanceEvaluator, CityscapesSemSegEvaluator
from .coco_evaluation import COCOEvaluator, instances_to_coco_json
from .evaluator import *
from .lvis_evaluation import LVISEvaluator
from .panoptic_evaluation import *
from .pascal_voc_evaluation import PascalVOCDetectionEvaluator
from .rotated_coco_evaluation import RotatedCOCOEvaluator
from .sem_seg_evaluation import SemSegEvaluator
from .testing import *

from . import evaluator, panoptic_evaluation, testing

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = [
    "fast_eval_api",
    "rotated_coco_evaluation",
    "COCOEvaluator",
    "CityscapesInstanceEvaluator",
    "CityscapesSemSegEvaluator",
    "LVISEvaluator",
    "PascalVOCDetectionEvaluator",
    "RotatedCOCOEvaluator",
    "SemSegEvaluator",
    "instances_to_coco_json",
]
__all__ += [name for module in (evaluator, panoptic_evaluation, testing) for name in module.__all__]
