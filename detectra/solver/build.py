"""Building the optimizer and LR scheduler from a config (``cfg.SOLVER.*``), as Detectron2 does."""
from __future__ import annotations

import copy
import itertools
import logging
from collections import defaultdict
from enum import Enum
from typing import Any, Callable, Iterable, Optional, Union

import torch
from torch import nn

from detectra.solver.lr_scheduler import LRMultiplier, WarmupParamScheduler
from detectra.solver.param_scheduler import (
    CosineParamScheduler,
    MultiStepParamScheduler,
    ParamScheduler,
    StepWithFixedGammaParamScheduler,
)

__all__ = [
    "GradientClipType",
    "build_optimizer",
    "build_lr_scheduler",
    "get_default_optimizer_params",
    "maybe_add_gradient_clipping",
    "reduce_param_groups",
]

logger = logging.getLogger(__name__)

_GradientClipper = Callable[[Union[torch.Tensor, Iterable[torch.Tensor]]], None]

# Parameters of these modules get SOLVER.WEIGHT_DECAY_NORM (NaiveSyncBatchNorm / FrozenBN subclass or lack params).
_NORM_MODULE_TYPES = (
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.SyncBatchNorm,
    nn.GroupNorm,
    nn.InstanceNorm1d,
    nn.InstanceNorm2d,
    nn.InstanceNorm3d,
    nn.LayerNorm,
    nn.LocalResponseNorm,
)


class GradientClipType(Enum):
    """``SOLVER.CLIP_GRADIENTS.CLIP_TYPE`` values."""

    VALUE = "value"
    NORM = "norm"


def _create_gradient_clipper(clip_cfg: Any) -> _GradientClipper:
    clip_type = GradientClipType(clip_cfg.CLIP_TYPE)
    if clip_type == GradientClipType.VALUE:
        return lambda p: torch.nn.utils.clip_grad_value_(p, clip_cfg.CLIP_VALUE)
    return lambda p: torch.nn.utils.clip_grad_norm_(p, clip_cfg.CLIP_VALUE, clip_cfg.NORM_TYPE)


def _optimizer_class_with_clipping(
    optimizer_type: type[torch.optim.Optimizer], per_param_clipper: _GradientClipper
) -> type[torch.optim.Optimizer]:
    def step(self: torch.optim.Optimizer, closure: Optional[Callable] = None) -> Any:
        # Per-parameter clipping, as Detectron2's yacs option does (not a global norm over all parameters). A
        # parameter without a gradient (unused in this step) is skipped: the optimizer leaves it alone too, and
        # torch's clip_grad_value_ fails on it.
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    per_param_clipper(p)
        return optimizer_type.step(self, closure)

    return type(optimizer_type.__name__ + "WithGradientClip", (optimizer_type,), {"step": step})


def maybe_add_gradient_clipping(
    cfg: Any, optimizer: Union[torch.optim.Optimizer, type[torch.optim.Optimizer]]
) -> Union[torch.optim.Optimizer, type[torch.optim.Optimizer]]:
    """If ``cfg.SOLVER.CLIP_GRADIENTS.ENABLED``, make ``optimizer`` clip every parameter's gradient before stepping.

    Args:
        cfg: a config with ``SOLVER.CLIP_GRADIENTS.{ENABLED, CLIP_TYPE ("value" | "norm"), CLIP_VALUE, NORM_TYPE}``.
        optimizer: an optimizer class (a subclass is returned) or instance (its class is switched in place).

    Returns:
        The clipping optimizer class or instance; ``optimizer`` unchanged when clipping is disabled.
    """
    clip_cfg = cfg.SOLVER.CLIP_GRADIENTS
    if not clip_cfg.ENABLED:
        return optimizer
    if clip_cfg.CLIP_TYPE not in ("value", "norm"):
        raise ValueError(f"SOLVER.CLIP_GRADIENTS.CLIP_TYPE must be 'value' or 'norm', got '{clip_cfg.CLIP_TYPE}'.")
    optimizer_type = type(optimizer) if isinstance(optimizer, torch.optim.Optimizer) else optimizer
    if not (isinstance(optimizer_type, type) and issubclass(optimizer_type, torch.optim.Optimizer)):
        raise TypeError(f"maybe_add_gradient_clipping expects an optimizer or optimizer class, got {optimizer!r}.")
    clipping_type = _optimizer_class_with_clipping(optimizer_type, _create_gradient_clipper(clip_cfg))
    if isinstance(optimizer, torch.optim.Optimizer):
        optimizer.__class__ = clipping_type
        return optimizer
    return clipping_type


