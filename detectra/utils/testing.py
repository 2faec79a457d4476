"""Helpers for tests of detectra models and of code built on them (Detectron2's ``utils.testing`` names).

Nothing here touches the network: :func:`get_sample_coco_image` draws a scene instead of downloading a COCO image,
and :func:`get_model_no_weights` builds a model-zoo architecture with random weights.
"""
from __future__ import annotations

import io
import os
import tempfile
import unittest
from typing import Any, Callable

import numpy as np
import torch

from detectra import model_zoo
from detectra.config import CfgNode, LazyConfig, instantiate
from detectra.data.datasets.shapes import _draw_scene
from detectra.modeling import build_model
from detectra.structures import Boxes, Instances, ROIMasks, RotatedBoxes
from detectra.utils.torch_version_utils import min_torch_version

__all__ = [
    "assert_instances_allclose",
    "convert_scripted_instances",
    "get_model_no_weights",
    "get_sample_coco_image",
    "has_dynamic_axes",
    "random_boxes",
    "register_custom_op_onnx_export",
    "reload_lazy_config",
    "reload_script_model",
    "skipIfOnCPUCI",
    "skipIfUnsupportedMinOpsetVersion",
    "skipIfUnsupportedMinTorchVersion",
    "unregister_custom_op_onnx_export",
]


def get_model_no_weights(config_path: str) -> torch.nn.Module:
    """The model of a model-zoo config (e.g. "COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml") with random weights,
    on the GPU when there is one, else on the CPU."""
    cfg = model_zoo.get_config(config_path)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if isinstance(cfg, CfgNode):
        cfg.MODEL.DEVICE = device
        return build_model(cfg)
    return instantiate(cfg.model).to(device)  # a LazyConfig


def random_boxes(num_boxes: int, max_coord: int = 100, device: str = "cpu") -> torch.Tensor:
    """Tensor[num_boxes, 4] of random valid XYXY boxes: top-left in [1, max_coord / 2], sides in [1, max_coord / 2]
    (so every box has positive area and lies within [0, max_coord])."""
    boxes = torch.rand(num_boxes, 4, device=device) * (max_coord * 0.5)
    boxes.clamp_(min=1.0)  # no zero-sized boxes
    boxes[:, 2:] += boxes[:, :2]
    return boxes


def get_sample_coco_image(tensor: bool = True) -> torch.Tensor | np.ndarray:
    """A 480 x 640 BGR test image with several objects on a textured background, drawn from a fixed seed (the
    same pixels on every call; no download). Detectron2's version downloads a COCO image; tests that need real
    photographs should read one from disk.

    Returns:
        Tensor[3, 480, 640] uint8 (``tensor=True``) or ndarray[480, 640, 3] uint8.
    """
    image = np.asarray(_draw_scene(np.random.default_rng(2019), 1, 480, 640)[0].convert("RGB"))[:, :, ::-1]
    image = np.ascontiguousarray(image)
    return torch.from_numpy(image.transpose(2, 0, 1).copy()) if tensor else image


def convert_scripted_instances(instances: Any) -> Instances:
    """An ``Instances`` with the same image size and fields as ``instances`` (an ``Instances`` or any object with
    ``image_size`` and ``get_fields()``, such as the output of a scripted or exported model)."""
    fields = instances.get_fields() if hasattr(instances, "get_fields") else dict(instances._fields)
    return Instances(instances.image_size, **{k: v for k, v in fields.items() if v is not None})


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float) -> bool:
    return a.shape == b.shape and torch.allclose(a.float(), b.float(), rtol=rtol, atol=0.0 if rtol == 0 else 1e-6)


def assert_instances_allclose(input: Instances, other: Instances, *, rtol: float = 1e-5, msg: str = "",
                              size_as_tensor: bool = False) -> None:  # fmt: skip
    """Assert that two ``Instances`` have the same image size and fields, with tensors equal up to ``rtol``.

    Args:
        size_as_tensor: compare image sizes as tensors (for outputs of traced models, whose sizes are tensors).

    Raises:
        AssertionError: naming the first field (or the size) that differs.
    """
    if not isinstance(input, Instances):
        input = convert_scripted_instances(input)
    if not isinstance(other, Instances):
        other = convert_scripted_instances(other)
    prefix = msg + " " if msg else ""
    if size_as_tensor:
        same = torch.equal(torch.as_tensor(input.image_size), torch.as_tensor(other.image_size))
    else:
        same = tuple(input.image_size) == tuple(other.image_size)
    if not same:
        raise AssertionError(f"{prefix}image_size differs: {input.image_size} vs {other.image_size}")
    fields, other_fields = input.get_fields(), other.get_fields()
    if sorted(fields) != sorted(other_fields):
        raise AssertionError(f"{prefix}fields differ: {sorted(fields)} vs {sorted(other_fields)}")
    for name, a in fields.items():
        b = other_fields[name]
        if isinstance(a, (Boxes, RotatedBoxes)):
            ok = _close(a.tensor, b.tensor, rtol)
        elif isinstance(a, ROIMasks):
            ok = _close(a.tensor, b.tensor, rtol)
        elif isinstance(a, torch.Tensor):
            ok = _close(a, b, rtol)
        else:
            ok = a == b
        if not ok:
            raise AssertionError(f"{prefix}field '{name}' differs (rtol={rtol}):\n{a}\nvs\n{b}")


