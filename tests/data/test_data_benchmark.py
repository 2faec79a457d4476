"""DataLoaderBenchmark on a tiny generated dataset, and `detectra benchmark --task data` using it."""
from __future__ import annotations

import json
import time

import numpy as np

from detectra.data.benchmark import DataLoaderBenchmark, iter_benchmark


def _dataset(n: int = 6) -> list[dict]:
    return [{"image_id": i, "height": 8, "width": 8, "pixels": np.full((8, 8), i, dtype=np.uint8)} for i in range(n)]


def _slow_mapper(d: dict) -> dict:
    time.sleep(0.01)  # a mapper with a known cost: 100 items/s at most
    return {"image_id": d["image_id"], "mean": float(d["pixels"].mean())}


def test_iter_benchmark_counts_and_stops():
    n, seconds = iter_benchmark(iter(range(100)), num_iter=10, warmup=5)
    assert n == 10 and seconds >= 0
    slow = (time.sleep(0.02) for _ in iter(int, 1))
    n, seconds = iter_benchmark(slow, num_iter=1000, warmup=0, max_time_seconds=0.1)
    assert 2 <= n < 20 and seconds >= 0.1


def test_stages_on_a_tiny_dataset():
    bench = DataLoaderBenchmark(_dataset(), mapper=_slow_mapper, total_batch_size=2, num_workers=0)
    dataset = bench.benchmark_dataset(20, warmup=2)
    mapper = bench.benchmark_mapper(10, warmup=1)
    assert dataset["item_per_second"] > 1000  # reading a list is ~free
    assert 5 < mapper["item_per_second"] <= 100  # bounded by the 10 ms sleep (loose below: shared CI cores)
    loader = bench.benchmark_workers(3, warmup=1)[0]
    assert 2 < loader["batch_per_second"] <= 50  # 2 items (20 ms) per batch
    ipc = bench.benchmark_IPC(3, warmup=1)[0]
    assert ipc["batch_per_second"] <= 50
    per_rank = bench.benchmark_distributed(3, warmup=1)
    assert len(per_rank) == 1 and per_rank[0]["batch_per_second"] <= 50


def test_cli_benchmark_data(tmp_path, capsys):
    from detectra.cli import main
    from detectra.data.datasets.shapes import generate_shapes

    paths = generate_shapes(str(tmp_path / "shapes"), 4, image_size=(64, 80), seed=3)
    args = ["benchmark", "--config-file", "shapes/faster_rcnn_R_18_FPN", "--task", "data", "--iters", "3",
            "--warmup", "1", "--train-json", paths["json_file"], "--train-images", paths["image_root"],
            "DATALOADER.NUM_WORKERS", "0", "SOLVER.IMS_PER_BATCH", "2"]  # fmt: skip
    assert main(args) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["task"] == "data" and record["batch_size"] == 2
    assert record["images_per_second"] > 0 and record["dataset_items_per_second"] > record["images_per_second"]
