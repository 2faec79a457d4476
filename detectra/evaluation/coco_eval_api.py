"""Running COCO's evaluation protocol: a fast backend when installed, pycocotools otherwise.

`faster-coco-eval` (a C++ port of pycocotools' per-image matching and accumulation, on PyPI) gives the same
`eval["precision"]` / `eval["recall"]` arrays as pycocotools, several times faster; `tests/evaluation` checks the
equality to 1e-6 on real annotations and `benchmarks/bench_eval.py` measures the speed-up. The summary numbers
are computed here from those arrays, exactly as pycocotools' `summarize()` does, so that `maxDets` other than
100 work (pycocotools hard-codes 100 in its summary).
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
from typing import Any, Iterator, Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

__all__ = [
    "COCOevalMaxDets",
    "COCOeval_fast",
    "coco_summary_stats",
    "evaluate_predictions_on_coco",
    "has_fast_impl",
    "quiet",
]

logger = logging.getLogger(__name__)

try:
    from faster_coco_eval import COCO as _FastCOCO
    from faster_coco_eval import COCOeval_faster as COCOeval_fast
except ImportError:  # optional: pycocotools gives the same numbers, only slower
    COCOeval_fast = _FastCOCO = None


def has_fast_impl() -> bool:
    """Whether the faster-coco-eval backend is importable."""
    return COCOeval_fast is not None


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence pycocotools' prints ("loading annotations into memory...")."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def _fast_coco(coco_gt: COCO) -> Any:
    """The same ground truth as a faster-coco-eval COCO (its evaluator needs that class's indexes); cached."""
    cached = getattr(coco_gt, "_detectra_fast_coco", None)
    if cached is None:
        with quiet():
            cached = _FastCOCO()
            cached.dataset = coco_gt.dataset
            cached.createIndex()
        coco_gt._detectra_fast_coco = cached
    return cached


def _no_detections(coco_gt: COCO) -> COCO:
    """An empty detection set on the images and classes of `coco_gt` (``loadRes`` cannot take an empty list)."""
    with quiet():
        coco_dt = COCO()
        coco_dt.dataset = {k: coco_gt.dataset[k] for k in ("images", "categories")} | {"annotations": []}
        coco_dt.createIndex()
    return coco_dt


def _make_coco_eval(
    coco_gt: COCO, coco_results: list[dict], iou_type: str, use_fast_impl: bool, cocoeval_cls: type | None = None
) -> Any:
    """The (not yet evaluated) evaluator of `coco_results`: `cocoeval_cls` when given, else the fast backend or
    pycocotools' ``COCOeval``."""
    with quiet():
        if cocoeval_cls is None and use_fast_impl and coco_results and COCOeval_fast is not None:
            fast_gt = _fast_coco(coco_gt)
            # print_function: keep its per-stage timing lines out of our logs.
            return COCOeval_fast(fast_gt, fast_gt.loadRes(coco_results), iou_type, print_function=logger.debug)
        # No results: loadRes cannot take an empty list; pycocotools on a few empty matches is cheap.
        coco_dt = coco_gt.loadRes(coco_results) if coco_results else _no_detections(coco_gt)
        return (cocoeval_cls or COCOeval)(coco_gt, coco_dt, iou_type)


def _summary_rows(params: Any, iou_type: str) -> list[tuple[bool, float | None, str, int]]:
    """The rows of `COCOeval.summarize()`, in its order: (is AP, IoU threshold or None for 0.50:0.95, area, maxDets)."""
    if iou_type == "keypoints":
        head = [(None, "all"), (0.5, "all"), (0.75, "all"), (None, "medium"), (None, "large")]
        return [(True, t, a, 20) for t, a in head] + [(False, t, a, 20) for t, a in head]
    md = params.maxDets
    areas = ["small", "medium", "large"]
    return (
        [(True, None, "all", md[2]), (True, 0.5, "all", md[2]), (True, 0.75, "all", md[2])]
        + [(True, None, a, md[2]) for a in areas]
        + [(False, None, "all", m) for m in md[:3]]
        + [(False, None, a, md[2]) for a in areas]
    )


def coco_summary_stats(coco_eval: Any, iou_type: str) -> np.ndarray:
    """The 12 (boxes, masks) or 10 (keypoints) summary numbers of `COCOeval.summarize()`, in its order.

    Boxes and masks use `params.maxDets[2]` as the detection limit of AP and of the area-split metrics (where
    pycocotools can only use 100); keypoints use 20 as pycocotools does. Missing values are -1.
    """
    params = coco_eval.params
    precision = coco_eval.eval["precision"]  # (T iou, R recall, K classes, A areas, M maxDets)
    recall = coco_eval.eval["recall"]  # (T, K, A, M)

    def _mean(ap: bool, iou_thr: float | None, area: str, max_dets: int) -> float:
        a = [i for i, label in enumerate(params.areaRngLbl) if label == area]
        m = [i for i, md in enumerate(params.maxDets) if md == max_dets]
        values = precision if ap else recall
        if iou_thr is not None:
            values = values[np.where(iou_thr == params.iouThrs)[0]]
        values = values[:, :, :, a, m] if ap else values[:, :, a, m]
        valid = values[values > -1]
        return float(np.mean(valid)) if valid.size else -1.0

    return np.array([_mean(*row) for row in _summary_rows(params, iou_type)])


class COCOevalMaxDets(COCOeval):
    """pycocotools' ``COCOeval`` whose :meth:`summarize` honours ``params.maxDets`` (pycocotools' own summary
    reads the limit 100 however ``maxDets`` is set; with ``maxDets=[1, 10, 300]`` this one reports AP@300)."""

    def summarize(self) -> None:
        """Fill ``self.stats`` (see :func:`coco_summary_stats`) and print the summary table."""
        if not self.eval:
            raise RuntimeError("COCOevalMaxDets.summarize() needs evaluate() and accumulate() to run first.")
        self.stats = coco_summary_stats(self, self.params.iouType)
        print_summary(self)


def print_summary(coco_eval: Any) -> None:
    """Print the table of `COCOeval.summarize()` from ``coco_eval.stats`` (as filled by :func:`coco_summary_stats`)."""
    iou_type = coco_eval.params.iouType
    for (ap, thr, area, max_dets), value in zip(_summary_rows(coco_eval.params, iou_type), coco_eval.stats):
        title = "Average Precision  (AP)" if ap else "Average Recall     (AR)"
        iou = "0.50:0.95" if thr is None else f"{thr:0.2f}"
        print(f" {title} @[ IoU={iou:<9} | area={area:>6s} | maxDets={max_dets:>3d} ] = {value:0.3f}")


def evaluate_predictions_on_coco(
    coco_gt: COCO,
    coco_results: list[dict],
    iou_type: str,
    kpt_oks_sigmas: Sequence[float] | None = None,
    use_fast_impl: bool = True,
    img_ids: Sequence[int] | None = None,
    max_dets_per_image: Sequence[int] | None = None,
    cocoeval_cls: type | None = None,
) -> Any:
    """Evaluate COCO-format results against `coco_gt` for one task.

    Args:
        coco_gt: the ground truth.
        coco_results: detections in COCO's results format (category ids of the json, not contiguous ids).
        iou_type: "bbox", "segm" or "keypoints".
        kpt_oks_sigmas: per-keypoint OKS sigmas; COCO's 17 person sigmas when empty.
        use_fast_impl: use faster-coco-eval when it is installed.
        img_ids: evaluate only these images.
        max_dets_per_image: the three detection limits (default [1, 10, 100]); keypoints always use 20.
        cocoeval_cls: a `COCOeval` subclass to evaluate with instead of the backend ``use_fast_impl`` picks.

    Returns:
        The evaluated COCOeval object, with `.stats` filled as `summarize()` would and `.eval["precision"]`. With
        no results, precision and recall are 0 wherever there is ground truth (AP 0, as COCO defines it).
    """
    if iou_type == "segm":
        # Without a box, pycocotools takes each detection's area from its mask, which is what the area
        # ranges (small/medium/large) of segm evaluation mean.
        coco_results = copy.deepcopy(coco_results)
        for result in coco_results:
            result.pop("bbox", None)
    coco_eval = _make_coco_eval(coco_gt, coco_results, iou_type, use_fast_impl, cocoeval_cls)

    if max_dets_per_image is None:
        max_dets_per_image = [1, 10, 100]
    elif len(max_dets_per_image) < 3:
        raise ValueError(f"max_dets_per_image must list 3 limits, e.g. [1, 10, 100]; got {max_dets_per_image}.")
    if iou_type != "keypoints":
        coco_eval.params.maxDets = list(max_dets_per_image)
    if img_ids is not None:
        coco_eval.params.imgIds = list(img_ids)

    if iou_type == "keypoints":
        if kpt_oks_sigmas is not None and len(kpt_oks_sigmas):
            coco_eval.params.kpt_oks_sigmas = np.array(kpt_oks_sigmas, dtype=np.float64)
        num_kpts_gt = len(next(iter(coco_gt.anns.values()))["keypoints"]) // 3
        num_kpts_dt = len(coco_results[0]["keypoints"]) // 3 if coco_results else num_kpts_gt
        num_sigmas = len(coco_eval.params.kpt_oks_sigmas)
        if not num_kpts_dt == num_kpts_gt == num_sigmas:
            raise ValueError(
                f"Keypoint evaluation needs as many OKS sigmas ({num_sigmas}) as predicted keypoints "
                f"({num_kpts_dt}) and ground-truth keypoints ({num_kpts_gt}); set TEST.KEYPOINT_OKS_SIGMAS "
                "(kpt_oks_sigmas) to one sigma per keypoint of your dataset."
            )

    with quiet():
        coco_eval.evaluate()
        coco_eval.accumulate()
    coco_eval.stats = coco_summary_stats(coco_eval, iou_type)
    return coco_eval