def reload_script_model(module: torch.jit.ScriptModule) -> torch.jit.ScriptModule:
    """Save a scripted or traced module to memory and load it back (checks that it serialises).

    Raises:
        RuntimeError: this torch cannot save or load TorchScript; the message says so (use ``torch.export``).
    """
    buffer = io.BytesIO()
    try:
        torch.jit.save(module, buffer)
        buffer.seek(0)
        return torch.jit.load(buffer)
    except (AttributeError, RuntimeError) as e:
        raise RuntimeError(
            f"Could not save and reload the TorchScript module with torch {torch.__version__} ({e}). TorchScript is "
            "deprecated in torch >= 2.5; export with torch.export instead."
        ) from e


def reload_lazy_config(cfg: Any) -> Any:
    """Save a LazyConfig to a temporary .yaml and load it back (checks that it serialises)."""
    with tempfile.TemporaryDirectory(prefix="detectra") as folder:
        path = os.path.join(folder, "config.yaml")
        LazyConfig.save(cfg, path)
        return LazyConfig.load(path)


def has_dynamic_axes(onnx_model: Any) -> bool:
    """Whether every input and output of an ONNX ``ModelProto`` has only named (dynamic) dimensions, e.g. a batch
    or image size axis exported with ``dynamic_axes``."""
    tensors = list(onnx_model.graph.input) + list(onnx_model.graph.output)
    return all(
        dim.dim_param != "" and dim.dim_value == 0
        for value in tensors
        for dim in value.type.tensor_type.shape.dim
    )


def _onnx_api(name: str) -> Callable:
    import torch.onnx

    func = getattr(torch.onnx, name, None)
    if func is None:
        raise RuntimeError(
            f"torch {torch.__version__} has no torch.onnx.{name}: custom TorchScript-ONNX symbolics are gone; "
            "with the dynamo exporter, pass custom_translation_table to torch.onnx.export instead."
        )
    return func


def register_custom_op_onnx_export(opname: str, symbolic_fn: Callable, opset_version: int, min_version: str) -> None:
    """Register ``symbolic_fn`` as the ONNX export of ``opname`` ("namespace::op") when torch is at least
    ``min_version`` (on older torch the exporter's own rule is used)."""
    if min_torch_version(min_version):
        _onnx_api("register_custom_op_symbolic")(opname, symbolic_fn, opset_version)


def unregister_custom_op_onnx_export(opname: str, opset_version: int, min_version: str) -> None:
    """Undo :func:`register_custom_op_onnx_export`."""
    if min_torch_version(min_version):
        _onnx_api("unregister_custom_op_symbolic")(opname, opset_version)


def skipIfOnCPUCI(testcase: Callable) -> Callable:
    """Skip a slow test on CI machines without a GPU (``$CI`` set and no CUDA)."""
    on_cpu_ci = bool(os.environ.get("CI")) and not torch.cuda.is_available()
    return unittest.skipIf(on_cpu_ci, "skipped on CPU-only CI (set when $CI is set and there is no GPU)")(testcase)


def skipIfUnsupportedMinOpsetVersion(min_opset_version: int, current_opset_version: int | None = None) -> Callable:
    """Skip a test that needs ONNX opset ``min_opset_version`` when the exporter's opset is older."""
    if current_opset_version is None:
        try:
            from detectra.export import STABLE_ONNX_OPSET_VERSION as current_opset_version  # noqa: N811
        except ImportError:  # without detectra.export: the opset torch's exporter writes by default
            current_opset_version = getattr(getattr(torch.onnx, "_constants", None), "ONNX_DEFAULT_OPSET", 17)

    def decorator(func: Callable) -> Callable:
        return unittest.skipIf(
            current_opset_version < min_opset_version,
            f"needs ONNX opset >= {min_opset_version}, the exporter uses {current_opset_version}",
        )(func)

    return decorator


def skipIfUnsupportedMinTorchVersion(min_version: str) -> Callable:
    """Skip a test when the installed torch is older than ``min_version``."""
    return unittest.skipIf(not min_torch_version(min_version), f"needs torch >= {min_version}")
