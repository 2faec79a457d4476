"""RoIAlign on the CPU: torchvision's kernel vs detectra's separable backward and dense forward, side by side.

Training (forward + backward): each case is one pooler level of a Faster R-CNN box head (7x7 output, adaptive sampling, aligned): the shapes main
job's P3 and P4 maps, and COCO-sized (800x1333) maps with small and large boxes, where `ROIAlign` picks the cheaper
of the two (the `used` column says which). Boxes are random, with sides in the given range of pixels.

Inference (forward only, no grad): the four box-pooler levels of one 800x1067 image with 1000 proposals split by
FPN level assignment, channels-last features as the backbone leaves them, in float32 and bf16: torchvision's kernel
(for bf16: features cast to float32 and the output back, as `ROIAlign` did before) vs the dense forward of
`detectra/layers/roi_align_forward.py`. Prints and writes JSON:

    python benchmarks/bench_roi_align.py --out bench_roi_align.json
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch
from torchvision.ops import roi_align

from _machine import cpu_flags  # benchmarks/ is the script's folder
from detectra.layers.roi_align_forward import roi_align_separable_forward, use_separable_forward
from detectra.layers.roi_align_grad import roi_align_separable_grad, use_separable_backward

# name, (images, channels, height, width), rois, stride, (min, max) box side in pixels
_CASES = [
    ("shapes P3 (main job)", (8, 64, 24, 36), 700, 8, (8, 160)),
    ("shapes P4 (main job)", (8, 64, 12, 18), 250, 16, (8, 160)),
    ("COCO P3, large boxes", (2, 256, 100, 168), 1000, 8, (16, 400)),
    ("COCO P3, small boxes", (2, 256, 100, 168), 1000, 8, (16, 100)),
    ("COCO P2, small boxes", (2, 256, 200, 336), 1000, 4, (16, 112)),
    ("COCO P5, large boxes", (2, 256, 25, 42), 1000, 32, (200, 800)),
]

# inference: name, feature (height, width), stride, rois, (min, max) box side in pixels (FPN level assignment:
# sqrt(area) < 112 -> P2, < 224 -> P3, < 448 -> P4, else P5)
_FWD_CASES = [
    ("R50-FPN 800x1067 P2", (200, 267), 4, 500, (16, 112)),
    ("R50-FPN 800x1067 P3", (100, 134), 8, 250, (112, 224)),
    ("R50-FPN 800x1067 P4", (50, 67), 16, 150, (224, 448)),
    ("R50-FPN 800x1067 P5", (25, 34), 32, 100, (448, 800)),
]


def _inputs(shape, num_rois: int, stride: int, sizes, gen: torch.Generator):
    n, c, h, w = shape
    x = torch.randn(shape, generator=gen, requires_grad=True)
    ctr = torch.rand(num_rois, 2, generator=gen) * torch.tensor([w * stride, h * stride], dtype=torch.float32)
    side = torch.rand(num_rois, 2, generator=gen) * (sizes[1] - sizes[0]) + sizes[0]
    boxes = torch.cat([ctr - side / 2, ctr + side / 2], 1)
    rois = torch.cat([torch.randint(0, n, (num_rois, 1), generator=gen).float(), boxes], 1)
    grad_out = torch.randn(num_rois, c, 7, 7, generator=gen)
    return x, rois, grad_out


def _time(fn, x, rois, grad_out, stride: int, reps: int) -> list[float]:
    times = []
    for i in range(reps + 1):  # the first is a warm-up
        start = time.perf_counter()
        out = fn(x, rois, (7, 7), 1.0 / stride, 0, True)
        torch.autograd.grad(out, x, grad_out)
        if i:
            times.append(time.perf_counter() - start)
    return times


def _torchvision_forward(x, rois, stride):
    out = roi_align(x.float(), rois, (7, 7), 1.0 / stride, 0, True)  # the float() copy is part of the bf16 cost
    return out.to(x.dtype)


def _forward_rows(reps: int, gen: torch.Generator) -> list[dict]:
    rows = []
    for name, (h, w), stride, num_rois, sizes in _FWD_CASES:
        x, rois, _ = _inputs((1, 256, h, w), num_rois, stride, sizes, gen)
        x = x.detach().contiguous(memory_format=torch.channels_last)
        for dtype in (torch.float32, torch.bfloat16):
            xd = x.to(dtype)
            ref = roi_align(xd.double(), rois.double(), (7, 7), 1.0 / stride, 0, True)
            err = (roi_align_separable_forward(xd, rois, (7, 7), 1.0 / stride, 0, True).double() - ref).abs().max()
            tv, dense, tv_cpu, dense_cpu = [], [], [], []
            with torch.no_grad():
                for _ in range(reps + 1):  # interleaved; the first round is a warm-up
                    for fn, times, cpu in ((_torchvision_forward, tv, tv_cpu),
                                           (roi_align_separable_forward, dense, dense_cpu)):  # fmt: skip
                        start, start_cpu = time.perf_counter(), time.process_time()
                        fn(xd, rois, stride) if fn is _torchvision_forward else fn(xd, rois, (7, 7), 1 / stride, 0, True)
                        times.append(time.perf_counter() - start)
                        cpu.append(time.process_time() - start_cpu)
            row = {
                "case": name,
                "dtype": str(dtype).replace("torch.", ""),
                "features": [1, 256, h, w],
                "rois": num_rois,
                "torchvision_s": min(tv[1:]),
                "dense_s": min(dense[1:]),
                "max_abs_error_vs_float64": float(err),
                "used": "dense" if use_separable_forward(xd, rois, (7, 7), 1.0 / stride, 0) else "torchvision",
                "torchvision_all_s": tv[1:],
                "dense_all_s": dense[1:],
                # process CPU time: robust on a shared machine with OMP_NUM_THREADS=1
                "torchvision_cpu_s": min(tv_cpu[1:]),
                "dense_cpu_s": min(dense_cpu[1:]),
            }
            row["speedup"] = row["torchvision_s"] / row["dense_s"]
            row["speedup_cpu"] = row["torchvision_cpu_s"] / row["dense_cpu_s"]
            rows.append(row)
            print(f"{name:22s} {row['dtype']:8s} torchvision {row['torchvision_s'] * 1e3:7.1f} ms   dense "
                  f"{row['dense_s'] * 1e3:7.1f} ms   x{row['speedup']:.2f} (CPU time x{row['speedup_cpu']:.2f})   "
                  f"err {err:.2g}   ROIAlign uses: "
                  f"{row['used']}")  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions per implementation (median kept)")
    parser.add_argument("--out", default=None, help="also write the results to this JSON file")
    parser.add_argument("--only", choices=["train", "inference"], default=None, help="run one of the two parts")
    args = parser.parse_args()

    gen = torch.Generator().manual_seed(0)
    forward_rows = _forward_rows(args.reps, gen) if args.only != "train" else []
    rows = []
    for name, shape, num_rois, stride, sizes in _CASES if args.only != "inference" else []:
        x, rois, grad_out = _inputs(shape, num_rois, stride, sizes, gen)
        # interleave the two, so that a change in machine load hits both
        tv, sep = [], []
        for _ in range(args.reps):
            tv += _time(roi_align, x, rois, grad_out, stride, 1)
            sep += _time(roi_align_separable_grad, x, rois, grad_out, stride, 1)
        row = {
            "case": name,
            "features": list(shape),
            "rois": num_rois,
            "torchvision_s": statistics.median(tv),
            "separable_s": statistics.median(sep),
            "used": "separable" if use_separable_backward(x, rois, (7, 7), 1.0 / stride, 0) else "torchvision",
            "torchvision_all_s": tv,
            "separable_all_s": sep,
        }
        row["speedup"] = row["torchvision_s"] / row["separable_s"]
        rows.append(row)
        print(f"{name:24s} torchvision {row['torchvision_s'] * 1e3:8.1f} ms   separable "
              f"{row['separable_s'] * 1e3:8.1f} ms   x{row['speedup']:.2f}   ROIAlign uses: {row['used']}")  # fmt: skip
    result = {
        "benchmark": "roi_align forward+backward, CPU",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "machine": platform.machine(),
        "cpu_flags": cpu_flags(),
        "rows": rows,
        "inference_rows": forward_rows,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
