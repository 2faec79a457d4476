"""bf16 inference against float32 on a TRAINED detectra run: do the detections agree, and does the AP move?

    python benchmarks/bench_bf16_agreement.py --run output/shapes --out bench_bf16_agreement.json [--num-images N]

``--run`` is a training's output folder (``config.yaml`` + ``model_final.pth``, e.g. the README's first command's
``output/shapes``). Its test dataset (``DATASETS.TEST[0]``, ``shapes_val`` there; the first ``--num-images``) goes
through `DefaultPredictor` twice per setting, once with ``TEST.PRECISION float32`` and once with ``bfloat16``, in two
settings: the run's own test thresholds (``ROI_HEADS.SCORE_THRESH_TEST``, ``TEST.DETECTIONS_PER_IMAGE``) and score
threshold 0 with the top 100 detections. Reported per image and pooled over the images:

- ``matched_iou95`` / ``matched_iou50``: the fraction of float32 detections with a same-class bf16 detection at
  IoU >= 0.95 / 0.5 (each float32 detection takes its best-overlapping bf16 one, as
  ``tests/modeling/test_parity_precision.py`` counts; issue 15's bar is >= 95% at IoU 0.95);
- ``max_score_diff``: the largest |score difference| of the pairs matched at IoU >= 0.5;
- ``mask_iou_matched`` (models with masks): mean and minimum mask IoU of the pairs matched at box IoU >= 0.95;
- the COCO AP (``COCOEvaluator``) of both runs on the same images;
- where they diverge (first setting only): the relative L2 difference of the backbone's features and the fraction of
  float32 proposals with a bf16 proposal at IoU >= 0.95 / 0.5.

The bf16 rows need a CPU with AVX-512-bf16 or AMX to mean anything about speed, not about agreement: any CPU
computes the same bf16 rounding (slowly without them). The machine's flags are in the JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import torch
from torchvision.ops import box_iou

from detectra.config import get_cfg
from detectra.data import DatasetCatalog
from detectra.data.detection_utils import read_image
from detectra.engine import DefaultPredictor
from detectra.evaluation import COCOEvaluator
from detectra.structures import Instances

from _machine import machine_info  # benchmarks/ is the script's folder

IOUS = (0.95, 0.5)
PRECISIONS = ("float32", "bfloat16")


def _config(run: Path, score_thresh: float | None, detections: int | None, precision: str):
    cfg = get_cfg()
    cfg.set_new_allowed(True)  # a run's config.yaml may carry keys added by its project
    cfg.merge_from_file(str(run / "config.yaml"))
    cfg.MODEL.WEIGHTS = str(run / "model_final.pth")
    cfg.MODEL.DEVICE = "cpu"
    cfg.TEST.PRECISION = precision
    if score_thresh is not None:
        cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = score_thresh
        cfg.MODEL.RETINANET.SCORE_THRESH_TEST = score_thresh
    if detections is not None:
        cfg.TEST.DETECTIONS_PER_IMAGE = detections
    return cfg


class _StageTaps:
    """Keeps the backbone's features and the RPN's proposals of the last image the model ran on."""

    def __init__(self, model: torch.nn.Module):
        self.features: Dict[str, torch.Tensor] = {}
        self.proposals: torch.Tensor | None = None
        model.backbone.register_forward_hook(self._keep_features)
        if getattr(model, "proposal_generator", None) is not None:
            model.proposal_generator.register_forward_hook(self._keep_proposals)

    def _keep_features(self, module, inputs, output) -> None:
        self.features = {k: v.detach().float() for k, v in output.items()}

    def _keep_proposals(self, module, inputs, output) -> None:
        self.proposals = output[0][0].proposal_boxes.tensor.detach().float()  # (P, 4) of the batch's only image


class _Runner:
    """`DefaultPredictor` for one precision, with its stage taps and the seconds it has run."""

    def __init__(self, cfg):
        self.predictor = DefaultPredictor(cfg)
        self.taps = _StageTaps(self.predictor.model)
        self.seconds = 0.0

    def __call__(self, d: dict) -> tuple[dict, dict]:
        """The predictor's output on the image of dataset dict ``d``, and what the stage taps saw."""
        image = read_image(d["file_name"], format="BGR")
        start = time.perf_counter()
        output = self.predictor(image)
        self.seconds += time.perf_counter() - start
        return output, {"features": self.taps.features, "proposals": self.taps.proposals}


