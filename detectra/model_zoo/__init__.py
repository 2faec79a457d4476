"""Detectron2's model zoo: its configs ship inside detectra, and its trained weights load by name.

Example:
    from detectra import model_zoo
    cfg = model_zoo.get_config("COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml", trained=True)
"""
from detectra.model_zoo.model_zoo import *

from detectra.model_zoo import model_zoo

# every submodule here is re-exported whole: the package's API is their `__all__` lists
__all__ = list(model_zoo.__all__)
