"""Configs: yacs-style ``CfgNode`` with Detectron2's defaults (``get_cfg``), ``configurable``, and LazyConfig
(``LazyConfig`` / ``LazyCall`` / ``instantiate``) built on OmegaConf."""
from .cfg_node import CfgNode
from .compat import downgrade_config, upgrade_config
from .config import configurable, get_cfg, global_cfg, set_global_cfg
from .instantiate import instantiate
from .lazy import LazyCall, LazyConfig

L = LazyCall

__all__ = [
    "CfgNode",
    "L",
    "LazyCall",
    "LazyConfig",
    "configurable",
    "downgrade_config",
    "get_cfg",
    "global_cfg",
    "instantiate",
    "set_global_cfg",
    "upgrade_config",
]
