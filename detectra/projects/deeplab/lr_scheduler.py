"""DeepLab's learning-rate schedule: a warmup factor times ``(1 - iter / max_iters) ** power``."""
import math

import torch

from detectra.solver.lr_scheduler import _get_warmup_factor_at_iter, _WarmupLR

__all__ = ["WarmupPolyLR"]


class WarmupPolyLR(_WarmupLR):
    """Poly decay with warmup, as Detectron2's DeepLab project defines it (``SOLVER.LR_SCHEDULER_NAME: WarmupPolyLR``).

    The learning rate at iteration ``t`` is ``base_lr * warmup(t) * (1 - t / max_iters) ** power``; once warmup is
    over, a positive ``constant_ending`` is a floor: the factor stays at ``constant_ending`` when the poly term
    drops below it.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        max_iters: int,
        warmup_factor: float = 0.001,
        warmup_iters: int = 1000,
        warmup_method: str = "linear",
        last_epoch: int = -1,
        power: float = 0.9,
        constant_ending: float = 0.0,
    ) -> None:
        self.max_iters = max_iters
        self.power = power
        self.constant_ending = constant_ending
        super().__init__(optimizer, warmup_factor, warmup_iters, warmup_method, last_epoch)

    def _factor(self) -> float:
        poly = math.pow(1.0 - self.last_epoch / self.max_iters, self.power)
        warmup = _get_warmup_factor_at_iter(self.warmup_method, self.last_epoch, self.warmup_iters, self.warmup_factor)
        if self.constant_ending > 0 and warmup == 1.0 and poly < self.constant_ending:
            return self.constant_ending
        return poly
