"""The training loop: `HookBase`, `TrainerBase` (iterations + hooks), `SimpleTrainer` (one optimizer step per
iteration) and `AMPTrainer` (the same under ``torch.amp`` autocast)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import time
import weakref
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import torch
from torch import nn

from detectra.checkpoint.rng import get_rng_states, set_rng_states
from detectra.utils import comm
from detectra.utils.events import EventStorage, get_event_storage
from detectra.utils.logger import VERBOSE_ONLY

__all__ = ["AMPTrainer", "HookBase", "SimpleTrainer", "TrainerBase"]

logger = logging.getLogger(__name__)


class HookBase:
    """Base class for hooks registered with a `TrainerBase`.

    A hook has five moments (all optional)::

        hook.before_train()
        for iter in range(start_iter, max_iter):
            hook.before_step()
            trainer.run_step()   # calls hook.after_backward() between backward and the optimizer step
            hook.after_step()
        iter += 1
        hook.after_train()

    ``self.trainer`` is a weak proxy of the trainer, set by `TrainerBase.register_hooks`. Hooks whose
    ``state_dict()`` is non-empty are checkpointed with the trainer, keyed by their class name.
    """

    trainer: "TrainerBase" = None  # type: ignore[assignment]

    def before_train(self) -> None:
        """Called once before the first iteration."""

    def after_train(self) -> None:
        """Called once after the last iteration (also when training stops on an exception)."""

    def before_step(self) -> None:
        """Called before each iteration."""

    def after_backward(self) -> None:
        """Called after the backward pass of each iteration, before the optimizer step."""

    def after_step(self) -> None:
        """Called after each iteration."""

    def state_dict(self) -> dict[str, Any]:
        """State to checkpoint with the trainer; empty means nothing is saved."""
        return {}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned."""


