"""Detectron2's Caffe2 export names. Caffe2 was removed from PyTorch: each name raises one error that says what to
use instead."""

__all__ = ["Caffe2Tracer", "Caffe2Model", "add_export_config"]

_CAFFE2_GONE = (
    "{name}: Caffe2 was removed from PyTorch and detectra has no Caffe2 export. Export to ONNX (onnxruntime, "
    "TensorRT), torch.export (.pt2) or a traced TorchScript module instead: `detectra export --format "
    "onnx|torch-export|torchscript`, or detectra.export.TracingAdapter with torch.onnx.export / torch.jit.trace."
)


class Caffe2Tracer:
    """Removed: see the module docstring."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(_CAFFE2_GONE.format(name="Caffe2Tracer"))


class Caffe2Model:
    """Removed: see the module docstring."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(_CAFFE2_GONE.format(name="Caffe2Model"))

    @staticmethod
    def load_protobuf(*args, **kwargs):
        raise NotImplementedError(_CAFFE2_GONE.format(name="Caffe2Model.load_protobuf"))


def add_export_config(cfg):
    """Removed: see the module docstring."""
    raise NotImplementedError(_CAFFE2_GONE.format(name="add_export_config"))
