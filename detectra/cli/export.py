"""``detectra export``: write a trained model as ONNX, a torch.export program (``.pt2``), an AOTInductor package or a
traced TorchScript module, with a ``<output>.json`` sidecar (class names, input format, pixel mean / std, resize rule,
output layout).

Examples::

    detectra export --run output/shapes --format onnx --output output/shapes/model.onnx --dynamic
    detectra export --run output/shapes --format aoti --output output/shapes/model_aoti.pt2 --dynamic --precision bf16
    detectra predict --model output/shapes/model.onnx datasets/shapes/v1/val/images -o output/predict_onnx
    detectra eval --run output/shapes --model output/shapes/model.onnx
"""
from __future__ import annotations

import argparse
import os
from typing import Any, Optional

import numpy as np
import torch

from detectra.checkpoint import DetectionCheckpointer
from detectra.cli._classes import classes_metadata, prediction_metadata
from detectra.cli._common import (
    CLIError,
    load_config,
    logger,
    setup_quiet_logging,
    weights_or_die,
)
from detectra.cli.parsers import EXPORT_FORMATS as FORMATS
from detectra.cli.parsers import EXPORT_PRECISIONS as PRECISIONS
from detectra.cli.parsers import export_parser as build_parser
from detectra.data import transforms as T
from detectra.data.detection_utils import read_image
from detectra.engine.predictor import BatchPredictor
from detectra.export import ExportedModel, check_export_precision, export_model
from detectra.modeling import build_model

__all__ = ["build_parser", "check_resize_matches", "exported_or_none", "exported_predictor", "load_exported", "run"]

