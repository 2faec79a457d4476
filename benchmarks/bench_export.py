"""Inference latency of exported models against the eager model, side by side in one run: eager float32, eager
bf16 autocast, ONNX (TorchScript-based exporter, opset 17) in onnxruntime on the CPU, and the torch.export
program (``ExportedProgram.module()``), for R50-FPN Faster and Mask R-CNN on one 800x1067 image.

Models are the model zoo's COCO configs, randomly initialised (seed 0; score threshold 0.05, 100 detections): the
same weights for every runtime, so they do the same work. Each runtime gets one warm-up call, then the median of
``--reps``. Latency covers what the user waits for: the graph plus the Python post-processing (mask pasting,
rescaling) that `detectra.export.ExportedModel` adds. AOTInductor is not built (it compiles C++ for minutes).

    python benchmarks/bench_export.py --out bench_export.json [--reps 3] [--bf16 auto|on|off]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from detectra import model_zoo
from detectra.export import ExportedModel, export_model
from detectra.modeling import build_model

HW = (800, 1067)
MODELS = {
    "faster_rcnn_R_50_FPN": "COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml",
    "mask_rcnn_R_50_FPN": "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml",
}


def _median_seconds(fn, reps: int) -> dict:
    fn()  # warm-up: oneDNN primitive caches, onnxruntime's first-run allocations
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "times_s": times}


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def bench_model(name: str, reps: int, bf16: bool, workdir: Path) -> dict:
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
        if bf16:
            def run_bf16():
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    return model(inputs)

            out["eager_bf16"] = _median_seconds(run_bf16, reps)
        else:
            out["eager_bf16"] = "skipped: the CPU has no AVX-512 / AMX bf16 (see bench_model.py); --bf16 on forces it"
        for fmt, suffix in (("onnx", ".onnx"), ("torch-export", ".pt2")):
            path = workdir / f"{name}{suffix}"
            start = time.perf_counter()
            export_model(model, image, path, fmt, dynamic=True)
            export_s = time.perf_counter() - start
            exported = ExportedModel(path)
            key = "onnxruntime_cpu" if fmt == "onnx" else "torch_export"
            out[key] = _median_seconds(lambda m=exported: m(inputs), reps)
            out[key]["export_s"] = export_s
            out[key]["detections"] = len(exported(inputs)[0]["instances"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench_export.json")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--bf16", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    flags = _cpu_flags()
    bf16 = args.bf16 == "on" or (args.bf16 == "auto" and ("avx512_bf16" in flags or "amx_bf16" in flags))
    try:
        import onnxruntime

        ort_version = onnxruntime.__version__
    except ImportError as e:
        raise SystemExit("bench_export.py needs onnxruntime: pip install 'detectra[export]'") from e
    result = {
        "torch": torch.__version__, "onnxruntime": ort_version, "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "image_hw": list(HW), "reps": args.reps, "models": {},
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            result["models"][name] = bench_model(name, args.reps, bf16, Path(tmp))
            print(json.dumps({name: result["models"][name]}, indent=1), flush=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
