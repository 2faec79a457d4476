"""Write a detectra model as a traced TorchScript module, an ONNX model (either of torch's exporters) or a
torch.export `ExportedProgram`, with a json sidecar that says how to read the outputs back.

Every format takes one image, Tensor[C, H, W] in the model's input format, already resized by the test-time rule;
with ``dynamic=True`` its height and width may differ from the example's. See `detectra.export.deploy` for what the
graph contains.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import torch
from torch import nn

from detectra.layers.wrappers import export_code_paths
from detectra.utils.precision import outputs_to_float32

from .deploy import deploy_inference_func, deploy_meta
from .flatten import DictSchema, InstancesSchema, ListSchema, Schema, TracingAdapter

__all__ = [
    "FORMATS",
    "BF16_FORMATS",
    "EXPORT_PRECISIONS",
    "check_export_precision",
    "STABLE_ONNX_OPSET_VERSION",
    "DYNAMO_ONNX_OPSET_VERSION",
    "export_model",
    "config_sidecar",
    "trace_model",
    "sidecar_path",
]

logger = logging.getLogger(__name__)

# the TorchScript-based ONNX exporter (dynamo=False) at the opset Detectron2's deployment script used
STABLE_ONNX_OPSET_VERSION = 17
# the torch.export-based exporter (dynamo=True) starts at opset 18
DYNAMO_ONNX_OPSET_VERSION = 18

FORMATS = ("torchscript", "onnx", "onnx-dynamo", "torch-export", "aoti")
EXPORT_PRECISIONS = ("float32", "bfloat16")
# formats whose graph can compute in bfloat16 and still run on a CPU: onnxruntime's CPU provider has no bfloat16 Conv,
# so a bfloat16 ONNX file is valid ONNX that no CPU session loads
BF16_FORMATS = ("torch-export", "aoti", "torchscript")


def check_export_precision(format: str, precision: str) -> None:
    """Raise if ``format`` cannot be exported at ``precision`` ("float32" or "bfloat16").

    Raises:
        ValueError: naming the formats that take the precision.
    """
    if precision not in EXPORT_PRECISIONS:
        raise ValueError(f"Unknown export precision {precision!r}; choose one of {', '.join(EXPORT_PRECISIONS)}.")
    if precision == "bfloat16" and format not in BF16_FORMATS:
        raise ValueError(
            f"A bfloat16 export is not possible as {format}: onnxruntime's CPU provider has no bfloat16 Conv, so no "
            f"CPU session could load the file. bfloat16 exports: {', '.join(BF16_FORMATS)}; export {format} in "
            "float32 (precision 'float32', or `detectra export --precision fp32`)."
        )


def sidecar_path(path: str | Path) -> Path:
    """Where the json sidecar of an exported model lives: ``<path>.json``."""
    return Path(str(path) + ".json")


def output_names(schema: Schema, prefix: str = "") -> List[str]:
    """Readable names of the flat outputs described by ``schema`` (e.g. ``instances.0.pred_boxes``)."""
    if isinstance(schema, InstancesSchema):
        names = [n for k, s in zip(schema.keys, schema.schemas) for n in output_names(s, f"{prefix}{k}.")]
        return names + [f"{prefix}image_size"]
    if isinstance(schema, DictSchema):
        return [n for k, s in zip(schema.keys, schema.schemas) for n in output_names(s, f"{prefix}{k}.")]
    if isinstance(schema, ListSchema):
        return [n for i, s in enumerate(schema.schemas) for n in output_names(s, f"{prefix}{i}.")]
    return [prefix.rstrip(".")]


def _bfloat16(func: Callable) -> Callable:
    """``func`` computing under CPU bfloat16 autocast (as `TEST.PRECISION` "bfloat16" runs the eager model), with
    float32 outputs: the tracers record autocast's casts, so the exported graph runs bfloat16 without autocast."""

    def bf16_func(model: nn.Module, inputs: List[Dict]) -> Dict[str, Any]:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            outputs = func(model, inputs)
        return outputs_to_float32(outputs)

    return bf16_func


def _adapter(model: nn.Module, image: torch.Tensor, precision: str = "float32") -> TracingAdapter:
    if model.training:
        raise ValueError("Export needs the model in eval mode: call model.eval() first.")
    if image.dim() != 3:
        raise ValueError(f"Export takes one image as Tensor[C, H, W], got shape {tuple(image.shape)}.")
    func = deploy_inference_func(model)
    return TracingAdapter(model, [{"image": image}], _bfloat16(func) if precision == "bfloat16" else func)


