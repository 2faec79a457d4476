"""Optimizers and learning-rate schedules built from ``cfg.SOLVER``."""
from torch.optim.lr_scheduler import LRScheduler  # the base class of every torch LR scheduler, as Detectron2 exports it

from detectra.solver.build import *
from detectra.solver.lr_scheduler import *
from detectra.solver.param_scheduler import *

from detectra.solver import build, lr_scheduler, param_scheduler

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = ["LRScheduler"]
__all__ += [name for module in (build, lr_scheduler, param_scheduler) for name in module.__all__]
