"""Mask R-CNN and Panoptic FPN (R50-FPN) inference on CPU: detectra vs torchvision's ``maskrcnn_resnet50_fpn``.

    python benchmarks/bench_seg.py --out bench_seg.json [--reps 3] [--no-bf16]

All models run the same regime on one 800x1067 image: 1000 proposals after NMS, at most 100 detections, and
full-image masks pasted at the input size; the score threshold is 0 in every model, so that untrained weights still
send 100 detections to the mask head. torchvision's model is randomly initialised. detectra's models use the
deterministic weights of the Detectron2 parity fixtures (``shared/fixtures/d2parity``, no download; ``--shared``):
plain random weights give R50 activations in the thousands, the RPN's boxes collapse onto the whole image and only
one or two detections survive NMS, which would time a different workload. Without the fixtures the random weights are
used and the JSON says so. Panoptic FPN adds the semantic head and the panoptic merge; torchvision has no
counterpart.
Timings interleave the models and report the median over ``--reps`` runs after one warm-up run, in float32 and under
``torch.autocast("cpu", dtype=torch.bfloat16)``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Dict

import torch
from torchvision.models.detection import maskrcnn_resnet50_fpn

from detectra import model_zoo
from detectra.checkpoint import DetectionCheckpointer
from detectra.modeling import build_model

from _machine import machine_info  # benchmarks/ is the script's folder

INFER_HW = (800, 1067)


FIXTURES = {  # model-zoo config -> parity fixture with the same architecture
    "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml": "mask_rcnn_R_50_FPN",
    "COCO-PanopticSegmentation/panoptic_fpn_R_50_1x.yaml": "panoptic_fpn_R_50",
}
WEIGHTS_USED: Dict[str, str] = {}


def _detectra_model(name: str, shared: Path):
    cfg = model_zoo.get_config(name)
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.WEIGHTS = ""
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0
    cfg.MODEL.PANOPTIC_FPN.COMBINE.INSTANCES_CONFIDENCE_THRESH = 0.0
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    fixture = shared / "fixtures" / "d2parity"
    if (fixture / FIXTURES[name] / "manifest.json").is_file():
        spec = importlib.util.spec_from_file_location("_d2parity_weights", fixture / "weights.py")
        weights = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(weights)
        state = weights.make_state_dict(weights.load_manifest(str(fixture / FIXTURES[name] / "manifest.json")))
        DetectionCheckpointer(model)._load_model({"model": state, "__author__": "d2parity", "matching_heuristics": True})
        WEIGHTS_USED[name] = f"d2parity/{FIXTURES[name]}"
    else:
        WEIGHTS_USED[name] = "random (no parity fixtures found: few detections reach the mask head)"
    return model


def _torchvision_model():
    torch.manual_seed(0)
    return maskrcnn_resnet50_fpn(
        weights=None,
        weights_backbone=None,
        min_size=INFER_HW[0],  # the input is already at this size: no resize
        max_size=INFER_HW[1],
        rpn_pre_nms_top_n_test=1000,
        rpn_post_nms_top_n_test=1000,
        box_score_thresh=0.0,
        box_nms_thresh=0.5,
        box_detections_per_img=100,
    ).eval()


def _steps(autocast: bool, shared: Path) -> Dict[str, Callable[[], int]]:
    """name -> a callable running one inference and returning the number of output masks."""
    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if autocast else nullcontext
    image = torch.randint(0, 256, (3, *INFER_HW), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    mask_rcnn = _detectra_model("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml", shared)
    panoptic = _detectra_model("COCO-PanopticSegmentation/panoptic_fpn_R_50_1x.yaml", shared)
    tv = _torchvision_model()

    def detectra_mask_rcnn():
        with torch.no_grad(), ctx():
            return len(mask_rcnn([{"image": image}])[0]["instances"].pred_masks)

    def detectra_panoptic_fpn():
        with torch.no_grad(), ctx():
            out = panoptic([{"image": image}])[0]
            return len(out["instances"].pred_masks)

    def torchvision_mask_rcnn():
        # torchvision takes RGB floats in [0, 1] and normalises inside the model, as detectra does with its uint8 BGR
        with torch.no_grad(), ctx():
            return len(tv([image.flip(0).float() / 255.0])[0]["masks"])

    return {
        "detectra_mask_rcnn": detectra_mask_rcnn,
        "torchvision_mask_rcnn": torchvision_mask_rcnn,
        "detectra_panoptic_fpn": detectra_panoptic_fpn,
    }


def _time(steps: Dict[str, Callable[[], int]], reps: int) -> Dict[str, Dict]:
    out = {name: {"seconds": [], "masks": None} for name in steps}
    for name, fn in steps.items():  # warm-up
        out[name]["masks"] = fn()
    for _ in range(reps):
        for name, fn in steps.items():
            t0 = time.perf_counter()
            fn()
            out[name]["seconds"].append(time.perf_counter() - t0)
    for v in out.values():
        v["median_s"] = statistics.median(v["seconds"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench_seg.json", help="JSON result file")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per model (after one warm-up)")
    parser.add_argument("--no-bf16", action="store_true", help="skip the bf16 autocast runs")
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"),
                        help="the shared/ folder holding fixtures/d2parity (weights for detectra's models)")
    args = parser.parse_args()

    result = {"input_hw": INFER_HW, "machine": machine_info(), "modes": {}}
    for mode in ["float32"] + ([] if args.no_bf16 else ["bf16_autocast"]):
        timings = _time(_steps(autocast=mode != "float32", shared=Path(args.shared)), args.reps)
        result["modes"][mode] = timings
        result["detectra_weights"] = dict(WEIGHTS_USED)
        for name, t in timings.items():
            print(f"{mode:14s} {name:24s} {t['median_s']:7.2f} s  ({t['masks']} masks)", flush=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
