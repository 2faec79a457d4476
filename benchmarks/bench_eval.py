"""COCO evaluation speed: faster-coco-eval (detectra's default backend) vs plain pycocotools, same numbers.

Detections are the ground truth of a real COCO json, jittered, with spurious boxes, repeated `--repeat` times
over the images (so the evaluation has realistic per-image detection counts). Prints and writes JSON:

    python benchmarks/bench_eval.py --json bench_eval.json
    python benchmarks/bench_eval.py --gt path/to/instances_val2017.json --iou-type segm
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import time
from pathlib import Path

import numpy as np
from pycocotools.coco import COCO

from detectra.evaluation.coco_eval_api import evaluate_predictions_on_coco, has_fast_impl

from _machine import machine_info  # benchmarks/ is the script's folder

_DEFAULT_GT = Path(__file__).resolve().parents[2] / "shared/datasets/tiny_coco/annotations/instances_val2017.json"


def _detections(gt: COCO, per_object: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    cat_ids = sorted(gt.cats)
    dets = []
    for ann in gt.dataset["annotations"]:
        x, y, w, h = ann["bbox"]
        for _ in range(per_object):
            dx, dy, dw, dh = rng.normal(0, 0.1, 4) * [w, h, w, h]
            cat = ann["category_id"] if rng.random() > 0.2 else int(rng.choice(cat_ids))
            dets.append({"image_id": ann["image_id"], "category_id": cat, "bbox": [x + dx, y + dy, max(w + dw, 1),
                         max(h + dh, 1)], "score": float(rng.random())})  # fmt: skip
    return dets


def _time(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gt", default=str(_DEFAULT_GT), help="COCO instances json")
    parser.add_argument("--iou-type", default="bbox", choices=["bbox", "segm"])
    parser.add_argument("--dets-per-object", type=int, default=20, help="detections per ground-truth object")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per backend (best is reported)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    if not has_fast_impl():
        raise SystemExit("faster-coco-eval is not installed: `pip install faster-coco-eval`.")

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(args.gt)
    dets = _detections(gt, args.dets_per_object)
    if args.iou_type == "segm":
        for d in dets:  # box-shaped polygons keep the benchmark free of mask decoding noise
            x, y, w, h = d["bbox"]
            d["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]

    def run(fast: bool):
        return evaluate_predictions_on_coco(gt, dets, args.iou_type, use_fast_impl=fast)

    t_slow, slow = _time(lambda: run(False), args.repeat)
    t_fast, fast = _time(lambda: run(True), args.repeat)
    max_diff = float(np.abs(np.asarray(fast.stats) - np.asarray(slow.stats)).max())
    result = {
        "benchmark": "coco_eval",
        "gt": args.gt,
        "iou_type": args.iou_type,
        "images": len(gt.imgs),
        "gt_objects": len(gt.anns),
        "detections": len(dets),
        "pycocotools_s": round(t_slow, 4),
        "faster_coco_eval_s": round(t_fast, 4),
        "speedup": round(t_slow / t_fast, 2),
        "AP_pycocotools": float(slow.stats[0]),
        "AP_faster_coco_eval": float(fast.stats[0]),
        "max_abs_stats_diff": max_diff,
        "python": platform.python_version(),
        "machine": machine_info(),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