@contextmanager
def _jit_autocast_pass_off() -> Iterator[None]:
    # TorchScript's own autocast pass would rewrite the casts autocast already made while tracing (PyTorch's
    # autocast notes: disable it to trace under autocast)
    prev = torch._C._jit_set_autocast_mode(False)
    try:
        yield
    finally:
        torch._C._jit_set_autocast_mode(prev)


def trace_model(
    model: nn.Module, image: torch.Tensor, precision: str = "float32"
) -> Tuple[torch.jit.ScriptModule, TracingAdapter]:
    """`torch.jit.trace` the deployable graph of ``model`` on ``image``.

    Args:
        precision: "float32", or "bfloat16" to record bfloat16 compute (float32 outputs).

    Returns:
        (traced module taking the image and returning a flat tuple, the adapter whose ``outputs_schema`` reads it).
    """
    adapter = _adapter(model, image, precision)
    with warnings.catch_warnings(), _jit_autocast_pass_off():
        # the tracer warns about every Python-level shape check; the export tests are what proves the graph
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(adapter, adapter.flattened_inputs, check_trace=False)
    return traced, adapter


_NMS_FAKE_REGISTERED = False


def _register_nms_fake() -> None:
    """torchvision's fake ``nms`` (what torch.export runs instead of the kernel) declares at least 2 kept boxes (the
    default minimum of the deprecated ``create_unbacked_symint``), so an exported program stopped with "Runtime
    assertion failed for expression u >= 2" on images where NMS keeps 0 or 1 box. Register one that allows 0."""
    global _NMS_FAKE_REGISTERED
    if _NMS_FAKE_REGISTERED:
        return
    import torchvision  # noqa: F401  (defines torchvision::nms)

    def nms_fake(dets: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
        torch._check(dets.dim() == 2 and dets.size(1) == 4, lambda: f"nms: boxes of shape {tuple(dets.shape)}")
        torch._check(scores.dim() == 1 and scores.size(0) == dets.size(0), lambda: "nms: one score per box")
        return dets.new_empty(torch.library.get_ctx().new_dynamic_size(), dtype=torch.long)

    torch.library.register_fake("torchvision::nms", nms_fake, allow_override=True)
    _NMS_FAKE_REGISTERED = True


def _export_program(model: nn.Module, image: torch.Tensor, dynamic: bool, precision: str = "float32"):
    _register_nms_fake()
    adapter = _adapter(model, image, precision)
    # the outputs' structure, from an eager call that takes the exporting code paths (torch.export's own call
    # does not leave attributes set on the module)
    with export_code_paths():
        adapter(*adapter.flattened_inputs)
    dynamic_shapes = None
    if dynamic:
        # AUTO: torch.export derives the valid range itself (sides of at least 65 px: the coarsest FPN level
        # must have more than one row)
        h = w = torch.export.Dim.AUTO
        dynamic_shapes = (({1: h, 2: w},),)  # forward(*args): one vararg tuple
    program = torch.export.export(adapter, adapter.flattened_inputs, dynamic_shapes=dynamic_shapes, strict=False)
    return program, adapter


def _cxx_compiler() -> Optional[str]:
    for name in (os.environ.get("CXX"), "g++", "clang++", "c++"):
        if name and shutil.which(name):
            return name
    return None


def _check_aoti_target(path: Path) -> None:
    """Fail before minutes of exporting where AOTInductor cannot write ``path``."""
    if path.suffix != ".pt2":
        raise ValueError(f"An AOTInductor package must be named *.pt2 (torch's rule); got {path}.")
    if _cxx_compiler() is None:
        raise RuntimeError(
            "An AOTInductor package is compiled C++, and no C++ compiler was found (g++, clang++ or $CXX). Install "
            "one (apt install g++), or export the same program without compiling: --format torch-export."
        )


def config_sidecar(cfg: Any) -> Dict[str, Any]:
    """What a yacs config says about the model's input, as sidecar entries: ``input_format``, ``pixel_mean``,
    ``pixel_std``, the ``resize`` rule (ResizeShortestEdge at INPUT.MIN_SIZE_TEST / MAX_SIZE_TEST) and ``weights``."""
    return {
        "input_format": cfg.INPUT.FORMAT,
        "pixel_mean": list(cfg.MODEL.PIXEL_MEAN),
        "pixel_std": list(cfg.MODEL.PIXEL_STD),
        "resize": {"rule": "ResizeShortestEdge", "min_size_test": cfg.INPUT.MIN_SIZE_TEST,
                   "max_size_test": cfg.INPUT.MAX_SIZE_TEST},  # fmt: skip
        "weights": str(cfg.MODEL.WEIGHTS),
    }


def export_model(
    model: nn.Module,
    image: torch.Tensor,
    path: str | Path,
    format: str,
    *,
    dynamic: bool = True,
    precision: str = "float32",
    opset_version: Optional[int] = None,
    extra: Optional[Dict[str, Any]] = None,
    cfg: Any = None,
) -> Path:
    """Export ``model`` (eval mode) to ``path`` and write the sidecar ``<path>.json``.

    Args:
        model: a detectra meta-architecture in eval mode.
        image: an example input, Tensor[C, H, W] (uint8 or float) in the model's input format, already resized.
        path: output file (``.ts`` / ``.onnx`` / ``.pt2`` by convention).
        format: one of `FORMATS`: "torchscript" (traced), "onnx" (TorchScript-based exporter, opset 17),
            "onnx-dynamo" (torch.export-based exporter, opset >= 18), "torch-export" (ExportedProgram) or "aoti"
            (the ExportedProgram compiled by AOTInductor for the CPU, a ``.pt2`` package; minutes to compile).
        dynamic: let the image height / width vary (TorchScript traces are always shape-generic).
        precision: "float32", or "bfloat16": the graph computes under the casts CPU bfloat16 autocast makes (as the
            eager model with ``TEST.PRECISION bfloat16``) and returns float32 boxes / scores / masks;
            `BF16_FORMATS` only.
        opset_version: ONNX opset; default `STABLE_ONNX_OPSET_VERSION` / `DYNAMO_ONNX_OPSET_VERSION`.
        extra: more json-able entries for the sidecar (class names, ...); they win over ``cfg``'s.
        cfg: the model's yacs config: its input format, pixel statistics and test-time resize go into the sidecar
            (`config_sidecar`), so `detectra predict --model` / `eval --model` resize images as the model expects.

    Returns:
        the sidecar's path.

    Example:
        predictor = DefaultPredictor(cfg)
        resized = predictor.aug.get_transform(bgr).apply_image(bgr)  # bgr: (H, W, 3) uint8, as the predictor takes
        image = torch.as_tensor(resized.transpose(2, 0, 1).copy())
        export_model(predictor.model, image, "model.onnx", "onnx", cfg=cfg)  # + model.onnx.json
        outputs = ExportedModel("model.onnx")([{"image": image}])  # [{"instances": Instances}], as the model gives
    """
    if format not in FORMATS:
        raise ValueError(f"Unknown export format {format!r}; choose one of {', '.join(FORMATS)}.")
    check_export_precision(format, precision)
    path = Path(path)
    if cfg is None and "resize" not in (extra or {}):
        logger.warning(
            f"Exporting {path.name} without cfg=: its sidecar records no test-time resize, so `detectra predict "
            "--model` resizes images by the default rule (shortest edge 800, longest 1333), not the model's. Pass "
            "export_model(..., cfg=cfg) to record INPUT.MIN_SIZE_TEST / MAX_SIZE_TEST."
        )
    if format == "aoti":
        _check_aoti_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    if format in ("torchscript", "onnx"):
        traced, adapter = trace_model(model, image, precision)
        names = output_names(adapter.outputs_schema)
        if format == "torchscript":
            traced.save(str(path))
        else:
            opset_version = opset_version or STABLE_ONNX_OPSET_VERSION
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    traced, adapter.flattened_inputs, str(path), dynamo=False, opset_version=opset_version,
                    input_names=["image"], output_names=names,
                    dynamic_axes={"image": {1: "height", 2: "width"}} if dynamic else None,
                )
    else:
        program, adapter = _export_program(model, image, dynamic, precision)
        names = output_names(adapter.outputs_schema)
        if format == "torch-export":
            torch.export.save(program, str(path))
        elif format == "aoti":
            from torch._inductor import aoti_compile_and_package

            aoti_compile_and_package(program, package_path=str(path))
        else:
            opset_version = opset_version or DYNAMO_ONNX_OPSET_VERSION
            onnx_program = torch.onnx.export(
                program, adapter.flattened_inputs, dynamo=True, opset_version=opset_version,
                input_names=["image"], output_names=names, verbose=False,
            )
            onnx_program.save(str(path))
    sidecar = {
        "format": format,
        "model_file": path.name,
        "input": {"name": "image", "layout": "CHW", "dtype": str(image.dtype).replace("torch.", ""),
                  "example_hw": list(image.shape[-2:]), "dynamic_hw": bool(dynamic or format == "torchscript")},
        "outputs": names,
        "outputs_schema": adapter.outputs_schema.to_dict(),
        "precision": precision,
        "opset_version": opset_version,
        "torch_version": torch.__version__,
        **deploy_meta(model),
        **(config_sidecar(cfg) if cfg is not None else {}),
        **(extra or {}),
    }
    out = sidecar_path(path)
    out.write_text(json.dumps(sidecar, indent=2))
    return out