# command-line format name -> (detectra.export format, usual file suffix)
def _example_image(cfg: Any, path: str) -> Any:
    """The example input: ``path`` (or a synthetic textured image) resized by the test rule, CHW float32."""
    if path:
        if not os.path.isfile(path):
            raise CLIError(f"--image '{path}' does not exist.")
        image = read_image(path, format=cfg.INPUT.FORMAT)
    else:
        h = cfg.INPUT.MIN_SIZE_TEST
        y, x = np.mgrid[0:h, 0 : h * 4 // 3]
        image = np.stack([(x * 3) % 256, (y * 5) % 256, ((x + y) * 7) % 256], axis=-1).astype(np.uint8)
    aug = T.ResizeShortestEdge([cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MIN_SIZE_TEST], cfg.INPUT.MAX_SIZE_TEST)
    image = aug.get_transform(image).apply_image(image)
    return torch.as_tensor(np.ascontiguousarray(image.astype("float32").transpose(2, 0, 1)))


def _classes(cfg: Any, run_dir: str) -> dict:
    meta = prediction_metadata(cfg, run_dir)
    out: dict = {"dataset": meta.get("name", "predictions")}
    if meta.get("thing_classes"):
        out["thing_classes"] = list(meta.thing_classes)
        to_contiguous = meta.get("thing_dataset_id_to_contiguous_id") or {}
        by_index = {v: int(k) for k, v in to_contiguous.items()}
        out["thing_dataset_ids"] = [by_index.get(i, i + 1) for i in range(len(out["thing_classes"]))]
    if meta.get("stuff_classes"):
        out["stuff_classes"] = list(meta.stuff_classes)
    return out


def run(args: argparse.Namespace) -> int:
    setup_quiet_logging(args.verbose)
    fmt, suffix = FORMATS[args.format]
    precision = PRECISIONS[args.precision]
    try:
        check_export_precision(fmt, precision)  # before minutes of model building and tracing
    except ValueError as e:
        raise CLIError(str(e)) from None
    cfg = load_config(args)
    weights_or_die(cfg)
    cfg.MODEL.DEVICE = "cpu"
    if fmt == "onnx-dynamo" or fmt == "onnx":
        try:
            import onnx  # noqa: F401
        except ImportError:
            raise CLIError("ONNX export needs the onnx package: pip install 'detectra[export]'.") from None
    model = build_model(cfg).eval()
    DetectionCheckpointer(model).load(cfg.MODEL.WEIGHTS)
    image = _example_image(cfg, args.image)
    extra = {"classes": _classes(cfg, getattr(args, "run", ""))}
    with torch.no_grad():
        sidecar = export_model(model, image, args.output, fmt, dynamic=args.dynamic, precision=precision,
                               extra=extra, cfg=cfg)
    print(f"Exported {type(model).__name__} ({args.format}, {args.precision}) to {os.path.abspath(args.output)}")
    print(f"Sidecar (classes, input format, resize rule, outputs): {os.path.abspath(sidecar)}")
    if not args.output.endswith(suffix):
        print(f"(the usual suffix of this format is {suffix})")
    if not args.dynamic and args.format != "torchscript":
        h, w = image.shape[-2:]
        print(f"Input size fixed at {h}x{w} (height x width; no --dynamic): images that resize to another size are "
              "refused; export with --dynamic to take any size.")  # fmt: skip
    print("Run it:")
    print(f"  detectra predict --model {args.output} IMAGES... -o OUTPUT_DIR")
    print(f"  python -c \"from detectra.export import ExportedModel; m = ExportedModel('{args.output}')\"")
    return 0


# ------------------------------------------------------------------------------ running an exported model
def exported_predictor(path: str, batch_size: int, show_progress: bool) -> tuple[Any, Any]:
    """(predictor, metadata) for ``detectra predict --model PATH``: the `BatchPredictor` loop around an
    `ExportedModel`, with the sidecar's input format, resize rule and classes; no detectra model code runs."""
    model = load_exported(path)
    side = model.sidecar
    if "resize" not in side:
        logger.warning(
            f"{path}'s sidecar has no resize rule (exported from Python without cfg=): images are resized with "
            "Detectron2's default test rule, shortest edge 800 and longest at most 1333. Export again with "
            "export_model(..., cfg=cfg), or `detectra export`, to record the model's own."
        )

    class _ExportedBatchPredictor(BatchPredictor):
        def __init__(self):  # not BatchPredictor's: there is no config to build a model from
            self.model = model
            self.input_format = side.get("input_format", "BGR")
            resize = side.get("resize", {})
            self.aug = T.ResizeShortestEdge([resize.get("min_size_test", 800)] * 2, resize.get("max_size_test", 1333))
            self.device = torch.device("cpu")
            self.precision = "float32"
            self.batch_size, self.num_workers, self.show_progress = batch_size, 0, show_progress

    return _ExportedBatchPredictor(), classes_metadata(side.get("classes"))


def load_exported(path: str) -> Any:
    """`ExportedModel` of ``path``, with the command-line errors for a missing file / sidecar / onnxruntime."""
    try:
        return ExportedModel(path)
    except (FileNotFoundError, ImportError) as e:
        raise CLIError(str(e)) from None


def check_resize_matches(cfg: Any, model: Any) -> None:
    """``detectra eval --model``: the config's test-time resize must be the one the model was exported for."""
    side = model.sidecar
    resize = side.get("resize")
    if resize and (resize["min_size_test"], resize["max_size_test"]) != (cfg.INPUT.MIN_SIZE_TEST,
                                                                          cfg.INPUT.MAX_SIZE_TEST):
        raise CLIError(
            f"{model.path} was exported for INPUT.MIN_SIZE_TEST {resize['min_size_test']} / MAX_SIZE_TEST "
            f"{resize['max_size_test']}, but the config says {cfg.INPUT.MIN_SIZE_TEST} / {cfg.INPUT.MAX_SIZE_TEST}: "
            "pass the same config (--run DIR) or override them (INPUT.MIN_SIZE_TEST ...)."
        )
    if side.get("input_format") and side["input_format"] != cfg.INPUT.FORMAT:
        raise CLIError(f"{model.path} takes {side['input_format']} images but INPUT.FORMAT is {cfg.INPUT.FORMAT}.")


def exported_or_none(args: argparse.Namespace) -> Optional[Any]:
    """The `ExportedModel` of ``--model`` when given (for ``detectra eval``), else None."""
    path = getattr(args, "model", "")
    return load_exported(path) if path else None
