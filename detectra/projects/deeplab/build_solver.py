"""``build_lr_scheduler`` that also knows DeepLab's ``WarmupPolyLR``."""
from typing import Any

import torch

from detectra.projects.deeplab.lr_scheduler import WarmupPolyLR
from detectra.solver import build_lr_scheduler as build_d2_lr_scheduler

__all__ = ["build_lr_scheduler"]


def build_lr_scheduler(cfg: Any, optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
    """``WarmupPolyLR`` for ``SOLVER.LR_SCHEDULER_NAME: WarmupPolyLR`` (needs :func:`add_deeplab_config`'s keys);
    any other name is built by :func:`detectra.solver.build_lr_scheduler`."""
    solver = cfg.SOLVER
    if solver.LR_SCHEDULER_NAME != "WarmupPolyLR":
        return build_d2_lr_scheduler(cfg, optimizer)
    if "POLY_LR_POWER" not in solver:
        raise KeyError(
            "SOLVER.LR_SCHEDULER_NAME is WarmupPolyLR but the config has no SOLVER.POLY_LR_POWER: call "
            "add_deeplab_config(cfg) (from detectron2.projects.deeplab) before merging the config file."
        )
    return WarmupPolyLR(
        optimizer,
        solver.MAX_ITER,
        warmup_factor=solver.WARMUP_FACTOR,
        warmup_iters=solver.WARMUP_ITERS,
        warmup_method=solver.WARMUP_METHOD,
        power=solver.POLY_LR_POWER,
        constant_ending=solver.POLY_LR_CONSTANT_ENDING,
    )
