"""``COCOeval_opt``: pycocotools' ``COCOeval`` whose matching and accumulation run in faster-coco-eval's C++.

Drop-in for code written against Detectron2's ``COCOeval_opt``: construct it with pycocotools ``COCO`` objects,
set ``params`` as usual, call ``evaluate()``, ``accumulate()`` and ``summarize()``. Without faster-coco-eval
installed it runs pycocotools' own Python code (same numbers, slower).
"""
from __future__ import annotations

import logging
import time
from typing import Any

from pycocotools.coco import COCO

from .coco_eval_api import COCOeval_fast, COCOevalMaxDets, _fast_coco, quiet

__all__ = ["COCOeval_opt"]

logger = logging.getLogger(__name__)

# the params that decide what is matched and accumulated; copied to the fast evaluator before it runs
_PARAM_NAMES = ("imgIds", "catIds", "iouThrs", "recThrs", "maxDets", "areaRng", "areaRngLbl", "useCats")


class COCOeval_opt(COCOevalMaxDets):
    """COCO evaluation with the C++ backend of faster-coco-eval; ``eval["precision"]``, ``eval["recall"]`` and
    ``eval["scores"]`` equal pycocotools' (``tests/evaluation/test_fast_eval_api.py`` checks it), and
    :meth:`summarize` honours ``params.maxDets`` (see :class:`COCOevalMaxDets`)."""

    def __init__(self, cocoGt: COCO | None = None, cocoDt: COCO | None = None, iouType: str = "segm") -> None:
        super().__init__(cocoGt, cocoDt, iouType)
        self._fast: Any = None

    def evaluate(self) -> None:
        """Match detections to ground truth per image and category (in C++ when available)."""
        if COCOeval_fast is None:
            logger.info("faster-coco-eval is not installed; COCOeval_opt runs pycocotools' evaluation.")
            super().evaluate()
            return
        start = time.perf_counter()
        fast_gt = _fast_coco(self.cocoGt)
        with quiet():
            fast_dt = type(fast_gt)()
            fast_dt.dataset = self.cocoDt.dataset
            fast_dt.createIndex()
        params = self.params
        fast = COCOeval_fast(fast_gt, fast_dt, params.iouType, print_function=logger.debug)
        for name in _PARAM_NAMES:
            setattr(fast.params, name, getattr(params, name))
        if params.iouType == "keypoints":
            fast.params.kpt_oks_sigmas = params.kpt_oks_sigmas
        with quiet():
            fast.evaluate()
        self._fast = fast
        logger.debug("COCOeval_opt.evaluate() took %.2f s", time.perf_counter() - start)

    def accumulate(self, p: Any = None) -> None:
        """Precision / recall / score arrays over IoU thresholds, recall points, categories, areas and maxDets."""
        if self._fast is None:
            super().accumulate(p)
            return
        with quiet():
            self._fast.accumulate()
        self.eval = {
            "params": self.params,
            "counts": list(self._fast.eval["precision"].shape),
            "precision": self._fast.eval["precision"],
            "recall": self._fast.eval["recall"],
            "scores": self._fast.eval["scores"],
        }
