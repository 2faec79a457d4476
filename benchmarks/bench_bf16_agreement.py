"""bf16 inference against float32 on a TRAINED detectra run: do the detections agree, and does the AP move?

    python benchmarks/bench_bf16_agreement.py --run output/shapes --out bench_bf16_agreement.json [--num-images N]

``--run`` is a training's output folder (``config.yaml`` + ``model_final.pth``, e.g. the README's first command's
``output/shapes``). Its test dataset (``DATASETS.TEST[0]``, ``shapes_val`` there; the first ``--num-images``) goes
through `DefaultPredictor` twice per setting, once with ``TEST.PRECISION float32`` and once with ``bfloat16``, in two
settings: the run's own test thresholds (``ROI_HEADS.SCORE_THRESH_TEST``, ``TEST.DETECTIONS_PER_IMAGE``) and score
threshold 0 with the top 100 detections. Reported per image and pooled over the images:

- ``matched_iou95`` / ``matched_iou50``: the fraction of float32 detections with a same-class bf16 detection at
  IoU >= 0.95 / 0.5 (each float32 detection takes its best-overlapping bf16 one, as
  ``tests/modeling/test_parity_precision.py`` counts; issue 15's bar is >= 95% at IoU 0.95), also by COCO size bin;
- ``max_score_diff_iou95`` / ``_iou50``: the largest |score difference| of the pairs matched at that IoU;
- ``missed_iou95``: the float32 detections without a match at IoU 0.95 (score, size, best IoU);
- ``mask_iou_matched`` (models with masks): mean and minimum mask IoU of the pairs matched at box IoU >= 0.95;
- the COCO AP (``COCOEvaluator``) of both runs on the same images;
- where they diverge: the relative L2 difference of the backbone's features and the fraction of float32 proposals
  with a bf16 proposal at IoU >= 0.95 / 0.5; and (unless ``--no-split``) two more runs at the test thresholds, bf16
  heads on the float32 backbone's features and float32 heads on the bf16 backbone's features.

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
from detectra.utils.precision import inference_autocast

from _machine import machine_info  # benchmarks/ is the script's folder

IOUS = (0.95, 0.5)
SIZES = {"small": (0, 32), "medium": (32, 96), "large": (96, float("inf"))}  # COCO's, on sqrt(area)


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
    """`DefaultPredictor` for one precision, with its stage taps and the seconds it has run.

    ``backbone_precision`` runs the backbone alone in another precision than the rest (float32 features for bf16
    heads, or bf16 features cast to float32 for float32 heads), to tell which stage moves the detections.
    """

    def __init__(self, cfg, backbone_precision: str | None = None):
        self.predictor = DefaultPredictor(cfg)
        model = self.predictor.model
        self.taps = _StageTaps(model)
        self.seconds = 0.0
        if backbone_precision == "float32":
            model.backbone.forward = _float32_forward(model.backbone.forward)
        elif backbone_precision == "bfloat16":
            model.backbone.forward = _bfloat16_forward(model.backbone.forward)

    def __call__(self, d: dict) -> tuple[dict, dict]:
        """The predictor's output on the image of dataset dict ``d``, and what the stage taps saw."""
        image = read_image(d["file_name"], format="BGR")
        start = time.perf_counter()
        output = self.predictor(image)
        self.seconds += time.perf_counter() - start
        return output, {"features": self.taps.features, "proposals": self.taps.proposals}


def _float32_forward(forward):
    def run(images: torch.Tensor) -> Dict[str, torch.Tensor]:
        with torch.autocast("cpu", enabled=False):
            return forward(images.float())

    return run