def _best_partner(ref: Instances, other: Instances) -> tuple[torch.Tensor, torch.Tensor]:
    """For each ``ref`` detection, the IoU of its best same-class ``other`` detection (0 if none) and its index."""
    if len(ref) == 0 or len(other) == 0:
        return torch.zeros(len(ref)), torch.zeros(len(ref), dtype=torch.long)
    iou = box_iou(ref.pred_boxes.tensor, other.pred_boxes.tensor)  # (R, N)
    iou[ref.pred_classes[:, None] != other.pred_classes[None, :]] = 0
    return iou.max(dim=1)


def _agreement(ref: Instances, other: Instances) -> Dict[str, Any]:
    """How well the bf16 detections ``other`` reproduce the float32 ones ``ref`` (one image)."""
    best_iou, partner = _best_partner(ref, other)
    row: Dict[str, Any] = {"detections_fp32": len(ref), "detections_bf16": len(other)}
    for t in IOUS:
        row[f"matched_iou{round(t * 100)}"] = int((best_iou >= t).sum())
    pairs = best_iou >= 0.5
    score_diff = (ref.scores[pairs] - other.scores[partner[pairs]]).abs()
    row["max_score_diff"] = float(score_diff.max()) if len(score_diff) else 0.0
    if ref.has("pred_masks"):
        close = (best_iou >= 0.95).nonzero().flatten()
        a, b = ref.pred_masks[close], other.pred_masks[partner[close]]  # (M, H, W) bool
        inter, union = (a & b).flatten(1).sum(1), (a | b).flatten(1).sum(1).clamp(min=1)
        row["mask_ious"] = (inter / union).tolist()
    return row


def _stage_divergence(ref: dict, other: dict) -> Dict[str, Any]:
    """Relative L2 difference of every feature map and proposals matched (any IoU) for one image."""
    row: Dict[str, Any] = {
        f"features_rel_l2_{k}": float((other["features"][k] - v).norm() / v.norm()) for k, v in ref["features"].items()
    }
    if ref["proposals"] is not None:
        iou = box_iou(ref["proposals"], other["proposals"])  # (P, P')
        best = iou.max(dim=1).values
        for t in IOUS:
            row[f"proposals_matched_iou{round(t * 100)}"] = float((best >= t).float().mean())
    return row


def _coco_ap(evaluator: COCOEvaluator, dicts: List[dict]) -> Dict[str, Dict[str, float]]:
    """COCO AP of what ``evaluator`` was given, on exactly the images of ``dicts``."""
    results = evaluator.evaluate(img_ids=[d["image_id"] for d in dicts])
    return {task: {k: round(v, 2) for k, v in metrics.items() if k in ("AP", "AP50", "AP75")}
            for task, metrics in results.items()}  # fmt: skip


