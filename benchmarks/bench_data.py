"""Data-loading throughput: detectra's train loader vs a plain torchvision pipeline doing the same work.

Both decode JPEGs, resize the short edge (max size capped), randomly flip, and yield batches of 2; detectra's
loader also transforms the annotations into Instances. Measured on the shapes data (generated into a temp folder)
and on shared/datasets/tiny_coco, with 0, 1 and 2 workers.

    python benchmarks/bench_data.py --out bench_data.json [--shared /path/to/shared] [--images 60]
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch
import torchvision
from PIL import Image
from torchvision.transforms import v2

from detectra.data import DatasetMapper, build_detection_train_loader
from detectra.data import transforms as T
from detectra.data.build import filter_images_with_only_crowd_annotations
from detectra.data.datasets import load_coco_json
from detectra.data.datasets.shapes import generate_shapes

BATCH = 2


class _TorchvisionDataset(torch.utils.data.Dataset):
    def __init__(self, dicts: list[dict], short: int, max_size: int) -> None:
        self.files = [d["file_name"] for d in dicts]
        self.tf = v2.Compose([v2.PILToTensor(), v2.Resize(short, max_size=max_size, antialias=True),
                              v2.RandomHorizontalFlip()])  # fmt: skip

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.tf(Image.open(self.files[i]).convert("RGB"))


def _rate(loader, num_images: int) -> float:
    it = iter(loader)
    next(it)  # start workers and warm up before timing
    n_batches = max(1, num_images // BATCH)
    start = time.perf_counter()
    for _ in range(n_batches):
        next(it)
    return n_batches * BATCH / (time.perf_counter() - start)


def _torchvision_loader(dicts, short, max_size, workers):
    ds = _TorchvisionDataset(dicts, short, max_size)
    sampler = torch.utils.data.RandomSampler(ds, replacement=True, num_samples=10**8)
    return torch.utils.data.DataLoader(ds, batch_size=BATCH, sampler=sampler, num_workers=workers,
                                       collate_fn=list)  # fmt: skip


def _detectra_loader(dicts, short, max_size, workers):
    mapper = DatasetMapper(is_train=True, augmentations=[T.ResizeShortestEdge(short, max_size), T.RandomFlip()],
                           image_format="BGR")  # fmt: skip
    return build_detection_train_loader(dicts, mapper=mapper, total_batch_size=BATCH, num_workers=workers,
                                        aspect_ratio_grouping=True, seed=0)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where to write the JSON results")
    default_shared = os.environ.get("DETECTRA_SHARED", str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--shared", default=default_shared, help="the shared/ folder holding datasets/tiny_coco")
    parser.add_argument("--images", type=int, default=60, help="images timed per configuration")
    parser.add_argument("--workers", default="0,1,2")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench_shapes_")
    paths = generate_shapes(tmp, num_images=64, seed=0)
    datasets = {"shapes": (load_coco_json(paths["json_file"], paths["image_root"]), 320, 533)}
    coco = Path(args.shared) / "datasets" / "tiny_coco"
    if coco.is_dir():
        dicts = load_coco_json(coco / "annotations" / "instances_train2017.json", coco / "train2017")
        datasets["tiny_coco"] = (filter_images_with_only_crowd_annotations(dicts), 800, 1333)

    results = []
    for name, (dicts, short, max_size) in datasets.items():
        for workers in (int(w) for w in args.workers.split(",")):
            row = {"dataset": name, "num_workers": workers, "short_edge": short, "max_size": max_size}
            for impl, build in (("detectra", _detectra_loader), ("torchvision", _torchvision_loader)):
                row[f"{impl}_images_per_s"] = round(_rate(build(dicts, short, max_size, workers), args.images), 1)
            print(json.dumps(row))
            results.append(row)
    meta = {"torch": torch.__version__, "torchvision": torchvision.__version__, "cpus": os.cpu_count(),
            "platform": platform.platform(), "batch_size": BATCH, "images_timed": args.images}  # fmt: skip
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