class TrainerBase:
    """Runs iterations from ``start_iter`` to ``max_iter`` and calls the registered hooks around each.

    Attributes:
        iter: the current iteration (``max_iter`` after a completed `train`).
        start_iter, max_iter: the range passed to `train`.
        storage: the `EventStorage` open during `train`.
    """

    def __init__(self) -> None:
        self._hooks: list[HookBase] = []
        self.iter: int = 0
        self.start_iter: int = 0
        self.max_iter: int = 0
        self.storage: EventStorage | None = None
        self._stop_requested = False
        self._pending_storage_state: dict[str, Any] | None = None
        self._pending_rng_states: dict[str, Any] | None = None
        # Every rank's states, gathered by `gathered_resume_state` while a checkpoint is written.
        self._gathered_rng_states: list[dict[str, Any]] | None = None
        self._gathered_loader_states: list[Any] | None = None

    def register_hooks(self, hooks: Iterable[HookBase | None]) -> None:
        """Append hooks (None entries are skipped); they run in registration order.

        The trainer is bound as a weak proxy (``hook.trainer``) so hooks and trainer do not form a cycle.
        """
        hooks = [h for h in hooks if h is not None]
        for h in hooks:
            if not isinstance(h, HookBase):
                raise TypeError(f"register_hooks: {type(h).__name__} is not a HookBase; subclass HookBase.")
            h.trainer = weakref.proxy(self)
        self._hooks.extend(hooks)

    def attach_hooks(self, hooks: list[HookBase]) -> None:
        """Run ``hooks`` (the same list object, not a copy) as this trainer's hooks.

        For a trainer driven by an outer one (`DefaultTrainer` wraps a `SimpleTrainer`): the inner trainer calls
        ``after_backward`` inside its ``run_step``, so it must see the hooks registered on the outer trainer, which
        stay bound to the outer trainer.
        """
        self._hooks = hooks

    @property
    def stop_requested(self) -> bool:
        """Whether `request_stop` was called during the current `train`."""
        return self._stop_requested

    def request_stop(self) -> None:
        """Ask the loop to stop after the current iteration (e.g. early stopping); `after_train` still runs."""
        self._stop_requested = True

    def train(self, start_iter: int, max_iter: int) -> None:
        """Run iterations ``[start_iter, max_iter)`` inside a fresh `EventStorage`.

        Args:
            start_iter: first iteration (``iteration of the checkpoint + 1`` when resuming).
            max_iter: iteration at which to stop (exclusive).
        """
        logger.info(f"Starting training from iteration {start_iter}")
        self.iter = self.start_iter = start_iter
        self.max_iter = max_iter
        self._stop_requested = False
        with EventStorage(start_iter) as self.storage:
            if self._pending_storage_state is not None:
                self.storage.load_state_dict(self._pending_storage_state)
                self._pending_storage_state = None
            try:
                self.before_train()
                self._restore_rng_states()
                for self.iter in range(start_iter, max_iter):
                    if self._stop_requested:
                        break
                    self.before_step()
                    self.run_step()
                    self.after_step()
                else:
                    # After a full run iter == max_iter, so after_train can tell the loop completed.
                    self.iter += 1
            except Exception:
                # the traceback goes to log.txt; the `detectra` command prints the error itself, in one line
                logger.exception("Exception during training:", extra=VERBOSE_ONLY)
                raise
            finally:
                self.after_train()

    def before_train(self) -> None:
        for h in self._hooks:
            h.before_train()

    def after_train(self) -> None:
        self.storage.iter = self.iter
        for h in self._hooks:
            h.after_train()

    def before_step(self) -> None:
        # Keep the storage's iteration in sync: writers record scalars at storage.iter.
        self.storage.iter = self.iter
        for h in self._hooks:
            h.before_step()

    def after_backward(self) -> None:
        for h in self._hooks:
            h.after_backward()

    def after_step(self) -> None:
        for h in self._hooks:
            h.after_step()

    def run_step(self) -> None:
        raise NotImplementedError

    def _restore_rng_states(self) -> None:
        """Apply RNG states loaded from a checkpoint, right before the first resumed iteration."""
        if self._pending_rng_states is None:
            return
        set_rng_states(self._pending_rng_states)
        self._pending_rng_states = None

    @contextlib.contextmanager
    def gathered_resume_state(self) -> Iterator[None]:
        """Within this context `resume_state` holds every rank's states, for a checkpoint written on rank 0.

        Collective under DDP: every rank must enter it at the same iteration (`hooks.PeriodicCheckpointer` does). Each
        rank reads its own shard of the data and draws its own random numbers, so a resume needs every rank's state.
        """
        if comm.get_world_size() > 1:
            self._gathered_rng_states = comm.all_gather(get_rng_states())
            loader = getattr(self, "data_loader", None)
            if hasattr(loader, "state_dict"):
                self._gathered_loader_states = comm.all_gather(loader.state_dict())
        try:
            yield
        finally:
            self._gathered_rng_states = None
            self._gathered_loader_states = None

    def resume_state(self) -> dict[str, list[Any] | None]:
        """What a checkpoint carries, beyond weights and hooks, so that a resumed run repeats an uninterrupted one.

        Returns:
            ``{"rng_states": [...], "loader_states": [...] | None}``: one entry per rank inside
            `gathered_resume_state` under DDP, else this process's only. ``loader_states`` is None when the
            data loader has no ``state_dict``.
        """
        loader = getattr(self, "data_loader", None)
        loader_states = self._gathered_loader_states
        if loader_states is None and hasattr(loader, "state_dict"):
            loader_states = [loader.state_dict()]
        return {"rng_states": self._gathered_rng_states or [get_rng_states()], "loader_states": loader_states}

    def load_resume_state(self, rng_states: list[dict[str, Any]]) -> None:
        """Keep this rank's entry of a checkpoint's per-rank RNG states; they are applied when `train` starts."""
        rank, world = comm.get_rank(), comm.get_world_size()
        if len(rng_states) == world:
            self._pending_rng_states = rng_states[rank]
        else:
            logger.warning(
                f"Checkpoint holds RNG states of {len(rng_states)} processes but this run has {world}; "
                "every process restores rank 0's state, so random draws will not repeat the original run."
            )
            self._pending_rng_states = rng_states[0]

    def state_dict(self) -> dict[str, Any]:
        """Iteration, hooks' states, the event storage's histories and every rank's RNG states."""
        ret: dict[str, Any] = {"iteration": self.iter}
        hooks_state = {}
        for h in self._hooks:
            sd = h.state_dict()
            if sd:
                name = type(h).__qualname__
                if name in hooks_state:
                    # Two hooks of one class cannot be told apart on load; keep the first.
                    continue
                hooks_state[name] = sd
        if hooks_state:
            ret["hooks"] = hooks_state
        if self.storage is not None:
            ret["storage"] = self.storage.state_dict()
        ret["rng_states"] = self.resume_state()["rng_states"]
        return ret

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned; RNG and storage states are applied when `train` starts."""
        self.iter = int(state_dict["iteration"])
        for key, value in state_dict.get("hooks", {}).items():
            for h in self._hooks:
                if type(h).__qualname__ == key:
                    h.load_state_dict(value)
                    break
            else:
                logger.warning(f"Cannot find the hook '{key}' among the registered hooks; its state is ignored.")
        if "storage" in state_dict:
            self._pending_storage_state = dict(state_dict["storage"])
        rng_states = state_dict.get("rng_states")
        if rng_states:
            self.load_resume_state(rng_states)


class SimpleTrainer(TrainerBase):
    """Each iteration: next batch, ``loss_dict = model(data)``, sum, backward, optimizer step.

    Records ``data_time``, every loss and ``total_loss`` (averaged across ranks) in the event storage.
    Subclass or wrap the model / optimizer / data loader for anything more complex.
    """

    def __init__(
        self,
        model: nn.Module,
        data_loader: Iterable,
        optimizer: torch.optim.Optimizer,
        gather_metric_period: int = 1,
        zero_grad_before_forward: bool = False,
        async_write_metrics: bool = False,
    ) -> None:
        """
        Args:
            model: in training mode returns ``dict[str, Tensor]`` of scalar losses (or one loss tensor).
            data_loader: an iterable of batches passed to ``model(batch)``; iterated without end.
            optimizer: a torch optimizer over the model's parameters.
            gather_metric_period: gather and record metrics every this many iterations.
            zero_grad_before_forward: zero gradients before the forward pass instead of before backward
                (needed when the forward itself accumulates gradients).
            async_write_metrics: record metrics in a background thread (overlaps the GPU sync of ``.item()``).
        """
        super().__init__()
        model.train()
        self.model = model
        self.data_loader = data_loader
        self._data_loader_iter_obj = None
        self.optimizer = optimizer
        self.gather_metric_period = gather_metric_period
        self.zero_grad_before_forward = zero_grad_before_forward
        self.async_write_metrics = async_write_metrics
        # One worker keeps the writes in iteration order.
        self.concurrent_executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    @property
    def _data_loader_iter(self):
        # Created lazily so that a loader restored from a checkpoint starts where it stopped.
        if self._data_loader_iter_obj is None:
            self._data_loader_iter_obj = iter(self.data_loader)
        return self._data_loader_iter_obj

    def reset_data_loader(self, data_loader_builder) -> None:
        """Replace the data loader by ``data_loader_builder()`` (drops the current iterator first)."""
        del self.data_loader
        self._data_loader_iter_obj = None
        self.data_loader = data_loader_builder()

    def _restore_rng_states(self) -> None:
        if self._pending_rng_states is not None:
            # Creating the loader iterator draws from torch's RNG (worker seeds); the original run drew that
            # before it saved, so create it first and restore the saved states after.
            self._data_loader_iter  # noqa: B018
        super()._restore_rng_states()

    def _forward_losses(self, data: Any) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        loss_dict = self.model(data)
        if isinstance(loss_dict, torch.Tensor):
            return {"total_loss": loss_dict}, loss_dict
        return loss_dict, sum(loss_dict.values())

    def run_step(self) -> None:
        if not self.model.training:
            raise RuntimeError(
                f"[{type(self).__name__}] model was changed to eval mode; put it back with model.train()."
            )
        start = time.perf_counter()
        data = next(self._data_loader_iter)
        data_time = time.perf_counter() - start

        if self.zero_grad_before_forward:
            self.optimizer.zero_grad()
        with self._forward_context():
            loss_dict, losses = self._forward_losses(data)
        if not self.zero_grad_before_forward:
            self.optimizer.zero_grad()
        self._backward(losses)
        self.after_backward()
        self._record_metrics(loss_dict, data_time)
        self._optimizer_step()

    def _forward_context(self) -> contextlib.AbstractContextManager:
        """Around the forward pass (`AMPTrainer`: autocast)."""
        return contextlib.nullcontext()

    def _backward(self, losses: torch.Tensor) -> None:
        losses.backward()

    def _optimizer_step(self) -> None:
        self.optimizer.step()

    def _record_metrics(self, loss_dict: Mapping[str, torch.Tensor], data_time: float) -> None:
        if self.async_write_metrics:
            self.concurrent_executor.submit(self._write_metrics, loss_dict, data_time, iter=self.iter)
        else:
            self._write_metrics(loss_dict, data_time)

    def _write_metrics(
        self, loss_dict: Mapping[str, torch.Tensor], data_time: float, prefix: str = "", iter: int | None = None
    ) -> None:
        cur_iter = self.iter if iter is None else iter
        if (cur_iter + 1) % self.gather_metric_period == 0:
            try:
                SimpleTrainer.write_metrics(loss_dict, data_time, cur_iter, prefix)
            except FloatingPointError:
                raise
            except Exception:
                logger.exception("Exception in writing metrics: ")
                raise

    @staticmethod
    def write_metrics(
        loss_dict: Mapping[str, torch.Tensor], data_time: float, cur_iter: int, prefix: str = ""
    ) -> None:
        """Gather losses and data_time from every rank and record them in the event storage.

        Args:
            loss_dict: scalar losses of this rank.
            data_time: seconds spent waiting for the batch.
            cur_iter: the iteration the values belong to.
            prefix: prepended to every recorded name (e.g. "val_").

        Raises:
            FloatingPointError: when a loss is NaN or infinite (the message names the iteration and losses).
        """
        metrics_dict = {k: v.detach().float().cpu().item() for k, v in loss_dict.items()}
        if not np.isfinite(sum(metrics_dict.values())):
            raise FloatingPointError(
                f"Loss became infinite or NaN at iteration={cur_iter}!\nloss_dict = {metrics_dict}\n"
                "Lower the learning rate (SOLVER.BASE_LR), enable gradient clipping (SOLVER.CLIP_GRADIENTS) or "
                "check the data of this iteration."
            )
        metrics_dict["data_time"] = data_time
        storage = get_event_storage()
        # Gather from every rank (cheap: a few floats) so rank 0 logs the average over all of them.
        all_metrics_dict = comm.gather(metrics_dict)
        if not comm.is_main_process():
            return
        # The slowest rank's data_time is what limits the step.
        storage.put_scalar("data_time", float(np.max([x.pop("data_time") for x in all_metrics_dict])), cur_iter=cur_iter)
        metrics_dict = {k: float(np.mean([x[k] for x in all_metrics_dict])) for k in all_metrics_dict[0]}
        total_losses_reduced = sum(metrics_dict.values())
        storage.put_scalar(f"{prefix}total_loss", total_losses_reduced, cur_iter=cur_iter)
        if len(metrics_dict) > 1:
            storage.put_scalars(cur_iter=cur_iter, **{prefix + k: v for k, v in metrics_dict.items()})

    def state_dict(self) -> dict[str, Any]:
        ret = super().state_dict()
        ret["optimizer"] = self.optimizer.state_dict()
        return ret

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.optimizer.load_state_dict(state_dict["optimizer"])

    def after_train(self) -> None:
        # Metrics written asynchronously must land before the final writers run.
        self.concurrent_executor.shutdown(wait=True)
        self.concurrent_executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        super().after_train()


_PRECISIONS = {"float16": torch.float16, "fp16": torch.float16, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


def parse_precision(precision: str | torch.dtype) -> torch.dtype:
    """``"float16"`` / ``"bfloat16"`` (or the dtype itself) -> the torch dtype, with a clear error otherwise."""
    if isinstance(precision, torch.dtype):
        if precision not in (torch.float16, torch.bfloat16):
            raise ValueError(f"AMP precision must be torch.float16 or torch.bfloat16, got {precision}.")
        return precision
    try:
        return _PRECISIONS[str(precision).lower()]
    except KeyError:
        raise ValueError(
            f"Unknown AMP precision {precision!r} (cfg.SOLVER.AMP.PRECISION); use 'float16' or 'bfloat16'."
        ) from None


class AMPTrainer(SimpleTrainer):
    """`SimpleTrainer` with the forward pass under ``torch.amp.autocast``.

    float16 uses a ``torch.amp.GradScaler`` against gradient underflow; bfloat16 has float32's range and
    needs none. Works on CUDA and CPU (the device is taken from the model's parameters).
    """

    def __init__(
        self,
        model: nn.Module,
        data_loader: Iterable,
        optimizer: torch.optim.Optimizer,
        gather_metric_period: int = 1,
        zero_grad_before_forward: bool = False,
        grad_scaler: torch.amp.GradScaler | None = None,
        precision: str | torch.dtype = torch.float16,
        log_grad_scaler: bool = False,
        async_write_metrics: bool = False,
    ) -> None:
        """
        Args:
            model, data_loader, optimizer, gather_metric_period, zero_grad_before_forward, async_write_metrics:
                as in `SimpleTrainer`.
            grad_scaler: scaler to use with float16; default: a new ``torch.amp.GradScaler`` for the device.
                Ignored (None) for bfloat16.
            precision: ``torch.float16`` / ``torch.bfloat16`` or the strings "float16" / "bfloat16".
            log_grad_scaler: record the scaler's scale as ``[metric]grad_scaler``.
        """
        unsupported = "AMPTrainer does not support single-process multi-device training!"
        if isinstance(model, nn.parallel.DistributedDataParallel):
            if model.device_ids and len(model.device_ids) > 1:
                raise ValueError(unsupported)
        if isinstance(model, nn.DataParallel):
            raise ValueError(unsupported)
        super().__init__(
            model,
            data_loader,
            optimizer,
            gather_metric_period=gather_metric_period,
            zero_grad_before_forward=zero_grad_before_forward,
            async_write_metrics=async_write_metrics,
        )
        self.precision = parse_precision(precision)
        param = next(model.parameters(), None)
        self.device_type = param.device.type if param is not None else "cpu"
        if self.precision == torch.float16 and self.device_type == "cpu":
            # measured: one shapes R-18 step went from ~1 s to ~70 s; convolutions' float16 backward has no fast
            # CPU kernel, while bfloat16's has (and is faster than float32 on CPUs with AVX-512 bf16 / AMX)
            logger.warning(
                "AMP in float16 on the CPU (SOLVER.AMP.PRECISION / train.amp.precision): PyTorch's float16 "
                "convolution backward has no fast CPU kernel, so training steps run tens of times slower than in "
                "float32. Use bfloat16 (SOLVER.AMP.PRECISION bfloat16, train.amp.precision = 'bfloat16'), or turn "
                "AMP off on the CPU."
            )
        if self.precision == torch.float16:
            self.grad_scaler = grad_scaler or torch.amp.GradScaler(self.device_type)
        else:
            self.grad_scaler = None
        self.log_grad_scaler = log_grad_scaler

    def _forward_context(self) -> contextlib.AbstractContextManager:
        return torch.autocast(device_type=self.device_type, dtype=self.precision)

    def _backward(self, losses: torch.Tensor) -> None:
        if self.grad_scaler is None:
            losses.backward()
            return
        self.grad_scaler.scale(losses).backward()
        if self.log_grad_scaler:
            get_event_storage().put_scalar("[metric]grad_scaler", self.grad_scaler.get_scale())

    def _optimizer_step(self) -> None:
        if self.grad_scaler is None:
            self.optimizer.step()
            return
        self.grad_scaler.step(self.optimizer)
        self.grad_scaler.update()

    def state_dict(self) -> dict[str, Any]:
        ret = super().state_dict()
        if self.grad_scaler is not None:
            ret["grad_scaler"] = self.grad_scaler.state_dict()
        return ret

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        if self.grad_scaler is not None and "grad_scaler" in state_dict:
            self.grad_scaler.load_state_dict(state_dict["grad_scaler"])
