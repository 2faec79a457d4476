"""Precise BatchNorm: recompute BN running statistics as true averages over many batches, so evaluation uses
population statistics instead of the EMA of the last training steps (Wu & Johnson, "Rethinking 'Batch' in
BatchNorm")."""

from __future__ import annotations

import itertools
import logging
from typing import Any, Iterable

import torch
from torch import nn

from detectra.engine.train_loop import HookBase
from detectra.utils.events import EventStorage

__all__ = ["BN_MODULE_TYPES", "PreciseBN", "get_bn_modules", "update_bn_stats"]

logger = logging.getLogger(__name__)

# Subclasses (e.g. detectra.layers' NaiveSyncBatchNorm) are matched by isinstance.
BN_MODULE_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def get_bn_modules(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """The BatchNorm modules of ``model`` that are in training mode (frozen / eval-mode BNs are skipped)."""
    return [m for m in model.modules() if m.training and isinstance(m, BN_MODULE_TYPES)]


@torch.no_grad()
def update_bn_stats(model: nn.Module, data_loader: Iterable[Any], num_iters: int = 200) -> None:
    """Set the running mean / var of every training-mode BN to the average of per-batch statistics.

    The model stays in training mode, so each forward computes batch statistics; with momentum 1 the
    running buffers hold exactly the last batch's statistics, which are averaged here over ``num_iters``
    batches.

    Args:
        model: in training mode; ``model(batch)`` is called for each batch (its output is ignored).
        data_loader: yields at least ``num_iters`` batches.
        num_iters: number of batches to average over.
    """
    bn_layers = get_bn_modules(model)
    if not bn_layers:
        return
    momentum_actual = [bn.momentum for bn in bn_layers]
    for bn in bn_layers:
        bn.momentum = 1.0
    running_mean = [torch.zeros_like(bn.running_mean) for bn in bn_layers]
    running_var = [torch.zeros_like(bn.running_var) for bn in bn_layers]
    seen = 0
    try:
        for inputs in itertools.islice(data_loader, num_iters):
            model(inputs)
            seen += 1
            for i, bn in enumerate(bn_layers):
                # Incremental mean over batches: mean_k = mean_{k-1} + (x_k - mean_{k-1}) / k.
                running_mean[i] += (bn.running_mean - running_mean[i]) / seen
                running_var[i] += (bn.running_var - running_var[i]) / seen
    finally:
        for bn, momentum in zip(bn_layers, momentum_actual):
            bn.momentum = momentum
    if seen != num_iters:
        raise ValueError(
            f"update_bn_stats: the data loader ran out after {seen} batches but num_iters={num_iters}; "
            "lower TEST.PRECISE_BN.NUM_ITER or pass a longer (e.g. infinite training) loader."
        )
    for i, bn in enumerate(bn_layers):
        bn.running_mean.copy_(running_mean[i])
        bn.running_var.copy_(running_var[i])


class PreciseBN(HookBase):
    """Run `update_bn_stats` every ``period`` iterations and after the last one (before evaluation, so
    register it before the `EvalHook`). Disabled, with a log line, when the model has no training-mode BN."""

    def __init__(self, period: int, model: nn.Module, data_loader: Iterable[Any], num_iter: int) -> None:
        """
        Args:
            period: iterations between updates; 0: only after the last iteration.
            model: the model whose BN statistics are recomputed (in training mode).
            data_loader: training data (an infinite loader is typical); iterated lazily.
            num_iter: batches per update.
        """
        self._disabled = len(get_bn_modules(model)) == 0
        if self._disabled:
            logger.info("PreciseBN is disabled because model does not contain BN layers in training mode.")
            return
        self._model = model
        self._data_loader = data_loader
        self._num_iter = num_iter
        self._period = period
        self._data_iter = None

    def after_step(self) -> None:
        next_iter = self.trainer.iter + 1
        is_final = next_iter == self.trainer.max_iter
        if is_final or (self._period > 0 and next_iter % self._period == 0):
            self.update_stats()

    def update_stats(self) -> None:
        """Recompute the BN statistics now."""
        if self._disabled:
            return
        if self._data_iter is None:
            self._data_iter = iter(self._data_loader)

        def data_loader():
            for num_iter in itertools.count(1):
                if num_iter % 100 == 0:
                    logger.info(f"Running precise-BN ... {num_iter}/{self._num_iter} iterations.")
                yield next(self._data_iter)

        # The model writes scalars (losses, stats) into a storage: give it a throw-away one.
        with EventStorage():
            logger.info(
                f"Running precise-BN for {self._num_iter} iterations...  "
                "Note that this could produce different statistics every time."
            )
            update_bn_stats(self._model, data_loader(), self._num_iter)