def get_default_optimizer_params(
    model: nn.Module,
    base_lr: Optional[float] = None,
    weight_decay: Optional[float] = None,
    weight_decay_norm: Optional[float] = None,
    bias_lr_factor: Optional[float] = 1.0,
    weight_decay_bias: Optional[float] = None,
    lr_factor_func: Optional[Callable[[str], float]] = None,
    overrides: Optional[dict[str, dict[str, float]]] = None,
) -> list[dict[str, Any]]:
    """Optimizer parameter groups with per-parameter LR and weight decay, merged where hyperparameters agree.

    Args:
        model: the model; parameters with ``requires_grad=False`` are skipped, shared ones counted once.
        base_lr: LR of every group (None: the optimizer's default).
        weight_decay: weight decay of every group (None: the optimizer's default).
        weight_decay_norm: weight decay of normalization layers' parameters (SOLVER.WEIGHT_DECAY_NORM).
        bias_lr_factor: LR multiplier for parameters named "bias" (SOLVER.BIAS_LR_FACTOR).
        weight_decay_bias: weight decay of parameters named "bias" (SOLVER.WEIGHT_DECAY_BIAS; None: as others).
        lr_factor_func: ``f(full parameter name) -> LR multiplier``, e.g. layer-wise decay.
        overrides: ``{parameter name (last component, e.g. "bias"): {"lr": ..., "weight_decay": ...}}``.

    Returns:
        A list of param-group dicts for a ``torch.optim.Optimizer``.
    """
    overrides = dict(overrides or {})
    defaults: dict[str, float] = {}
    if base_lr is not None:
        defaults["lr"] = base_lr
    if weight_decay is not None:
        defaults["weight_decay"] = weight_decay
    bias_overrides: dict[str, float] = {}
    if bias_lr_factor is not None and bias_lr_factor != 1.0:
        if base_lr is None:
            raise ValueError("get_default_optimizer_params: bias_lr_factor needs base_lr.")
        bias_overrides["lr"] = base_lr * bias_lr_factor
    if weight_decay_bias is not None:
        bias_overrides["weight_decay"] = weight_decay_bias
    if bias_overrides:
        if "bias" in overrides:
            raise ValueError("get_default_optimizer_params: 'bias' overrides conflict with bias_lr_factor / weight_decay_bias.")
        overrides["bias"] = bias_overrides
    if lr_factor_func is not None and base_lr is None:
        raise ValueError("get_default_optimizer_params: lr_factor_func needs base_lr.")

    params: list[dict[str, Any]] = []
    seen: set[int] = set()
    for module_name, module in model.named_modules():
        for param_name, value in module.named_parameters(recurse=False):
            if not value.requires_grad or id(value) in seen:
                continue
            seen.add(id(value))
            hyperparams = copy.copy(defaults)
            if isinstance(module, _NORM_MODULE_TYPES) and weight_decay_norm is not None:
                hyperparams["weight_decay"] = weight_decay_norm
            if lr_factor_func is not None:
                hyperparams["lr"] *= lr_factor_func(f"{module_name}.{param_name}" if module_name else param_name)
            hyperparams.update(overrides.get(param_name, {}))
            params.append({"params": [value], **hyperparams})
    return reduce_param_groups(params)


