"""Deployment: flatten detectra's structures for tracers (`TracingAdapter`), export to TorchScript (traced), ONNX
(both of torch's exporters), torch.export and AOTInductor, in float32 or bfloat16, and run the exported files
(`ExportedModel`)."""
from . import flatten, torchscript, torchscript_patch
from .caffe2 import Caffe2Model, Caffe2Tracer, add_export_config
from .deploy import deploy_inference_func, postprocess_outputs
from .exporters import (
    BF16_FORMATS,
    EXPORT_PRECISIONS,
    FORMATS,
    STABLE_ONNX_OPSET_VERSION,
    check_export_precision,
    export_model,
    sidecar_path,
    trace_model,
)
from .flatten import TracingAdapter, flatten_to_tuple
from .runtime import ExportedModel
from .torchscript import dump_torchscript_IR, scripting_with_instances

__all__ = [
    "STABLE_ONNX_OPSET_VERSION",
    "FORMATS",
    "BF16_FORMATS",
    "EXPORT_PRECISIONS",
    "check_export_precision",
    "TracingAdapter",
    "flatten_to_tuple",
    "scripting_with_instances",
    "dump_torchscript_IR",
    "add_export_config",
    "Caffe2Tracer",
    "Caffe2Model",
    "export_model",
    "trace_model",
    "sidecar_path",
    "deploy_inference_func",
    "postprocess_outputs",
    "ExportedModel",
    "flatten",
    "torchscript",
    "torchscript_patch",
]
