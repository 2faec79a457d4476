"""Faster R-CNN R50-FPN: detectra vs torchvision, CPU, same input, inference and one training iteration.

    python benchmarks/bench_model.py --out bench_model.json [--reps 3] [--bf16 auto|on|off] [--no-train]

Both models are randomly initialised (no download) and run the same regime: 1000 proposals after NMS at test time,
score threshold 0.05, at most 100 detections, input 800x1067 (inference) and a batch of two 512x683 images with
three ground-truth boxes each (training). detectra uses the model-zoo config (FrozenBN, stem + res2 frozen);
torchvision uses ``fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None)`` with its stem and layer1 frozen
by hand (the same layers trainable; its untrained backbone keeps plain BatchNorm). Timings interleave the two models and
report the median over ``--reps`` runs after one warm-up run. Each measurement is repeated in float32 and under
``torch.autocast("cpu", dtype=torch.bfloat16)`` where the CPU has AVX-512 (see ``--bf16``).
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from contextlib import nullcontext
from typing import Callable, Dict, List

import torch
import torchvision
from torchvision.models.detection import fasterrcnn_resnet50_fpn

from detectra import model_zoo
from detectra.modeling import build_model
from detectra.structures import Boxes, Instances
from detectra.utils.events import EventStorage

INFER_HW = (800, 1067)
TRAIN_HW = (512, 683)
GT_BOXES = [[40.0, 60.0, 300.0, 400.0], [350.0, 100.0, 600.0, 300.0], [100.0, 320.0, 250.0, 500.0]]
GT_CLASSES = [1, 5, 17]


def _detectra_model():
    cfg = model_zoo.get_config("COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml")
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.WEIGHTS = ""
    torch.manual_seed(0)
    return build_model(cfg)


def _torchvision_model():
    torch.manual_seed(0)
    model = fasterrcnn_resnet50_fpn(
        weights=None,
        weights_backbone=None,
        min_size=INFER_HW[0],  # set per task below: inputs are already at the wanted size, no resize in either model
        max_size=max(INFER_HW[1], TRAIN_HW[1]),
        rpn_pre_nms_top_n_test=1000,
        rpn_post_nms_top_n_test=1000,
        rpn_pre_nms_top_n_train=2000,
        rpn_post_nms_top_n_train=1000,  # Detectron2's FPN configs: POST_NMS_TOPK_TRAIN 1000 per image
        box_score_thresh=0.05,
        box_nms_thresh=0.5,
        box_detections_per_img=100,
        box_batch_size_per_image=512,
    )
    # trainable_backbone_layers=3 only applies to pretrained backbones: freeze the stem and layer1 by hand, as
    # detectra's FREEZE_AT=2 does
    body = model.backbone.body
    for module in [body.conv1, body.bn1, body.layer1]:
        module.requires_grad_(False)
    return model


def _image(hw, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (3, *hw), generator=g, dtype=torch.uint8)


def _steps(autocast: bool) -> Dict[str, Callable[[], None]]:
    """name -> a callable running one measured step (models and inputs built once here)."""
    d2, tv = _detectra_model(), _torchvision_model()
    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if autocast else nullcontext
    infer_img = _image(INFER_HW, 0)
    train_imgs = [_image(TRAIN_HW, 1), _image(TRAIN_HW, 2)]
    gt = Instances(TRAIN_HW, gt_boxes=Boxes(torch.tensor(GT_BOXES)), gt_classes=torch.tensor(GT_CLASSES))

    d2_opt = torch.optim.SGD([p for p in d2.parameters() if p.requires_grad], lr=1e-5, momentum=0.9)
    tv_opt = torch.optim.SGD([p for p in tv.parameters() if p.requires_grad], lr=1e-5, momentum=0.9)

    def d2_infer():
        d2.eval()
        with torch.no_grad(), ctx():
            d2([{"image": infer_img, "height": INFER_HW[0], "width": INFER_HW[1]}])

    def tv_infer():
        tv.eval()
        tv.transform.min_size = (INFER_HW[0],)
        with torch.no_grad(), ctx():
            tv([infer_img.float() / 255.0])

    def d2_train():
        d2.train()
        with EventStorage(), ctx():
            losses = d2([{"image": im, "instances": gt} for im in train_imgs])
        d2_opt.zero_grad()
        sum(losses.values()).backward()
        d2_opt.step()

    def tv_train():
        tv.train()
        tv.transform.min_size = (TRAIN_HW[0],)
        targets = [{"boxes": gt.gt_boxes.tensor.clone(), "labels": gt.gt_classes.clone()} for _ in train_imgs]
        with ctx():
            losses = tv([im.float() / 255.0 for im in train_imgs], targets)
        tv_opt.zero_grad()
        sum(losses.values()).backward()
        tv_opt.step()

    return {"detectra/infer": d2_infer, "torchvision/infer": tv_infer, "detectra/train": d2_train, "torchvision/train": tv_train}


def _time(steps: Dict[str, Callable[[], None]], names: List[str], reps: int) -> Dict[str, List[float]]:
    for name in names:  # warm-up: oneDNN primitives, allocator
        steps[name]()
    times = {n: [] for n in names}
    for _ in range(reps):
        for name in names:  # interleaved, so that load changes on a shared machine hit both models alike
            t0 = time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench_model.json", help="JSON result file")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--bf16",
        choices=["auto", "on", "off"],
        default="auto",
        help="bf16 autocast runs; auto: only on CPUs with AVX-512 (without native bf16, oneDNN's bf16 convolutions "
        "are ~100x slower than float32 and a run takes hours)",
    )
    parser.add_argument("--no-train", action="store_true", help="inference only")
    args = parser.parse_args()

    result = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "infer_input_hw": INFER_HW,
        "train_batch": [2, *TRAIN_HW],
        "reps": args.reps,
        "runs": {},
    }
    capability = torch.backends.cpu.get_cpu_capability()
    result["cpu_capability"] = capability
    run_bf16 = args.bf16 == "on" or (args.bf16 == "auto" and "AVX512" in capability)
    if not run_bf16:
        result["bf16_skipped"] = f"--bf16 {args.bf16}, CPU capability {capability}"
        print(f"skipping bf16 autocast ({result['bf16_skipped']})")
    modes = ["float32"] + (["bf16_autocast"] if run_bf16 else [])
    for mode in modes:
        steps = _steps(autocast=mode != "float32")
        for task in ["infer"] + ([] if args.no_train else ["train"]):
            names = [f"detectra/{task}", f"torchvision/{task}"]
            times = _time(steps, names, args.reps)
            med = {n: statistics.median(t) for n, t in times.items()}
            ratio = med[names[0]] / med[names[1]]
            result["runs"][f"{mode}/{task}"] = {
                "detectra_s": med[names[0]],
                "torchvision_s": med[names[1]],
                "detectra_over_torchvision": ratio,
                "all_s": times,
            }
            print(
                f"{mode:14s} {task:6s} detectra {med[names[0]]:.3f}s  torchvision {med[names[1]]:.3f}s  "
                f"ratio {ratio:.2f} ({'faster' if ratio < 1 else 'slower'})",
                flush=True,
            )
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
