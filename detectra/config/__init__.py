"""Configs: yacs-style ``CfgNode`` with Detectron2's defaults (``get_cfg``), and ``configurable``."""
from .cfg_node import CfgNode
from .config import configurable, get_cfg, global_cfg, set_global_cfg

__all__ = ["CfgNode", "configurable", "get_cfg", "global_cfg", "set_global_cfg"]
