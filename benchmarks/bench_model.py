"""Faster R-CNN R50-FPN on the CPU: detectra against torchvision's yardsticks, in one run, interleaved.

    python benchmarks/bench_model.py --out bench_model.json [--reps 3] [--bf16 auto|on|off] [--no-train] [--unfused]

Three comparisons (the targets of issue 15):

- ``bf16_infer``: detectra's whole detector under bf16 (``TEST.PRECISION bfloat16``) vs torchvision's
  ``resnet_fpn_backbone("resnet50")`` alone (FrozenBN, bf16 autocast, channels-last model and input): the floor any
  R50-FPN detector stands on. Target: <= 2.5x.
- ``fp32_infer``: detectra's whole detector in float32 vs torchvision's ``fasterrcnn_resnet50_fpn``. Target: <= 0.8x.
- ``train``: one detectra training step under bf16 autocast (``SOLVER.AMP`` with ``PRECISION bfloat16``) vs one
  torchvision float32 step, SGD, a batch of two 512x683 images with three boxes each. Target: <= 0.35x.

Inference is one 800x1067 image, 1000 proposals after NMS, score threshold 0 and 100 detections in both detectors
(so untrained weights still send a full set through post-processing). detectra uses the
``COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml`` model with the deterministic weights of the Detectron2 parity
fixtures (``shared/fixtures/d2parity``; ``--shared``), as ``bench_seg.py`` does: plain random R50 weights give
activations in the thousands and a different, cheaper workload. torchvision's models are randomly initialised, stem
and layer1 frozen (like ``FREEZE_AT=2``); its untrained detector keeps BatchNorm in train mode when training.
Each round runs every step once, in turn; the fastest of ``--reps`` rounds after a warm-up round is kept, by wall
clock (the verdict) and by process CPU time (with ``OMP_NUM_THREADS=1``, the robust figure on a shared machine).
bf16 rows need AVX-512-bf16 / AMX (``--bf16 auto``). ``--unfused`` also times the float32 detector with the
convolutions' bias / residual add / ReLU fusion off (``Conv2d.fuse_at_inference = False``), in the same rounds.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Dict

import torch
from torchvision.models.detection import fasterrcnn_resnet50_fpn
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone

from detectra import model_zoo
from detectra.checkpoint import DetectionCheckpointer
from detectra.layers import Conv2d
from detectra.modeling import build_model
from detectra.structures import Boxes, Instances
from detectra.utils.events import EventStorage
from detectra.utils.precision import inference_autocast

from _machine import machine_info  # benchmarks/ is the script's folder

INFER_HW = (800, 1067)
TRAIN_HW = (512, 683)
GT_BOXES = [[40.0, 60.0, 300.0, 400.0], [350.0, 100.0, 600.0, 300.0], [100.0, 320.0, 250.0, 500.0]]
GT_CLASSES = [1, 5, 17]
TARGETS = {"bf16_infer": 2.5, "fp32_infer": 0.8, "train": 0.35}
CONFIG = "COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml"


def _detectra_model(shared: Path):
    cfg = model_zoo.get_config(CONFIG)
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.WEIGHTS = ""
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0
    torch.manual_seed(0)
    model = build_model(cfg)
    fixture = shared / "fixtures" / "d2parity"
    manifest = fixture / "faster_rcnn_R_50_FPN" / "manifest.json"
    if not manifest.is_file():
        return model, "random (no parity fixtures found: a different, cheaper workload)"
    spec = importlib.util.spec_from_file_location("_d2parity_weights", fixture / "weights.py")
    weights = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(weights)
    state = weights.make_state_dict(weights.load_manifest(str(manifest)))
    DetectionCheckpointer(model)._load_model({"model": state, "__author__": "d2parity", "matching_heuristics": True})
    return model, "d2parity/faster_rcnn_R_50_FPN"


def _freeze_stem_and_layer1(body: torch.nn.Module) -> None:
    # trainable_backbone_layers only applies to pretrained backbones: freeze by hand, as detectra's FREEZE_AT=2
    for module in [body.conv1, body.bn1, body.layer1]:
        module.requires_grad_(False)


def _torchvision_detector():
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
        box_score_thresh=0.0,
        box_nms_thresh=0.5,
        box_detections_per_img=100,
        box_batch_size_per_image=512,
    )
    _freeze_stem_and_layer1(model.backbone.body)
    return model


def _torchvision_backbone():
    torch.manual_seed(0)
    backbone = resnet_fpn_backbone(backbone_name="resnet50", weights=None, trainable_layers=3)  # FrozenBN
    return backbone.eval().to(memory_format=torch.channels_last)


def _image(hw, seed: int) -> torch.Tensor:
    return torch.randint(0, 256, (3, *hw), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def _steps(shared: Path, bf16: bool, train: bool, unfused: bool) -> tuple[Dict[str, Callable[[], None]], str]:
    """name -> a callable running one measured step (models and inputs built once here)."""
    d2, weights = _detectra_model(shared)
    tv = _torchvision_detector()
    infer_img = _image(INFER_HW, 0)
    steps: Dict[str, Callable[[], None]] = {}

    def detectra_infer(precision: str, fuse: bool = True):
        def run():
            d2.eval()
            Conv2d.fuse_at_inference = fuse
            try:
                with torch.no_grad(), inference_autocast(precision, "cpu"):
                    d2([{"image": infer_img, "height": INFER_HW[0], "width": INFER_HW[1]}])
            finally:
                Conv2d.fuse_at_inference = True

        return run

    def tv_infer():
        tv.eval()
        tv.transform.min_size = (INFER_HW[0],)
        with torch.no_grad():
            tv([infer_img.flip(0).float() / 255.0])  # RGB in [0, 1]; torchvision normalises inside

    steps["fp32_infer/detectra"] = detectra_infer("float32")
    steps["fp32_infer/torchvision"] = tv_infer
    if unfused:  # not a comparison of issue 15 (its name matches no target): what the fusion saves
        steps["fp32_infer_unfused/detectra"] = detectra_infer("float32", fuse=False)
    if bf16:
        backbone = _torchvision_backbone()
        # the same normalised input a detector would feed it, channels-last
        tv_input = ((infer_img.flip(0).float() / 255.0 - 0.45) / 0.225)[None].contiguous(
            memory_format=torch.channels_last
        )

        def tv_backbone_bf16():
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                backbone(tv_input)

        steps["bf16_infer/detectra"] = detectra_infer("bfloat16")
        steps["bf16_infer/torchvision_backbone"] = tv_backbone_bf16
    if train:
        train_imgs = [_image(TRAIN_HW, 1), _image(TRAIN_HW, 2)]
        gt = Instances(TRAIN_HW, gt_boxes=Boxes(torch.tensor(GT_BOXES)), gt_classes=torch.tensor(GT_CLASSES))
        d2_opt = torch.optim.SGD([p for p in d2.parameters() if p.requires_grad], lr=1e-5, momentum=0.9)
        tv_opt = torch.optim.SGD([p for p in tv.parameters() if p.requires_grad], lr=1e-5, momentum=0.9)
        d2_ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else nullcontext

        def d2_train():
            d2.train()
            with EventStorage(), d2_ctx():
                losses = d2([{"image": im, "instances": gt} for im in train_imgs])
            d2_opt.zero_grad()
            sum(losses.values()).backward()
            d2_opt.step()

        def tv_train():
            tv.train()
            tv.transform.min_size = (TRAIN_HW[0],)
            targets = [{"boxes": gt.gt_boxes.tensor.clone(), "labels": gt.gt_classes.clone()} for _ in train_imgs]
            losses = tv([im.flip(0).float() / 255.0 for im in train_imgs], targets)
            tv_opt.zero_grad()
            sum(losses.values()).backward()
            tv_opt.step()

        steps["train/detectra" + ("_bf16" if bf16 else "_fp32")] = d2_train
        steps["train/torchvision_fp32"] = tv_train
    return steps, weights


def _time(steps: Dict[str, Callable[[], None]], reps: int) -> Dict[str, Dict[str, list]]:
    for fn in steps.values():  # warm-up: oneDNN primitives, allocator, folded weights
        fn()
    times = {name: {"wall_s": [], "cpu_s": []} for name in steps}
    for _ in range(reps):
        for name, fn in steps.items():  # interleaved: load changes on a shared machine hit every step alike
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            times[name]["wall_s"].append(time.perf_counter() - wall)
            times[name]["cpu_s"].append(time.process_time() - cpu)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench_model.json", help="JSON result file")
    parser.add_argument("--reps", type=int, default=3, help="timed rounds after one warm-up round (fastest kept)")
    parser.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                        help="bf16 rows; auto: only where the CPU has AMX or AVX-512-bf16 (elsewhere oneDNN's bf16 "
                        "convolutions are ~100x slower than float32)")  # fmt: skip
    parser.add_argument("--no-train", action="store_true", help="inference only")
    parser.add_argument("--unfused", action="store_true", help="also time float32 inference without conv fusion")
    parser.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"),
                        help="the shared/ folder holding fixtures/d2parity (detectra's weights)")  # fmt: skip
    args = parser.parse_args()

    result = {"machine": machine_info(), "infer_input_hw": INFER_HW, "train_batch": [2, *TRAIN_HW], "reps": args.reps}
    native_bf16 = any(f in result["machine"]["cpu_flags"] for f in ("amx_bf16", "avx512_bf16"))
    bf16 = args.bf16 == "on" or (args.bf16 == "auto" and native_bf16)
    if not bf16:
        result["bf16"] = "not measured: no AMX / AVX-512-bf16" if not native_bf16 else f"not measured: --bf16 {args.bf16}"
        print(result["bf16"])
    steps, result["detectra_weights"] = _steps(Path(args.shared), bf16, not args.no_train, args.unfused)
    times = _time(steps, args.reps)
    result["load_average_after"] = machine_info()["load_average"]
    result["steps"] = times
    result["comparisons"] = {}
    for task, target in TARGETS.items():
        names = [n for n in steps if n.startswith(task + "/")]
        if len(names) != 2:
            continue
        row = {"detectra": names[0], "yardstick": names[1], "target": target}
        for clock in ("wall_s", "cpu_s"):  # CPU time: robust on a shared machine with OMP_NUM_THREADS=1
            ours, theirs = (min(times[n][clock]) for n in names)
            row[clock] = {"detectra": ours, "yardstick": theirs, "ratio": ours / theirs}
        # the train target is for a bf16 step; a float32 step is reported without a verdict
        row["met"] = row["wall_s"]["ratio"] <= target if task != "train" or bf16 else None
        result["comparisons"][task] = row
        verdict = {True: "met", False: "not met", None: "n/a in float32"}[row["met"]]
        print(f"{task:11s} {names[0]:20s} vs {names[1]:32s} wall {row['wall_s']['detectra']:6.2f} / "
              f"{row['wall_s']['yardstick']:6.2f} s = {row['wall_s']['ratio']:.2f}   CPU {row['cpu_s']['detectra']:6.2f}"
              f" / {row['cpu_s']['yardstick']:6.2f} s = {row['cpu_s']['ratio']:.2f}   target <= {target}: {verdict}")  # fmt: skip
    if args.unfused:
        fused, unfused, tv = (min(times[n]["cpu_s"]) for n in ("fp32_infer/detectra", "fp32_infer_unfused/detectra",
                                                               "fp32_infer/torchvision"))  # fmt: skip
        result["fp32_fusion"] = {"fused_cpu_s": fused, "unfused_cpu_s": unfused, "unfused_ratio": unfused / tv}
        print(f"fp32 without conv fusion: CPU {unfused:6.2f} s = {unfused / tv:.2f} of torchvision's "
              f"(with: {fused:6.2f} s = {fused / tv:.2f})")  # fmt: skip
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
