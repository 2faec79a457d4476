"""R50-FPN Faster / Mask R-CNN on a GPU: detectra next to torchvision's detection models, in one run.

    python benchmarks/bench_gpu.py --out bench_gpu.json [--iters 20] [--precisions float32 bfloat16 float16]

For each precision (float32; bfloat16 and float16 under autocast, float16 training with a GradScaler):

- training images/s at batch 16 (``--train-batch``), 800x1067 images with 5 boxes (and box-shaped masks) each,
  SGD; and the number of host synchronisations inside one detectra training step, counted with
  ``torch.cuda.set_sync_debug_mode("warn")``;
- inference images/s at batch 1, 1000 proposals, score threshold 0, 100 detections.

detectra uses the model-zoo configs (FrozenBN, stem + res2 frozen); torchvision uses ``fasterrcnn_resnet50_fpn`` /
``maskrcnn_resnet50_fpn(weights=None, weights_backbone=None)`` with the stem and layer1 frozen by hand. Both are
randomly initialised (no download), ``cudnn.benchmark`` on. Each measurement: ``--warmup`` untimed iterations, then
``--iters`` timed ones between two ``torch.cuda.synchronize()``. ``--device cpu --smoke`` runs every code path on tiny
inputs (a check that the script works, not a measurement).
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from contextlib import nullcontext
from typing import Callable, Dict, List

import torch
from torchvision.models.detection import fasterrcnn_resnet50_fpn, maskrcnn_resnet50_fpn

from detectra import model_zoo
from detectra.modeling import build_model
from detectra.structures import BitMasks, Boxes, Instances
from detectra.utils.events import EventStorage
from detectra.utils.precision import PRECISIONS

from _machine import machine_info  # benchmarks/ is the script's folder

MODELS = {
    "faster_rcnn": ("COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml", fasterrcnn_resnet50_fpn),
    "mask_rcnn": ("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml", maskrcnn_resnet50_fpn),
}


def _detectra(config: str, device: str) -> torch.nn.Module:
    cfg = model_zoo.get_config(config)
    cfg.MODEL.DEVICE = device
    cfg.MODEL.WEIGHTS = ""
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0
    torch.manual_seed(0)
    return build_model(cfg)


def _torchvision(builder: Callable, hw, device: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = builder(weights=None, weights_backbone=None, min_size=hw[0], max_size=hw[1], rpn_pre_nms_top_n_test=1000,
                    rpn_post_nms_top_n_test=1000, rpn_post_nms_top_n_train=1000, box_score_thresh=0.0,
                    box_detections_per_img=100, box_batch_size_per_image=512)  # fmt: skip
    body = model.backbone.body
    for module in [body.conv1, body.bn1, body.layer1]:  # FREEZE_AT=2, as detectra's configs
        module.requires_grad_(False)
    return model.to(device)


def _batch(n: int, hw, device: str, seed: int):
    """n random images (uint8, 3xHxW) with 5 boxes each: detectra inputs and torchvision (images, targets)."""
    g = torch.Generator().manual_seed(seed)
    h, w = hw
    d2, tv_images, tv_targets = [], [], []
    for _ in range(n):
        image = torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8)
        xy = torch.rand(5, 2, generator=g) * torch.tensor([w * 0.7, h * 0.7])
        boxes = torch.cat([xy, xy + torch.rand(5, 2, generator=g) * torch.tensor([w * 0.3, h * 0.3]) + 8], 1)
        classes = torch.randint(0, 80, (5,), generator=g)
        masks = torch.zeros(5, h, w, dtype=torch.bool)
        for k, (x0, y0, x1, y1) in enumerate(boxes.round().long().tolist()):
            masks[k, y0:y1, x0:x1] = True
        inst = Instances((h, w), gt_boxes=Boxes(boxes), gt_classes=classes, gt_masks=BitMasks(masks))
        d2.append({"image": image.pin_memory() if device == "cuda" else image, "instances": inst})
        tv_images.append(image.to(device).flip(0).float() / 255.0)
        tv_targets.append({"boxes": boxes.to(device), "labels": classes.to(device) + 1, "masks": masks.to(device)})
    return d2, (tv_images, tv_targets)


def _autocast(device: str, precision: str):
    dtype = PRECISIONS[precision]
    return nullcontext() if dtype == torch.float32 else torch.autocast(device, dtype=dtype)


def _train_step(model, opt, scaler, device: str, precision: str, run: Callable[[], Dict[str, torch.Tensor]]):
    with _autocast(device, precision):
        losses = run()
    loss = sum(losses.values())
    opt.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    else:
        loss.backward()
        opt.step()


def _rate(fn: Callable[[], None], images: int, warmup: int, iters: int, device: str) -> float:
    for _ in range(warmup):
        fn()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return images * iters / (time.perf_counter() - start)


def _count_syncs(fn: Callable[[], None]) -> int:
    """Host synchronisations in one call of ``fn`` (CUDA only)."""
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchronizing" in str(w.message) for w in caught)


def _measure(name: str, precision: str, args) -> List[dict]:
    config, builder = MODELS[name]
    device, hw = args.device, tuple(args.hw)
    d2_train, (tv_images, tv_targets) = _batch(args.train_batch, hw, device, 0)
    d2_infer, (tv_infer, _) = _batch(1, hw, device, 1)
    d2_infer = [{"image": x["image"]} for x in d2_infer]
    rows = []
    for library in ("detectra", "torchvision"):
        model = _detectra(config, device) if library == "detectra" else _torchvision(builder, hw, device)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.SGD(params, lr=1e-4, momentum=0.9)
        scaler = torch.amp.GradScaler(device) if precision == "float16" else None
        if library == "detectra":
            def run():
                with EventStorage():
                    return model(d2_train)
        else:
            def run():
                return model(tv_images, tv_targets)

        def train_step():
            model.train()
            _train_step(model, opt, scaler, device, precision, run)

        def infer_step():
            model.eval()
            with torch.no_grad(), _autocast(device, precision):
                model(d2_infer) if library == "detectra" else model(tv_infer)

        row = {"model": name, "library": library, "precision": precision}
        row["train_img_s"] = _rate(train_step, args.train_batch, args.warmup, args.iters, device)
        row["infer_img_s"] = _rate(infer_step, 1, args.warmup, args.iters, device)
        if device == "cuda" and library == "detectra":
            row["host_syncs_per_train_step"] = _count_syncs(train_step)
        rows.append(row)
        print(f"{name:12s} {library:12s} {precision:9s} train {row['train_img_s']:7.2f} img/s   "
              f"inference {row['infer_img_s']:7.2f} img/s", flush=True)  # fmt: skip
        model = opt = None  # free this model before the next one is built (the closures above refer to the names)
        if device == "cuda":
            torch.cuda.empty_cache()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="bench_gpu.json")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16", "float16"], choices=list(PRECISIONS))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--train-batch", type=int, default=16)
    parser.add_argument("--hw", type=int, nargs=2, default=[800, 1067], metavar=("H", "W"))
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, 1 iteration: check the script runs")
    args = parser.parse_args()
    if args.smoke:
        args.train_batch, args.hw, args.warmup, args.iters = 2, [128, 160], 0, 1
    if args.device == "cuda":
        if not torch.cuda.is_available():
            parser.error("no CUDA device: this benchmark is for GPUs (use --device cpu --smoke to check the script)")
        torch.backends.cudnn.benchmark = True
    result = {"machine": machine_info(), "args": vars(args), "rows": []}
    if args.device == "cuda":
        result["gpu"] = torch.cuda.get_device_name()
    for precision in args.precisions:
        for name in args.models:
            result["rows"] += _measure(name, precision, args)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
