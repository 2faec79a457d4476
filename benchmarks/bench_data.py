"""Data-loading throughput: detectra's train loader vs a plain torchvision pipeline doing the same image work.

Three loaders per dataset and worker count, all batch 2, infinite random order:

- ``torchvision``: PIL decode to RGB, ``v2.PILToTensor``, ``v2.Resize(short, max_size, antialias=True)`` (bilinear),
  ``v2.RandomHorizontalFlip``: a CHW uint8 tensor per image.
- ``detectra_image``: ``build_detection_train_loader`` + ``DatasetMapper`` (decode with EXIF orientation, BGR,
  ``ResizeShortestEdge`` bilinear, ``RandomFlip``, CHW uint8 tensor) over the dataset dicts with their annotations
  removed: the same image work as ``torchvision`` plus detectra's own machinery (serialised dicts, per-sample
  seeding for exact resume, aspect-ratio grouping).
- ``detectra``: the same with annotations, i.e. also transforming boxes and building ``Instances``.

Timing is interleaved so that machine load (shared CPUs) hits all three alike: in each of ``--rounds`` rounds
(starting with a different loader each time) every loader first drains what its workers prefetched while idle
(untimed), then ``--images`` images are timed.
Compare the ratio columns; absolute images/s move with the load.

    python benchmarks/bench_data.py --out bench_data.json [--shared /path/to/shared] [--images 20] [--rounds 6]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image
from torchvision.transforms import v2

from detectra.data import DatasetMapper, build_detection_train_loader
from detectra.data import transforms as T
from detectra.data.build import filter_images_with_only_crowd_annotations
from detectra.data.datasets import load_coco_json
from detectra.data.datasets.shapes import generate_shapes

from _machine import machine_info  # benchmarks/ is the script's folder

BATCH = 2
PREFETCH_FACTOR = 2  # DataLoader's default, used by both sides


class _TorchvisionDataset(torch.utils.data.Dataset):
    def __init__(self, dicts: list[dict], short: int, max_size: int) -> None:
        self.files = [d["file_name"] for d in dicts]
        self.tf = v2.Compose([v2.PILToTensor(), v2.Resize(short, max_size=max_size, antialias=True),
                              v2.RandomHorizontalFlip()])  # fmt: skip

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        with Image.open(self.files[i]) as image:
            return self.tf(image.convert("RGB"))


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


def _without_annotations(dicts: list[dict]) -> list[dict]:
    return [{k: v for k, v in d.items() if k != "annotations"} for d in dicts]


def _time_interleaved(iterators: dict, num_images: int, rounds: int, workers: int) -> dict[str, float]:
    """Images/s of each iterator, timing them in turn, ``rounds`` times ``num_images`` images each."""
    # A loader holds ready up to PREFETCH_FACTOR items per worker after idling (torchvision prefetches batches,
    # detectra single images): skipping that many batches, plus one, is enough for both.
    skip = 1 + PREFETCH_FACTOR * workers
    n_batches = max(1, num_images // BATCH)
    elapsed = {name: 0.0 for name in iterators}
    names = list(iterators)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate who goes first
            it = iterators[name]
            for _ in range(skip):
                next(it)
            start = time.perf_counter()
            for _ in range(n_batches):
                next(it)
            elapsed[name] += time.perf_counter() - start
    return {name: rounds * n_batches * BATCH / t for name, t in elapsed.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where to write the JSON results")
    default_shared = os.environ.get("DETECTRA_SHARED", str(Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--shared", default=default_shared, help="the shared/ folder holding datasets/tiny_coco")
    parser.add_argument("--images", type=int, default=20, help="images timed per loader and round")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved timing rounds")
    parser.add_argument("--workers", default="0,1,2")
    parser.add_argument("--datasets", default="shapes,tiny_coco")
    args = parser.parse_args()

    wanted = args.datasets.split(",")
    datasets = {}
    if "shapes" in wanted:
        paths = generate_shapes(tempfile.mkdtemp(prefix="bench_shapes_"), num_images=64, seed=0)
        datasets["shapes"] = (load_coco_json(paths["json_file"], paths["image_root"]), 320, 533)
    coco = Path(args.shared) / "datasets" / "tiny_coco"
    if "tiny_coco" in wanted and coco.is_dir():
        dicts = load_coco_json(coco / "annotations" / "instances_train2017.json", coco / "train2017")
        datasets["tiny_coco"] = (filter_images_with_only_crowd_annotations(dicts), 800, 1333)

    results = []
    for name, (dicts, short, max_size) in datasets.items():
        for workers in (int(w) for w in args.workers.split(",")):
            iterators = {
                "detectra": iter(_detectra_loader(dicts, short, max_size, workers)),
                "detectra_image": iter(_detectra_loader(_without_annotations(dicts), short, max_size, workers)),
                "torchvision": iter(_torchvision_loader(dicts, short, max_size, workers)),
            }
            rates = _time_interleaved(iterators, args.images, args.rounds, workers)
            del iterators  # stop this cell's workers before the next cell
            row = {"dataset": name, "num_workers": workers, "short_edge": short, "max_size": max_size}
            row.update({f"{k}_images_per_s": round(v, 1) for k, v in rates.items()})
            row["detectra_image_vs_torchvision"] = round(rates["detectra_image"] / rates["torchvision"], 2)
            row["detectra_vs_torchvision"] = round(rates["detectra"] / rates["torchvision"], 2)
            print(json.dumps(row), flush=True)
            results.append(row)
    meta = {"machine": machine_info(), "platform": platform.platform(), "batch_size": BATCH,
            "images_timed": args.images * args.rounds}  # fmt: skip
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
