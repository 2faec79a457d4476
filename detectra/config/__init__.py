"""Configs: yacs-style ``CfgNode`` with Detectron2's defaults (``get_cfg``), ``configurable``, and LazyConfig
(``LazyConfig`` / ``LazyCall`` / ``instantiate``) built on OmegaConf."""
from .compat import downgrade_config, upgrade_config
from .config import *
from .instantiate import instantiate
from .lazy import LazyCall, LazyConfig

from . import config

L = LazyCall

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = ["L", "LazyCall", "LazyConfig", "downgrade_config", "instantiate", "upgrade_config"]
__all__ += config.__all__