def _expand_param_groups(params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # One entry per parameter; later groups override earlier ones for the same parameter.
    per_param: dict[torch.Tensor, dict[str, Any]] = defaultdict(dict)
    for group in params:
        if "params" not in group:
            raise ValueError(f"A parameter group needs a 'params' entry, got keys {sorted(group)}.")
        hyper = {k: v for k, v in group.items() if k not in ("params", "param_names")}
        names = group.get("param_names")
        for i, p in enumerate(group["params"]):
            entry = {"params": [p], **hyper}
            if names is not None:
                entry["param_names"] = [names[i]]
            per_param[p].update(entry)
    return list(per_param.values())


def reduce_param_groups(params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge parameter groups with identical hyperparameters (fewer groups -> faster multi-tensor optimizers)."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for item in _expand_param_groups(params):
        key = tuple((k, v) for k, v in item.items() if k not in ("params", "param_names"))
        groups[key].append(item)
    merged = []
    for key, items in groups.items():
        group = dict(key)
        group["params"] = list(itertools.chain.from_iterable(it["params"] for it in items))
        if any("param_names" in it for it in items):
            group["param_names"] = list(itertools.chain.from_iterable(it.get("param_names", []) for it in items))
        merged.append(group)
    return merged


def build_optimizer(cfg: Any, model: nn.Module) -> torch.optim.Optimizer:
    """Build the optimizer from ``cfg.SOLVER``: SGD (Detectron2's) or AdamW (``SOLVER.OPTIMIZER``).

    ``SOLVER.OPTIMIZER`` is a detectra addition ("SGD" | "AdamW", default "SGD"); SGD uses MOMENTUM and NESTEROV,
    both use BASE_LR, WEIGHT_DECAY(_NORM, _BIAS), BIAS_LR_FACTOR and CLIP_GRADIENTS.
    """
    solver = cfg.SOLVER
    params = get_default_optimizer_params(
        model,
        base_lr=solver.BASE_LR,
        weight_decay_norm=solver.WEIGHT_DECAY_NORM,
        bias_lr_factor=solver.BIAS_LR_FACTOR,
        weight_decay_bias=solver.WEIGHT_DECAY_BIAS,
    )
    name = solver.OPTIMIZER
    if name.upper() == "SGD":
        optimizer_type: type[torch.optim.Optimizer] = torch.optim.SGD
        kwargs: dict[str, Any] = {"momentum": solver.MOMENTUM, "nesterov": solver.NESTEROV}
    elif name.upper() == "ADAMW":
        optimizer_type, kwargs = torch.optim.AdamW, {}
    else:
        raise ValueError(f"Unknown optimizer '{name}' in SOLVER.OPTIMIZER: use 'SGD' or 'AdamW'.")
    optimizer_type = maybe_add_gradient_clipping(cfg, optimizer_type)
    return optimizer_type(params, lr=solver.BASE_LR, weight_decay=solver.WEIGHT_DECAY, foreach=True, **kwargs)


def build_lr_scheduler(cfg: Any, optimizer: torch.optim.Optimizer) -> LRMultiplier:
    """Build the LR scheduler from ``cfg.SOLVER`` (LR_SCHEDULER_NAME, STEPS, GAMMA, WARMUP_*, ...).

    Supported names: "WarmupMultiStepLR", "WarmupCosineLR", "WarmupStepWithFixedGammaLR"; every one is an
    :class:`LRMultiplier` whose values equal Detectron2's at every iteration.
    """
    solver = cfg.SOLVER
    name = solver.LR_SCHEDULER_NAME
    max_iter = solver.MAX_ITER
    sched: ParamScheduler
    if name == "WarmupMultiStepLR":
        # A step at or after MAX_ITER never takes effect; drop it rather than fail (common when MAX_ITER is shortened).
        steps = [x for x in solver.STEPS if x < max_iter]
        if len(steps) != len(solver.STEPS):
            logger.warning(
                f"SOLVER.STEPS {tuple(solver.STEPS)} has values >= SOLVER.MAX_ITER ({max_iter}); they are ignored."
            )
        sched = MultiStepParamScheduler(
            values=[solver.GAMMA**k for k in range(len(steps) + 1)], milestones=steps, num_updates=max_iter
        )
    elif name == "WarmupCosineLR":
        end_value = solver.BASE_LR_END / solver.BASE_LR
        if not 0.0 <= end_value <= 1.0:
            raise ValueError(
                f"SOLVER.BASE_LR_END ({solver.BASE_LR_END}) must be between 0 and SOLVER.BASE_LR ({solver.BASE_LR})."
            )
        sched = CosineParamScheduler(1, end_value)
    elif name == "WarmupStepWithFixedGammaLR":
        sched = StepWithFixedGammaParamScheduler(
            base_value=1.0, gamma=solver.GAMMA, num_decays=solver.NUM_DECAYS, num_updates=max_iter
        )
    else:
        raise ValueError(
            f"Unknown LR scheduler '{name}' in SOLVER.LR_SCHEDULER_NAME: use 'WarmupMultiStepLR', "
            "'WarmupCosineLR' or 'WarmupStepWithFixedGammaLR'."
        )
    sched = WarmupParamScheduler(
        sched,
        solver.WARMUP_FACTOR,
        min(solver.WARMUP_ITERS / max_iter, 1.0),
        solver.WARMUP_METHOD,
        solver.RESCALE_INTERVAL,
    )
    return LRMultiplier(optimizer, multiplier=sched, max_iter=max_iter)