def _bfloat16_forward(forward):
    def run(images: torch.Tensor) -> Dict[str, torch.Tensor]:
        with inference_autocast("bfloat16", "cpu"):
            features = forward(images)
        return {k: v.float() for k, v in features.items()}

    return run


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
        pairs = best_iou >= t
        row[f"matched_iou{round(t * 100)}"] = int(pairs.sum())
        score_diff = (ref.scores[pairs] - other.scores[partner[pairs]]).abs()
        row[f"max_score_diff_iou{round(t * 100)}"] = float(score_diff.max()) if len(score_diff) else 0.0
    size = ref.pred_boxes.area().sqrt()  # in the original image's pixels
    missed = (best_iou < 0.95).nonzero().flatten().tolist()
    row["missed_iou95"] = [{"score": round(float(ref.scores[i]), 4), "size_px": round(float(size[i]), 1),
                            "best_iou": round(float(best_iou[i]), 4)} for i in missed]  # fmt: skip
    for name, (low, high) in SIZES.items():
        in_bin = (size >= low) & (size < high)
        row[f"{name}_fp32"], row[f"{name}_matched_iou95"] = int(in_bin.sum()), int((in_bin & (best_iou >= 0.95)).sum())
    if ref.has("pred_masks"):
        close = (best_iou >= 0.95).nonzero().flatten()
        a, b = ref.pred_masks[close], other.pred_masks[partner[close]]  # (M, H, W) bool
        inter, union = (a & b).flatten(1).sum(1), (a | b).flatten(1).sum(1)
        row["mask_ious"] = torch.where(union > 0, inter / union.clamp(min=1), 1.0).tolist()  # two empty masks agree
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
    """The per-image rows summed over the images; fractions of all float32 detections."""
    total = sum(r["detections_fp32"] for r in rows)
    out: Dict[str, Any] = {"images": len(rows), "detections_fp32": total}
    for t in IOUS:
        key = f"matched_iou{round(t * 100)}"
        out[key] = sum(r[key] for r in rows) / max(total, 1)
        per_image = [r[key] / r["detections_fp32"] for r in rows if r["detections_fp32"]]
        out[f"{key}_worst_image"] = min(per_image, default=1.0)
        out[f"images_{key}_at_least_95pct"] = sum(f >= 0.95 for f in per_image)
        out[f"max_score_diff_iou{round(t * 100)}"] = max(r[f"max_score_diff_iou{round(t * 100)}"] for r in rows)
    for name in SIZES:
        n, matched = sum(r[f"{name}_fp32"] for r in rows), sum(r[f"{name}_matched_iou95"] for r in rows)
        out[f"{name}_matched_iou95"] = {"detections": n, "matched": matched / max(n, 1)}
    missed = [m for r in rows for m in r["missed_iou95"]]
    out["missed_iou95"] = {
        "count": len(missed),
        "score_at_least_0.5": sum(m["score"] >= 0.5 for m in missed),
        "best_iou_at_least_0.9": sum(m["best_iou"] >= 0.9 for m in missed),
        "median_size_px": sorted(m["size_px"] for m in missed)[len(missed) // 2] if missed else None,
    }
    mask_ious = [x for r in rows for x in r.get("mask_ious", [])]
    if mask_ious:
        out["mask_iou_matched"] = {"mean": sum(mask_ious) / len(mask_ious), "min": min(mask_ious)}
    stage_keys = [k for k in rows[0] if k.startswith(("features_", "proposals_"))] if rows else []
    for key in stage_keys:
        values = [r[key] for r in rows]
        out[key] = {"mean": sum(values) / len(values), "worst": (max if "features" in key else min)(values)}
    return out


# what runs against the float32 predictor: (TEST.PRECISION, the backbone's own precision or None for the same)
COMPARISONS = {
    "bf16": ("bfloat16", None),
    "bf16_heads_on_fp32_features": ("bfloat16", "float32"),
    "fp32_heads_on_bf16_features": ("float32", "bfloat16"),
}


def _setting(run: Path, dicts: List[dict], dataset: str, score_thresh, detections, comparison: str) -> Dict[str, Any]:
    """float32 and ``comparison`` through the predictor with one threshold / detection limit; agreement and APs."""
    cfg = _config(run, score_thresh, detections, "float32")
    precision, backbone_precision = COMPARISONS[comparison]
    fp32 = _Runner(cfg)
    other = _Runner(_config(run, score_thresh, detections, precision), backbone_precision)
    tmp = tempfile.TemporaryDirectory()  # the evaluators write their results files there
    evaluators = {name: COCOEvaluator(dataset, distributed=False, output_dir=f"{tmp.name}/{i}")
                  for i, name in enumerate(("fp32", comparison))}  # fmt: skip
    rows = []
    for d in dicts:  # image by image, so that only one image's features and masks are held
        (ref, ref_stages), (out, out_stages) = fp32(d), other(d)
        evaluators["fp32"].process([d], [ref])
        evaluators[comparison].process([d], [out])
        row = {"image_id": d["image_id"], **_agreement(ref["instances"], out["instances"])}
        rows.append({**row, **_stage_divergence(ref_stages, out_stages)})
    ap = {p: _coco_ap(evaluator, dicts) for p, evaluator in evaluators.items()}
    tmp.cleanup()
    return {
        "comparison": comparison,
        "score_thresh": cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST,
        "detections_per_image": cfg.TEST.DETECTIONS_PER_IMAGE,
        "seconds": {"fp32": fp32.seconds, comparison: other.seconds},  # wall clock, with whatever else ran
        "ap": ap,
        "overall": _pooled(rows),
        "per_image": rows,
    }


def _explain_misses(run: Path, dicts: List[dict], rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Is each miss a change of NMS winner? Reruns the images with misses with the class-wise NMS off.

    For every float32 detection without a bf16 match at IoU 0.95 (test thresholds): is the bf16 detection nearest to
    it (same class) one of float32's own candidates before NMS (IoU >= 0.95), and by how much float32 scored that
    candidate below its winner.
    """
    missed_ids = {r["image_id"] for r in rows if r["missed_iou95"]}
    runners = {}
    for precision in ("float32", "bfloat16"):
        runners[precision] = _Runner(_config(run, None, None, precision))
        no_nms = _config(run, None, 1000, precision)
        no_nms.MODEL.ROI_HEADS.NMS_THRESH_TEST = 1.0
        runners[precision + "_no_nms"] = _Runner(no_nms)
    gaps, other = [], 0
    for d in (d for d in dicts if d["image_id"] in missed_ids):
        ref, out, candidates = (runners[k](d)[0]["instances"] for k in ("float32", "bfloat16", "float32_no_nms"))
        best_iou, partner = _best_partner(ref, out)
        for i in (best_iou < 0.95).nonzero().flatten().tolist():
            if len(out) == 0:
                other += 1
                continue
            j = partner[i]
            same = candidates[candidates.pred_classes == ref.pred_classes[i]]
            iou = box_iou(out.pred_boxes.tensor[j : j + 1], same.pred_boxes.tensor)[0]  # (C,)
            if len(iou) and iou.max() >= 0.95:
                gaps.append(float(ref.scores[i] - same.scores[iou.argmax()]))
            else:
                other += 1
    gaps.sort()
    return {
        "misses": len(gaps) + other,
        "bf16_winner_is_a_float32_candidate": len(gaps),
        "float32_score_gap_to_that_candidate": {
            "median": gaps[len(gaps) // 2] if gaps else None,
            "at_most_0.01": sum(g <= 0.01 for g in gaps),
            "at_most_0.05": sum(g <= 0.05 for g in gaps),
        },
    }


def _print(name: str, s: Dict[str, Any]) -> None:
    o = s["overall"]
    print(f"{name}: {s['comparison']} vs fp32, score >= {s['score_thresh']}, top {s['detections_per_image']}, "
          f"{o['images']} images, {o['detections_fp32']} float32 detections")  # fmt: skip
    print(f"  matched at IoU 0.95: {o['matched_iou95']:.1%} (worst image {o['matched_iou95_worst_image']:.1%}, "
          f"{o['images_matched_iou95_at_least_95pct']} images >= 95%); IoU 0.5: {o['matched_iou50']:.1%}; "
          f"max |score diff| {o['max_score_diff_iou95']:.4f} (IoU 0.95 pairs), {o['max_score_diff_iou50']:.4f} "
          f"(IoU 0.5)")  # fmt: skip
    sizes = ", ".join(f"{n} {o[f'{n}_matched_iou95']['matched']:.1%} of {o[f'{n}_matched_iou95']['detections']}"
                      for n in SIZES)  # fmt: skip
    print(f"  by size, matched at IoU 0.95: {sizes}; missed: {o['missed_iou95']}")
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
    parser.add_argument("--no-split", action="store_true",
                        help="skip the runs with only the backbone or only the heads in bf16")  # fmt: skip
    parser.add_argument("--explain-misses", action="store_true",
                        help="rerun the images with misses, NMS off: is each miss another NMS winner?")  # fmt: skip
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
        "test_thresholds": _setting(run, dicts, dataset, None, None, "bf16"),
        "score_thresh_0_top100": _setting(run, dicts, dataset, 0.0, 100, "bf16"),
    }
    if args.explain_misses:
        rows = result["settings"]["test_thresholds"]["per_image"]
        explained = result["settings"]["test_thresholds"]["nms_winner_changes"] = _explain_misses(run, dicts, rows)
        print("misses at the test thresholds, explained:", explained)
    if not args.no_split:
        for comparison in list(COMPARISONS)[1:]:
            result["settings"][comparison] = _setting(run, dicts, dataset, None, None, comparison)
    result["load_average_end"] = os.getloadavg()
    for name, s in result["settings"].items():
        _print(name, s)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