def _pooled(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    total = sum(r["detections_fp32"] for r in rows)
    out: Dict[str, Any] = {"images": len(rows), "detections_fp32": total}
    for t in IOUS:
        key = f"matched_iou{round(t * 100)}"
        out[key] = sum(r[key] for r in rows) / max(total, 1)
        per_image = [r[key] / r["detections_fp32"] for r in rows if r["detections_fp32"]]
        out[f"{key}_worst_image"] = min(per_image, default=1.0)
        out[f"images_{key}_at_least_95pct"] = sum(f >= 0.95 for f in per_image)
    out["max_score_diff"] = max((r["max_score_diff"] for r in rows), default=0.0)
    mask_ious = [x for r in rows for x in r.get("mask_ious", [])]
    if mask_ious:
        out["mask_iou_matched"] = {"mean": sum(mask_ious) / len(mask_ious), "min": min(mask_ious)}
    return out


def _setting(run: Path, dicts: List[dict], dataset: str, score_thresh, detections, stages: bool) -> Dict[str, Any]:
    """float32 and bf16 through the predictor with one threshold / detection limit; their agreement and APs."""
    cfg = _config(run, score_thresh, detections, "float32")
    fp32, bf16 = _Runner(cfg), _Runner(_config(run, score_thresh, detections, "bfloat16"))
    tmp = tempfile.TemporaryDirectory()  # the evaluators write their results files there
    evaluators = {p: COCOEvaluator(dataset, distributed=False, output_dir=f"{tmp.name}/{p}") for p in PRECISIONS}
    rows = []
    for d in dicts:  # image by image, so that only one image's features and masks are held
        (ref, ref_stages), (other, other_stages) = fp32(d), bf16(d)
        evaluators["float32"].process([d], [ref])
        evaluators["bfloat16"].process([d], [other])
        row = {"image_id": d["image_id"], **_agreement(ref["instances"], other["instances"])}
        if stages:
            row.update(_stage_divergence(ref_stages, other_stages))
        rows.append(row)
    ap = {p: _coco_ap(evaluator, dicts) for p, evaluator in evaluators.items()}
    tmp.cleanup()
    summary = _pooled(rows)
    if stages:
        for key in rows[0]:
            if key.startswith(("features_", "proposals_")):
                values = [r[key] for r in rows]
                summary[key] = {"mean": sum(values) / len(values), "worst": (max if "features" in key else min)(values)}
    return {
        "score_thresh": cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST,
        "detections_per_image": cfg.TEST.DETECTIONS_PER_IMAGE,
        "seconds": {"float32": fp32.seconds, "bfloat16": bf16.seconds},  # wall clock, with whatever else ran
        "ap": ap,
        "overall": summary,
        "per_image": rows,
    }


def _print(name: str, s: Dict[str, Any]) -> None:
    o = s["overall"]
    print(f"{name}: score >= {s['score_thresh']}, top {s['detections_per_image']}, {o['images']} images, "
          f"{o['detections_fp32']} float32 detections")  # fmt: skip
    print(f"  matched at IoU 0.95: {o['matched_iou95']:.1%} (worst image {o['matched_iou95_worst_image']:.1%}, "
          f"{o['images_matched_iou95_at_least_95pct']} images >= 95%); IoU 0.5: {o['matched_iou50']:.1%}; "
          f"max |score diff| {o['max_score_diff']:.4f}")  # fmt: skip
    if "mask_iou_matched" in o:
        print(f"  mask IoU of the pairs at box IoU 0.95: mean {o['mask_iou_matched']['mean']:.4f}, "
              f"min {o['mask_iou_matched']['min']:.4f}")  # fmt: skip
    for precision, ap in s["ap"].items():
        aps = ", ".join(f"{task} AP {m['AP']:.2f} (AP50 {m['AP50']:.2f})" for task, m in ap.items())
        print(f"  {precision:9s} {aps}")
    for key, v in o.items():
        if key.startswith(("features_", "proposals_")):
            print(f"  {key}: mean {v['mean']:.4f}, worst {v['worst']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", default="output/shapes", help="a training output folder")
    parser.add_argument("--out", default="bench_bf16_agreement.json", help="JSON result file")
    parser.add_argument("--num-images", type=int, default=0, help="only the first N test images (0: all)")
    args = parser.parse_args()

    run = Path(args.run)
    for name in ("config.yaml", "model_final.pth"):
        if not (run / name).is_file():
            raise SystemExit(f"'{run / name}' does not exist: --run takes a finished training's output folder.")
    dataset = _config(run, None, None, "float32").DATASETS.TEST[0]
    dicts = DatasetCatalog.get(dataset)
    dicts = dicts[: args.num_images] if args.num_images > 0 else dicts
    result: Dict[str, Any] = {"machine": machine_info(), "run": str(run.resolve()), "dataset": dataset}
    result["settings"] = {
        "test_thresholds": _setting(run, dicts, dataset, None, None, stages=True),
        "score_thresh_0_top100": _setting(run, dicts, dataset, 0.0, 100, stages=False),
    }
    result["load_average_end"] = os.getloadavg()
    for name, s in result["settings"].items():
        _print(name, s)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
