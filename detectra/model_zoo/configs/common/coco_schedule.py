"""Detectron2's "Nx" COCO schedules as LR multipliers (instantiate to a ``ParamScheduler`` over [0, 1]).

1x is 90k iterations at batch 16 (~12 COCO epochs). The multiplier is scale-free: it is a function of the fraction
of training done, so ``train.max_iter`` alone sets the length.
"""
from detectra.config import LazyCall as L
from detectra.solver import MultiStepParamScheduler, WarmupParamScheduler


def default_X_scheduler(num_X: float):
    """Multi-step schedule of ``num_X`` x 90k iterations: x0.1 twice near the end, 1000 linear warmup iterations.

    Up to 2x the decays sit at 6/9 and 8/9 of training; longer schedules decay 60k and 20k iterations before the
    end ("Rethinking ImageNet Pre-training", Sec. 4).

    Args:
        num_X: a positive number (1 for "1x", 3 for "3x").

    Returns:
        a LazyCall of `WarmupParamScheduler`.
    """
    total_steps_16bs = num_X * 90000
    if num_X <= 2:
        # The last milestone is the schedule's length: these are fractions 6/9 and 8/9 of training.
        milestones = [60000, 80000, 90000]
    else:
        milestones = [total_steps_16bs - 60000, total_steps_16bs - 20000, total_steps_16bs]
    return L(WarmupParamScheduler)(
        scheduler=L(MultiStepParamScheduler)(values=[1.0, 0.1, 0.01], milestones=milestones),
        warmup_length=1000 / total_steps_16bs,
        warmup_method="linear",
        warmup_factor=0.001,
    )


lr_multiplier_1x = default_X_scheduler(1)
lr_multiplier_2x = default_X_scheduler(2)
lr_multiplier_3x = default_X_scheduler(3)
lr_multiplier_6x = default_X_scheduler(6)
lr_multiplier_9x = default_X_scheduler(9)
