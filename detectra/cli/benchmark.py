"""``detectra benchmark``: time training steps, evaluation, data loading, or inference of a config; prints
(and with --output writes) a JSON record.

Examples::

    detectra benchmark --config-file shapes/faster_rcnn_R_18_FPN --task train --iters 20
    detectra benchmark --run output/shapes --task inference --iters 50 --output bench.json
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from typing import Any

import torch

from detectra.checkpoint import DetectionCheckpointer
from detectra.cli._common import (
    CLIError,
    check_datasets,
    check_training_classes,
    check_training_data,
    load_config,
    setup_quiet_logging,
)
from detectra.cli._outputs import build_evaluator
from detectra.cli.parsers import benchmark_parser as build_parser
from detectra.data import DatasetCatalog, DatasetMapper, build_detection_test_loader, build_detection_train_loader
from detectra.data.benchmark import DataLoaderBenchmark
from detectra.data.build import _train_loader_from_config
from detectra.data.common import DatasetFromList
from detectra.evaluation import inference_on_dataset
from detectra.modeling import build_model
from detectra.solver import build_optimizer
from detectra.utils.env import cpu_info
from detectra.utils.events import EventStorage

__all__ = ["build_parser", "run"]



def _sync(device: Any) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _bench_train(cfg: Any, iters: int, warmup: int) -> dict:
    model = build_model(cfg)
    model.train()
    optimizer = build_optimizer(cfg, model)
    data = iter(build_detection_train_loader(cfg))
    times, data_times = [], []
    amp = cfg.SOLVER.AMP.ENABLED
    dtype = torch.bfloat16 if cfg.SOLVER.AMP.PRECISION == "bfloat16" else torch.float16
    with EventStorage(0) as storage:
        for i in range(warmup + iters):
            t0 = time.perf_counter()
            batch = next(data)
            t1 = time.perf_counter()
            with torch.autocast(torch.device(cfg.MODEL.DEVICE).type, dtype=dtype, enabled=amp):
                losses = model(batch)
            loss = sum(losses.values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            _sync(cfg.MODEL.DEVICE)
            storage.iter = i + 1
            if i >= warmup:
                times.append(time.perf_counter() - t0)
                data_times.append(t1 - t0)
    per_iter = sum(times) / len(times)
    return {"seconds_per_iter": per_iter, "data_seconds_per_iter": sum(data_times) / len(data_times),
            "images_per_second": cfg.SOLVER.IMS_PER_BATCH / per_iter, "batch_size": cfg.SOLVER.IMS_PER_BATCH}


def _bench_data(cfg: Any, iters: int, warmup: int) -> dict:
    """The training loader of the config, and its stages alone (dataset, mapper), with DataLoaderBenchmark."""
    kwargs = _train_loader_from_config(cfg)
    bench = DataLoaderBenchmark(kwargs["dataset"], mapper=kwargs["mapper"], sampler=kwargs["sampler"],
                                total_batch_size=kwargs["total_batch_size"], num_workers=kwargs["num_workers"])  # fmt: skip
    loader = bench.benchmark_distributed(iters, warmup)[0]  # the loader as configured (rank 0 when distributed)
    mapper = bench.benchmark_mapper(iters, warmup)
    dataset = bench.benchmark_dataset(iters, warmup)
    return {"seconds_per_batch": loader["seconds_per_batch"],
            "images_per_second": cfg.SOLVER.IMS_PER_BATCH * loader["batch_per_second"],
            "batch_size": cfg.SOLVER.IMS_PER_BATCH, "num_workers": cfg.DATALOADER.NUM_WORKERS,
            "mapper_images_per_second_one_process": mapper["item_per_second"],
            "dataset_items_per_second": dataset["item_per_second"]}  # fmt: skip


def _test_model(cfg: Any):
    model = build_model(cfg)
    if cfg.MODEL.WEIGHTS:
        DetectionCheckpointer(model).load(cfg.MODEL.WEIGHTS)
    model.eval()
    return model


def _bench_inference(cfg: Any, iters: int, warmup: int) -> dict:
    model = _test_model(cfg)
    loader = build_detection_test_loader(cfg, cfg.DATASETS.TEST[0])
    times: list[float] = []
    with torch.no_grad():
        for i, batch in enumerate(loader):
            if i >= warmup + iters:
                break
            t0 = time.perf_counter()
            model(batch)
            _sync(cfg.MODEL.DEVICE)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    if not times:
        raise CLIError(f"dataset '{cfg.DATASETS.TEST[0]}' has only {i + 1} images; lower --warmup / --iters.")
    per_image = sum(times) / len(times)
    return {"seconds_per_image": per_image, "images_per_second": 1.0 / per_image, "images": len(times)}


def _bench_eval(cfg: Any, max_images: int) -> dict:
    model = _test_model(cfg)
    name = cfg.DATASETS.TEST[0]
    if max_images:
        dicts = DatasetCatalog.get(name)[:max_images]
        loader = build_detection_test_loader(dataset=DatasetFromList(dicts, copy=False),
                                             mapper=DatasetMapper(cfg, is_train=False), num_workers=0)  # fmt: skip
    else:
        loader = build_detection_test_loader(cfg, name)
    with tempfile.TemporaryDirectory() as tmp:
        evaluator = build_evaluator(cfg, name, tmp)
        if max_images and hasattr(evaluator, "_coco_api"):
            # evaluate only on the images that were run, so the numbers are meaningful
            ids = [d["image_id"] for d in dicts]
            original = evaluator.evaluate
            evaluator.evaluate = lambda: original(img_ids=ids)  # type: ignore[method-assign]
        t0 = time.perf_counter()
        results = inference_on_dataset(model, loader, evaluator)
        seconds = time.perf_counter() - t0
    n = len(loader.dataset) if hasattr(loader, "dataset") else None
    return {"seconds": seconds, "images": n, "results": results}


def _conditions(cfg: Any, task: str) -> dict:
    """What a timing depends on besides the code: the CPU (model and instruction sets), the GPU, the input size
    and the numeric precision."""
    cpu = cpu_info()
    on_gpu = torch.device(cfg.MODEL.DEVICE).type == "cuda"
    if task in ("train", "data"):
        size = {"min_size": list(cfg.INPUT.MIN_SIZE_TRAIN), "max_size": cfg.INPUT.MAX_SIZE_TRAIN}
        precision = cfg.SOLVER.AMP.PRECISION if cfg.SOLVER.AMP.ENABLED else "float32"
    else:
        size = {"min_size": cfg.INPUT.MIN_SIZE_TEST, "max_size": cfg.INPUT.MAX_SIZE_TEST}
        precision = cfg.TEST.PRECISION
    return {
        "cpu": cpu["model"],
        "cpu_flags": cpu["flags"],
        "cpu_capability": cpu["torch_capability"],
        "gpu": torch.cuda.get_device_name(torch.device(cfg.MODEL.DEVICE)) if on_gpu else None,
        "input_size": size,
        "precision": precision,
    }


def run(args: argparse.Namespace) -> int:
    setup_quiet_logging()
    if args.iters < 1 or args.warmup < 0:
        raise CLIError("--iters must be >= 1 and --warmup >= 0.")
    cfg = load_config(args)
    check_datasets(cfg, ("TRAIN",) if args.task in ("train", "data") else ("TEST",))
    if args.task == "train":
        check_training_classes(cfg, args)
    if args.task in ("train", "data"):
        check_training_data(cfg, args)
    if args.task in ("eval", "inference") and not len(cfg.DATASETS.TEST):
        raise CLIError("the config has no DATASETS.TEST to run on.")
    if args.task in ("train", "data") and not len(cfg.DATASETS.TRAIN):
        raise CLIError("the config has no DATASETS.TRAIN to load.")
    if args.task == "train":
        result = _bench_train(cfg, args.iters, args.warmup)
    elif args.task == "data":
        result = _bench_data(cfg, args.iters, args.warmup)
    elif args.task == "inference":
        result = _bench_inference(cfg, args.iters, args.warmup)
    else:
        result = _bench_eval(cfg, args.max_images)
    record = {
        "task": args.task,
        "config": args.run or args.config_file,
        "device": str(cfg.MODEL.DEVICE),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        **_conditions(cfg, args.task),
        **result,
    }
    text = json.dumps(record, indent=2, default=float)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
    return 0
