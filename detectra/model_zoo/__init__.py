"""Detectron2's model zoo: its configs ship inside detectra, and its trained weights load by name.

Example:
    from detectra import model_zoo
    cfg = model_zoo.get_config("COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml", trained=True)
"""
from detectra.model_zoo.model_zoo import get, get_checkpoint_url, get_config, get_config_file, list_configs

__all__ = ["get", "get_checkpoint_url", "get_config", "get_config_file", "list_configs"]
