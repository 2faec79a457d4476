"""Deployment: flatten detectra's structures for tracers (`TracingAdapter`), export to TorchScript (traced), ONNX
(both of torch's exporters), torch.export and AOTInductor, in float32 or bfloat16, and run the exported files
(`ExportedModel`)."""
from . import flatten, torchscript, torchscript_patch
from .caffe2 import *
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
from .runtime import *
from .torchscript import *

from . import caffe2, runtime

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = [
    "STABLE_ONNX_OPSET_VERSION",
    "FORMATS",
    "BF16_FORMATS",
    "EXPORT_PRECISIONS",
    "check_export_precision",
    "TracingAdapter",
    "flatten_to_tuple",
    "export_model",
    "trace_model",
    "sidecar_path",
    "deploy_inference_func",
    "postprocess_outputs",
    "flatten",
    "torchscript",
    "torchscript_patch",
]
__all__ += [name for module in (caffe2, runtime, torchscript) for name in module.__all__]
