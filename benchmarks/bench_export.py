"""Inference latency of exported models against the eager model, side by side in one run: eager float32, eager
bf16 autocast, ONNX (TorchScript-based exporter, opset 17) in onnxruntime on the CPU, the torch.export program
(``ExportedProgram.module()``, float32 and bf16) and the AOTInductor package of that program (compiled C++, float32 and
bf16), for R50-FPN Faster and Mask R-CNN on one 800x1067 image.

Models are the model zoo's COCO configs, randomly initialised (seed 0; score threshold 0.05, 100 detections): the
same weights for every runtime, so they do the same work. Each runtime gets one warm-up call, then the median of
``--reps``. Latency covers what the user waits for: the graph plus the Python post-processing (mask pasting,
rescaling) that `detectra.export.ExportedModel` adds. The JSON records each export's (or compile's) time, each
runtime's detection count, and the machine (CPU flags, threads, load average: `_machine.py`).

    python benchmarks/bench_export.py --out bench_export.json [--reps 3] [--bf16 auto|on|off] [--aoti [fp32] [bf16]]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from _machine import machine_info  # benchmarks/ is the script's folder

from detectra import model_zoo
from detectra.export import ExportedModel, export_model
from detectra.modeling import build_model

HW = (800, 1067)
MODELS = {
    "faster_rcnn_R_50_FPN": "COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml",
    "mask_rcnn_R_50_FPN": "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml",
}
# JSON key -> (export format, file suffix, precision)
EXPORTS = {
    "onnxruntime_cpu": ("onnx", ".onnx", "float32"),
    "torch_export": ("torch-export", ".pt2", "float32"),
    "torch_export_bf16": ("torch-export", ".pt2", "bfloat16"),
    "aoti": ("aoti", ".pt2", "float32"),
    "aoti_bf16": ("aoti", ".pt2", "bfloat16"),
}


def _median_seconds(fn, reps: int) -> dict:
    fn()  # warm-up: oneDNN primitive caches, onnxruntime's first-run allocations
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "times_s": times}


def bench_model(name: str, reps: int, runtimes: list[str], workdir: Path) -> dict:
    torch.manual_seed(0)
    cfg = model_zoo.get_config(MODELS[name])
    cfg.MODEL.DEVICE = "cpu"
    model = build_model(cfg).eval()
    gen = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (3, *HW), generator=gen, dtype=torch.uint8).float()
    inputs = [{"image": image}]
    out: dict = {"config": MODELS[name]}

    with torch.no_grad():
        out["eager_fp32"] = _median_seconds(lambda: model(inputs), reps)
        out["eager_fp32"]["detections"] = len(model(inputs)[0]["instances"])
        if "eager_bf16" in runtimes:
            def run_bf16():
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    return model(inputs)

            out["eager_bf16"] = _median_seconds(run_bf16, reps)
            out["eager_bf16"]["detections"] = len(run_bf16()[0]["instances"])
        for key in (k for k in EXPORTS if k in runtimes):
            fmt, suffix, precision = EXPORTS[key]
            path = workdir / f"{name}_{key}{suffix}"
            start = time.perf_counter()
            export_model(model, image, path, fmt, dynamic=True, precision=precision)
            export_s = time.perf_counter() - start
            exported = ExportedModel(path)
            out[key] = _median_seconds(lambda m=exported: m(inputs), reps)
            out[key]["export_s"] = export_s
            out[key]["detections"] = len(exported(inputs)[0]["instances"])
            print(key, json.dumps(out[key]), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench_export.json")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                        help="the bf16 rows (eager autocast, bf16 exports); auto: where the CPU has AVX-512 / AMX "
                             "bf16, elsewhere bf16 is emulated and slow")  # fmt: skip
    parser.add_argument("--aoti", nargs="*", choices=["fp32", "bf16"], default=["fp32"],
                        help="AOTInductor packages to build (each compiles for minutes; default fp32); none: --aoti")  # fmt: skip
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    machine = machine_info()
    bf16 = args.bf16 == "on" or (args.bf16 == "auto" and {"avx512_bf16", "amx_bf16"} & set(machine["cpu_flags"]))
    runtimes = ["eager_fp32", "onnxruntime_cpu", "torch_export"] + [f"aoti{'_bf16' * (p == 'bf16')}" for p in args.aoti]
    if bf16:
        runtimes += ["eager_bf16", "torch_export_bf16"]
    else:
        runtimes = [r for r in runtimes if not r.endswith("bf16")]
    try:
        import onnxruntime

        ort_version = onnxruntime.__version__
    except ImportError as e:
        raise SystemExit("bench_export.py needs onnxruntime: pip install 'detectra[export]'") from e
    result = {**machine, "onnxruntime": ort_version, "image_hw": list(HW), "reps": args.reps, "runtimes": runtimes,
              "models": {}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            result["models"][name] = bench_model(name, args.reps, runtimes, Path(tmp))
            print(json.dumps({name: result["models"][name]}, indent=1), flush=True)
            Path(args.out).write_text(json.dumps(result, indent=2))  # what is measured so far survives a stop
    result["load_average_end"] = machine_info()["load_average"]
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
