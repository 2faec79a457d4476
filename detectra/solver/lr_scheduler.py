"""Learning-rate schedulers: a warmup wrapper for param schedules, and the torch LRScheduler that applies them.

Iteration-based: ``last_epoch`` of these torch schedulers counts iterations, as in Detectron2.
"""
from __future__ import annotations

import bisect
import logging
import math
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler

from detectra.solver.param_scheduler import (
    CompositeParamScheduler,
    ConstantParamScheduler,
    LinearParamScheduler,
    ParamScheduler,
)

__all__ = ["WarmupParamScheduler", "LRMultiplier", "WarmupMultiStepLR", "WarmupCosineLR"]

logger = logging.getLogger(__name__)


class WarmupParamScheduler(CompositeParamScheduler):
    """Prepend a warmup to ``scheduler``: from ``warmup_factor * scheduler(0)`` to ``scheduler(warmup_length)``."""

    def __init__(
        self,
        scheduler: ParamScheduler,
        warmup_factor: float,
        warmup_length: float,
        warmup_method: str = "linear",
        rescale_interval: bool = False,
    ) -> None:
        """
        Args:
            scheduler: the schedule after warmup.
            warmup_factor: the multiplier at the first iteration, relative to ``scheduler(0)`` (e.g. 0.001).
            warmup_length: the warmup's fraction of training, in [0, 1] (e.g. WARMUP_ITERS / MAX_ITER).
            warmup_method: "linear" (ramp up) or "constant" (``warmup_factor`` throughout warmup).
            rescale_interval: whether ``scheduler`` sees 0 -> 1 over the post-warmup part only.
        """
        end_value = scheduler(warmup_length)
        start_value = warmup_factor * scheduler(0.0)
        if warmup_method == "constant":
            warmup: ParamScheduler = ConstantParamScheduler(start_value)
        elif warmup_method == "linear":
            warmup = LinearParamScheduler(start_value, end_value)
        else:
            raise ValueError(f"Unknown warmup method '{warmup_method}' (SOLVER.WARMUP_METHOD): use 'linear' or 'constant'.")
        super().__init__(
            [warmup, scheduler],
            interval_scaling=["rescaled", "rescaled" if rescale_interval else "fixed"],
            lengths=[warmup_length, 1 - warmup_length],
        )


class LRMultiplier(LRScheduler):
    """Set every param group's LR to its initial LR times ``multiplier(iteration / max_iter)``.

    Example:
        LRMultiplier(optimizer, WarmupParamScheduler(MultiStepParamScheduler([1, 0.1, 0.01], milestones=[60000,
        80000], num_updates=90000), 0.001, 100 / 90000), max_iter=90000)
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        multiplier: ParamScheduler,
        max_iter: int,
        last_iter: int = -1,
    ) -> None:
        """
        Args:
            optimizer: the optimizer whose param groups' LRs are scheduled.
            multiplier: a schedule of the LR multiplier over training progress.
            max_iter: the number of training iterations.
            last_iter: as ``last_epoch`` of torch LR schedulers (-1: start of training).
        """
        if not isinstance(multiplier, ParamScheduler):
            raise ValueError(f"LRMultiplier(multiplier=) must be a ParamScheduler, got {type(multiplier).__name__}.")
        if max_iter <= 0:
            raise ValueError(f"LRMultiplier: max_iter must be positive, got {max_iter}.")
        self._multiplier = multiplier
        self._max_iter = max_iter
        super().__init__(optimizer, last_epoch=last_iter)

    def state_dict(self) -> dict[str, Any]:
        # The param schedule is stateless and rebuilt from the config; only the position is saved.
        return {"base_lrs": self.base_lrs, "last_epoch": self.last_epoch}

    def get_lr(self) -> list[float]:
        multiplier = self._multiplier(self.last_epoch / self._max_iter)
        return [base_lr * multiplier for base_lr in self.base_lrs]


def _get_warmup_factor_at_iter(method: str, iter: int, warmup_iters: int, warmup_factor: float) -> float:
    if iter >= warmup_iters:
        return 1.0
    if method == "constant":
        return warmup_factor
    if method == "linear":
        alpha = iter / warmup_iters
        return warmup_factor * (1 - alpha) + alpha
    raise ValueError(f"Unknown warmup method '{method}': use 'linear' or 'constant'.")


class _WarmupLR(LRScheduler):
    """A schedule times a warmup factor; a subclass sets its own attributes, then calls this ``__init__``, and
    gives the schedule's factor at ``last_epoch`` in ``_factor``."""

    def __init__(
        self, optimizer: torch.optim.Optimizer, warmup_factor: float, warmup_iters: int, warmup_method: str,
        last_epoch: int,
    ) -> None:
        self.warmup_factor = warmup_factor
        self.warmup_iters = warmup_iters
        self.warmup_method = warmup_method
        super().__init__(optimizer, last_epoch)

    def _factor(self) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        warmup = _get_warmup_factor_at_iter(self.warmup_method, self.last_epoch, self.warmup_iters, self.warmup_factor)
        factor = self._factor()
        return [base_lr * warmup * factor for base_lr in self.base_lrs]


class WarmupMultiStepLR(_WarmupLR):
    """Detectron2's older multi-step schedule with warmup (kept for scripts that construct it directly).

    New code should use :func:`detectra.solver.build_lr_scheduler`, which builds an :class:`LRMultiplier`.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        milestones: list[int],
        gamma: float = 0.1,
        warmup_factor: float = 0.001,
        warmup_iters: int = 1000,
        warmup_method: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        if list(milestones) != sorted(milestones):
            raise ValueError(f"WarmupMultiStepLR: milestones must be increasing, got {list(milestones)}.")
        self.milestones = list(milestones)
        self.gamma = gamma
        super().__init__(optimizer, warmup_factor, warmup_iters, warmup_method, last_epoch)

    def _factor(self) -> float:
        return self.gamma ** bisect.bisect_right(self.milestones, self.last_epoch)


class WarmupCosineLR(_WarmupLR):
    """Detectron2's older half-cosine schedule multiplied by a warmup factor (kept for direct construction)."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        max_iters: int,
        warmup_factor: float = 0.001,
        warmup_iters: int = 1000,
        warmup_method: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        self.max_iters = max_iters
        super().__init__(optimizer, warmup_factor, warmup_iters, warmup_method, last_epoch)

    def _factor(self) -> float:
        return 0.5 * (1.0 + math.cos(math.pi * self.last_epoch / self.max_iters))
