"""`ValidationLoss`: the training losses on held-out data every N iterations, with optional early stopping."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from typing import Any, Iterable, Mapping

import torch
from torch import nn

from detectra.engine.precise_bn import BN_MODULE_TYPES
from detectra.engine.train_loop import HookBase
from detectra.utils import comm
from detectra.utils.events import EventStorage

__all__ = ["ValidationLoss"]

logger = logging.getLogger(__name__)


class ValidationLoss(HookBase):
    """Every ``eval_period`` iterations (and after the last one), compute the model's losses on a held-out
    loader and record ``val_total_loss`` and ``val_<loss name>`` (e.g. ``val_loss_cls``).

    The model runs in training mode (so it returns losses) under ``torch.no_grad()``; BatchNorm running
    statistics and the torch RNG are restored afterwards, so validation leaves training unchanged. Each
    value is the mean over all batches (and ranks) of the held-out loader.

    With ``patience > 0`` training stops early once ``val_total_loss`` has not improved by more than
    ``min_delta`` for ``patience`` consecutive validations: the trainer stops after the current iteration and,
    given a ``checkpointer``, ``model_final`` is saved.
    """

    def __init__(
        self,
        eval_period: int,
        model: nn.Module,
        data_loader: Iterable[Any],
        *,
        patience: int = 0,
        min_delta: float = 0.0,
        checkpointer: Any = None,
        max_batches: int | None = None,
    ) -> None:
        """
        Args:
            eval_period: iterations between validations (> 0).
            model: the training model (may be DDP-wrapped); ``model(batch)`` returns a loss dict.
            data_loader: finite loader of held-out batches with ground truth (iterated fully each time).
            patience: validations without improvement before stopping; 0 disables early stopping.
            min_delta: minimum decrease of ``val_total_loss`` that counts as an improvement.
            checkpointer: saves ``model_final`` when stopping early (rank 0 writes); None: no save.
            max_batches: use at most this many batches per validation; None: the whole loader.
        """
        if eval_period <= 0:
            raise ValueError(f"ValidationLoss: eval_period must be positive (TEST.VAL_PERIOD), got {eval_period}.")
        if patience < 0:
            raise ValueError(f"ValidationLoss: patience must be >= 0 (TEST.EARLY_STOP_PATIENCE), got {patience}.")
        self._period = eval_period
        self._model = model
        self._data_loader = data_loader
        self._patience = patience
        self._min_delta = min_delta
        self._checkpointer = checkpointer
        self._max_batches = max_batches
        self.best_loss: float | None = None
        self.num_bad_evals = 0
        self.stopped_at: int | None = None

    @torch.no_grad()
    def compute_losses(self) -> dict[str, float]:
        """Mean of every loss over the held-out loader (and all ranks), plus ``total_loss``."""
        bn_state = _snapshot_bn_buffers(self._model)
        sums: dict[str, float] = defaultdict(float)
        num_batches = 0
        was_training = self._model.training
        self._model.train()
        # Validation must not shift the RNG stream training draws from (dropout, sampling in heads).
        with torch.random.fork_rng(devices=_cuda_devices()):
            try:
                with EventStorage():  # the model may put scalars; keep them out of the training storage
                    for idx, batch in enumerate(self._data_loader):
                        if self._max_batches is not None and idx >= self._max_batches:
                            break
                        loss_dict = self._model(batch)
                        if isinstance(loss_dict, torch.Tensor):
                            loss_dict = {"total_loss": loss_dict}
                        for k, v in loss_dict.items():
                            sums[k] += float(v)
                        num_batches += 1
            finally:
                _restore_bn_buffers(bn_state)
                self._model.train(was_training)
        gathered = comm.all_gather((dict(sums), num_batches))
        total_batches = sum(n for _, n in gathered)
        if total_batches == 0:
            raise ValueError("ValidationLoss: the validation data loader yielded no batch; check DATASETS.VAL.")
        keys = sorted({k for s, _ in gathered for k in s})
        means = {k: sum(s.get(k, 0.0) for s, _ in gathered) / total_batches for k in keys}
        if "total_loss" not in means:
            means["total_loss"] = sum(means.values())
        return means

    def _do_validation(self) -> None:
        means = self.compute_losses()
        storage = self.trainer.storage
        for k, v in means.items():
            storage.put_scalar(f"val_{k}", v, smoothing_hint=False)
        total = means["total_loss"]
        logger.info(f"Validation at iteration {self.trainer.iter}: val_total_loss = {total:.5g}")
        if math.isfinite(total) and (self.best_loss is None or total < self.best_loss - self._min_delta):
            self.best_loss = total
            self.num_bad_evals = 0
        else:  # no improvement (a NaN loss never improves)
            self.num_bad_evals += 1
        if self._patience > 0 and self.num_bad_evals >= self._patience:
            self._stop()

    def _stop(self) -> None:
        self.stopped_at = self.trainer.iter
        logger.info(
            f"Early stopping at iteration {self.stopped_at}: val_total_loss did not improve for "
            f"{self.num_bad_evals} validations (best {self.best_loss:.5g})."
        )
        self.trainer.request_stop()
        if self._checkpointer is not None:
            self._checkpointer.save("model_final", iteration=self.trainer.iter)

    def before_train(self) -> None:
        if self.stopped_at is not None:
            logger.info(f"Training was stopped early at iteration {self.stopped_at}; not resuming it.")
            self.trainer.request_stop()

    def after_step(self) -> None:
        next_iter = self.trainer.iter + 1
        if next_iter % self._period == 0 or next_iter == self.trainer.max_iter:
            self._do_validation()

    def state_dict(self) -> dict[str, Any]:
        return {"best_loss": self.best_loss, "num_bad_evals": self.num_bad_evals, "stopped_at": self.stopped_at}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.best_loss = state_dict.get("best_loss")
        self.num_bad_evals = int(state_dict.get("num_bad_evals", 0))
        self.stopped_at = state_dict.get("stopped_at")


def _cuda_devices() -> list[int]:
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() and torch.cuda.is_initialized() else []


def _snapshot_bn_buffers(model: nn.Module) -> list[tuple[nn.Module, dict[str, torch.Tensor]]]:
    return [
        (m, {k: b.clone() for k, b in m.named_buffers(recurse=False) if b is not None})
        for m in model.modules()
        if isinstance(m, BN_MODULE_TYPES)
    ]


def _restore_bn_buffers(state: list[tuple[nn.Module, dict[str, torch.Tensor]]]) -> None:
    for module, buffers in state:
        for k, b in buffers.items():
            getattr(module, k).copy_(b)
