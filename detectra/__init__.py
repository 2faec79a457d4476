"""detectra: Detectron2-compatible object detection and segmentation in pure Python on PyTorch."""

__version__ = "0.1.0"
