"""``detectra analyze``: FLOPs (``torch.utils.flop_counter.FlopCounterMode`` on inference), parameter counts,
and the module structure of a config's model (Detectron2's ``tools/analyze_model.py``).

Example::

    detectra analyze --config-file shapes/faster_rcnn_R_18_FPN --tasks flop parameter
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Any

import torch

from detectra.checkpoint import DetectionCheckpointer
from detectra.cli._common import CLIError, load_config, setup_quiet_logging
from detectra.cli.parsers import analyze_parser as build_parser
from detectra.data import DatasetCatalog, build_detection_test_loader
from detectra.modeling import build_model
from detectra.utils.analysis import FlopCountAnalysis

__all__ = ["FLOP_UNIT", "build_parser", "flop_count", "run"]


# What the FLOP numbers count, printed with them: tools that report "FLOPs" disagree by a factor of 2.
FLOP_UNIT = ("FLOPs, counting one multiply-add as 2 FLOPs (Detectron2's analyze_model and fvcore report "
             "multiply-adds, i.e. half these numbers)")  # fmt: skip


def _inputs(cfg: Any, num: int) -> list[list[dict]]:
    """Test-time inputs of the first test dataset, or a blank image of the test size when there is none."""
    if len(cfg.DATASETS.TEST) and cfg.DATASETS.TEST[0] in DatasetCatalog.list():
        batches = []
        for batch in build_detection_test_loader(cfg, cfg.DATASETS.TEST[0]):
            batches.append(batch)
            if len(batches) >= num:
                break
        return batches
    size = cfg.INPUT.MIN_SIZE_TEST
    return [[{"image": torch.zeros(3, size, size), "height": size, "width": size}]]


def _by_module(counts: dict[str, int], depth: int) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for name, n in counts.items():
        parts = name.split(".")
        for d in range(0, min(depth, len(parts)) + 1):
            out[".".join(["model", *parts[:d]])] += n
    return dict(sorted(out.items()))


def flop_count(model: Any, batches: list[list[dict]], depth: int) -> dict[str, float]:
    """Average FLOPs per image (as GFLOPs; one multiply-add = 2 FLOPs) by module, over the given batches.

    Counted by :class:`detectra.utils.analysis.FlopCountAnalysis`, whose unit is one multiply-add (Detectron2's).
    """
    totals: dict[str, float] = defaultdict(float)
    images = 0
    for batch in batches:
        analysis = FlopCountAnalysis(model, batch).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        for module, multiply_adds in analysis.by_module().items():
            if multiply_adds and (module == "" or module.count(".") < depth):
                totals["model" + (f".{module}" if module else "")] += 2 * multiply_adds
        images += len(batch)
    return {k: v / images / 1e9 for k, v in sorted(totals.items())}


def _print_table(column: str, rows: dict[str, str]) -> None:
    """A two-column table: module names, padded to the longest, then ``column``'s formatted values."""
    width = max(len(k) for k in rows)
    print(f"{'module':<{width}}  {column}")
    for k, v in rows.items():
        print(f"{k:<{width}}  {v}")


def run(args: argparse.Namespace) -> int:
    setup_quiet_logging()
    if args.num_inputs < 1:
        raise CLIError("--num-inputs must be >= 1.")
    if args.depth < 0:
        raise CLIError("--depth must be >= 0.")
    cfg = load_config(args)
    model = build_model(cfg)
    if cfg.MODEL.WEIGHTS:
        DetectionCheckpointer(model).load(cfg.MODEL.WEIGHTS)
    model.eval()
    report: dict[str, Any] = {}
    if "parameter" in args.tasks:
        counts = {n: p.numel() for n, p in model.named_parameters()}
        report["parameters"] = _by_module(counts, args.depth)
        report["trainable_parameters"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if "flop" in args.tasks:
        report["gflops_per_image"] = flop_count(model, _inputs(cfg, args.num_inputs), args.depth)
        report["flop_unit"] = FLOP_UNIT
    if "structure" in args.tasks:
        report["structure"] = str(model)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if "parameters" in report:
        _print_table("parameters", {k: f"{v / 1e6:9.3f}M" for k, v in report["parameters"].items()})
        print(f"trainable: {report['trainable_parameters'] / 1e6:.3f}M\n")
    if "gflops_per_image" in report:
        _print_table("GFLOPs/image (inference)", {k: f"{v:9.3f}" for k, v in report["gflops_per_image"].items()})
        print(f"Unit: {FLOP_UNIT}.\n")
    if "structure" in report:
        print(report["structure"])
    return 0
