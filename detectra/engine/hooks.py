"""Training hooks: timing, LR scheduling, periodic writing / checkpointing, evaluation, best-checkpoint
selection, profiling and memory stats. `PreciseBN` and `ValidationLoss` live in their own files and are
re-exported here, so every hook is reachable as ``detectra.engine.hooks.<Name>``."""

from __future__ import annotations

import datetime
import logging
import math
import operator
import os
import time
from collections import Counter
from typing import Any, Callable, Mapping, Sequence

import torch

from detectra.checkpoint import Checkpointer
from detectra.checkpoint import PeriodicCheckpointer as _PeriodicCheckpointer
from detectra.engine.precise_bn import PreciseBN, get_bn_modules, update_bn_stats
from detectra.engine.train_loop import HookBase
from detectra.engine.validation import ValidationLoss
from detectra.solver import LRMultiplier
from detectra.solver.param_scheduler import ParamScheduler
from detectra.utils import comm
from detectra.utils.events import EventWriter

__all__ = [
    "AutogradProfiler",
    "BestCheckpointer",
    "CallbackHook",
    "EvalHook",
    "HookBase",
    "IterationTimer",
    "LRScheduler",
    "PeriodicCheckpointer",
    "PeriodicWriter",
    "PreciseBN",
    "TorchMemoryStats",
    "TorchProfiler",
    "ValidationLoss",
    "get_bn_modules",
    "update_bn_stats",
]

logger = logging.getLogger(__name__)


class CallbackHook(HookBase):
    """A hook made of plain functions, each called with the trainer: ``CallbackHook(after_step=f)``."""

    def __init__(
        self,
        *,
        before_train: Callable | None = None,
        after_train: Callable | None = None,
        before_step: Callable | None = None,
        after_step: Callable | None = None,
    ) -> None:
        self._before_train = before_train
        self._before_step = before_step
        self._after_step = after_step
        self._after_train = after_train

    def _call(self, callback: Callable | None) -> None:
        if callback is not None:
            callback(self.trainer)

    def before_train(self) -> None:
        self._call(self._before_train)

    def after_train(self) -> None:
        self._call(self._after_train)
        # The callbacks may be closures over the trainer: drop them to break the reference cycle.
        self._before_train = self._after_train = self._before_step = self._after_step = None

    def before_step(self) -> None:
        self._call(self._before_step)

    def after_step(self) -> None:
        self._call(self._after_step)


class IterationTimer(HookBase):
    """Record the duration of each iteration as ``time`` and log the total training time at the end.

    Put it first among the hooks so that the time includes the other hooks. The first ``warmup_iter``
    iterations (slow: allocations, cudnn autotuning) are left out of the totals.
    """

    def __init__(self, warmup_iter: int = 3) -> None:
        self._warmup_iter = warmup_iter
        self._step_start = 0.0
        self._start_time = 0.0
        self._total_time = 0.0  # time of the iterations after warmup

    def before_train(self) -> None:
        self._start_time = time.perf_counter()
        self._total_time = 0.0

    def after_train(self) -> None:
        total_time = time.perf_counter() - self._start_time
        num_iter = self.trainer.storage.iter + 1 - self.trainer.start_iter - self._warmup_iter
        if num_iter > 0 and self._total_time > 0:
            logger.info(
                f"Overall training speed: {num_iter} iterations in "
                f"{datetime.timedelta(seconds=int(self._total_time))} ({self._total_time / num_iter:.4f} s / it)"
            )
        hooks_time = total_time - self._total_time
        logger.info(
            f"Total training time: {datetime.timedelta(seconds=int(total_time))} "
            f"({datetime.timedelta(seconds=int(max(hooks_time, 0)))} on hooks)"
        )

    def before_step(self) -> None:
        self._step_start = time.perf_counter()

    def after_step(self) -> None:
        # +1 because this runs after the step: iterations before start_iter + warmup are not counted.
        iter_done = self.trainer.storage.iter - self.trainer.start_iter + 1
        sec = time.perf_counter() - self._step_start
        if iter_done >= self._warmup_iter:
            self.trainer.storage.put_scalars(time=sec)
            self._total_time += sec


class PeriodicWriter(HookBase):
    """Call every writer's ``write()`` every ``period`` iterations and after the last one."""

    def __init__(self, writers: Sequence[EventWriter], period: int = 20) -> None:
        for w in writers:
            if not isinstance(w, EventWriter):
                raise TypeError(f"PeriodicWriter: {w!r} is not an EventWriter.")
        self._writers = list(writers)
        self._period = period

    def after_step(self) -> None:
        if (self.trainer.iter + 1) % self._period == 0 or self.trainer.iter == self.trainer.max_iter - 1:
            for writer in self._writers:
                writer.write()

    def after_train(self) -> None:
        for writer in self._writers:
            # Write once more: metrics put after the last step (e.g. final evaluation) must not be lost.
            writer.write()
            writer.close()


class PeriodicCheckpointer(_PeriodicCheckpointer, HookBase):
    """Save a checkpoint every ``period`` iterations and ``model_final`` after the last iteration.

    Same arguments as `detectra.checkpoint.PeriodicCheckpointer` (``max_iter`` defaults to the trainer's).
    Register it on every rank: the files are written by rank 0 only, but before a save every rank sends its
    RNG states so the checkpoint can restore all of them.
    """

    def before_train(self) -> None:
        self.max_iter = self.trainer.max_iter

    def _save_due(self, iteration: int) -> bool:
        return (iteration + 1) % self.period == 0 or (self.max_iter is not None and iteration >= self.max_iter - 1)

    def after_step(self) -> None:
        iteration = self.trainer.iter
        if not self._save_due(iteration):
            return
        # Collective: every rank sends its RNG states and loader position; only rank 0 writes them.
        with self.trainer.gathered_resume_state():
            if self.checkpointer.save_to_disk:
                self.step(iteration)

    def after_train(self) -> None:
        # A trainer stopped early (e.g. by ValidationLoss) saves its own final checkpoint.
        pass


class LRScheduler(HookBase):
    """Record the learning rate as ``lr`` and step the LR scheduler after every iteration."""

    def __init__(self, optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None) -> None:
        """
        Args:
            optimizer: default: ``trainer.optimizer``.
            scheduler: a ``torch.optim.lr_scheduler.LRScheduler`` (or anything with ``step()``), or a
                ``ParamScheduler`` of the LR multiplier over training progress (as LazyConfig's
                ``lr_multiplier``), wrapped in an ``LRMultiplier`` over ``trainer.max_iter``; default:
                ``trainer.scheduler``.
        """
        self._optimizer = optimizer
        self._scheduler = scheduler

    def before_train(self) -> None:
        self._optimizer = self._optimizer or self.trainer.optimizer
        if isinstance(self.scheduler, ParamScheduler):
            self._scheduler = LRMultiplier(
                self._optimizer, self.scheduler, self.trainer.max_iter, last_iter=self.trainer.iter - 1
            )
        if isinstance(self.scheduler, torch.optim.lr_scheduler.LRScheduler) or hasattr(self.scheduler, "step"):
            self._best_param_group_id = LRScheduler.get_best_param_group_id(self._optimizer)

    @staticmethod
    def get_best_param_group_id(optimizer: torch.optim.Optimizer) -> int:
        """Index of the param group whose lr is "the" lr: the largest group, or the most common lr when
        every group holds a single parameter."""
        largest_group = max(len(g["params"]) for g in optimizer.param_groups)
        if largest_group == 1:
            lr_count = Counter(g["lr"] for g in optimizer.param_groups)
            lr = lr_count.most_common()[0][0]
            return next(i for i, g in enumerate(optimizer.param_groups) if g["lr"] == lr)
        return next(i for i, g in enumerate(optimizer.param_groups) if len(g["params"]) == largest_group)

    def after_step(self) -> None:
        lr = self._optimizer.param_groups[self._best_param_group_id]["lr"]
        self.trainer.storage.put_scalar("lr", lr, smoothing_hint=False)
        self.scheduler.step()

    @property
    def scheduler(self) -> Any:
        return self._scheduler or self.trainer.scheduler

    def state_dict(self) -> dict[str, Any]:
        if hasattr(self.scheduler, "state_dict"):
            return self.scheduler.state_dict()
        return {}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        if hasattr(self.scheduler, "load_state_dict"):
            logger.info("Loading scheduler from state_dict ...")
            self.scheduler.load_state_dict(state_dict)


class EvalHook(HookBase):
    """Run ``eval_function()`` every ``eval_period`` iterations and after training; record its results.

    ``eval_function`` returns a (nested) dict of numbers, e.g. ``{"bbox": {"AP": 40.1}}``; it is flattened
    to ``"bbox/AP"`` scalars in the event storage. It must be called on every rank (it may be collective).
    """

    def __init__(self, eval_period: int, eval_function: Callable[[], Mapping | None], eval_after_train: bool = True):
        self._period = eval_period
        self._func = eval_function
        self._eval_after_train = eval_after_train

    def _do_eval(self) -> None:
        results = self._func()
        if results:
            if not isinstance(results, Mapping):
                raise TypeError(f"EvalHook: eval_function must return a dict, got {type(results).__name__}: {results}")
            from detectra.evaluation.testing import flatten_results_dict

            flattened = flatten_results_dict(results)
            for k, v in flattened.items():
                try:
                    flattened[k] = float(v)
                except (TypeError, ValueError) as e:
                    raise ValueError(
                        f"[EvalHook] eval_function should return a nested dict of float. Got '{k}: {v}' instead."
                    ) from e
            self.trainer.storage.put_scalars(**flattened, smoothing_hint=False)
        # Evaluation may take different time among workers: a barrier keeps them in step.
        comm.synchronize()

    def after_step(self) -> None:
        next_iter = self.trainer.iter + 1
        if self._period > 0 and next_iter % self._period == 0 and next_iter != self.trainer.max_iter:
            # The last iteration is evaluated in after_train.
            self._do_eval()

    def after_train(self) -> None:
        # The trainer may have stopped on an exception: evaluate only a run that completed or stopped early on purpose.
        completed = self.trainer.iter + 1 >= self.trainer.max_iter or self.trainer.stop_requested
        if self._eval_after_train and completed:
            self._do_eval()
        # The eval function often closes over the trainer: drop it to break the cycle.
        del self._func


class BestCheckpointer(HookBase):
    """Save ``{file_prefix}.pth`` whenever the evaluation metric ``val_metric`` improves.

    Register it after the `EvalHook` with the same ``eval_period``, so it sees the latest results.
    """

    def __init__(
        self,
        eval_period: int,
        checkpointer: Checkpointer,
        val_metric: str,
        mode: str = "max",
        file_prefix: str = "model_best",
    ) -> None:
        """
        Args:
            eval_period: the evaluation period of the `EvalHook`.
            checkpointer: what saves.
            val_metric: flattened result name, e.g. "bbox/AP".
            mode: "max" (higher is better) or "min".
            file_prefix: checkpoint name.
        """
        if mode not in ("max", "min"):
            raise ValueError(f"BestCheckpointer: mode must be 'max' or 'min', got {mode!r}.")
        self._period = eval_period
        self._val_metric = val_metric
        self._mode = mode
        self._compare = operator.gt if mode == "max" else operator.lt
        self._checkpointer = checkpointer
        self._file_prefix = file_prefix
        self.best_metric: float | None = None
        self.best_iter: int | None = None

    def _update_best(self, val: float, iteration: int) -> bool:
        if math.isnan(val) or math.isinf(val):
            return False
        self.best_metric = val
        self.best_iter = iteration
        return True

    def _best_checking(self) -> None:
        metric_tuple = self.trainer.storage.latest().get(self._val_metric)
        if metric_tuple is None:
            logger.warning(
                f"Given val metric {self._val_metric} does not seem to be computed/stored; "
                "will not be checkpointing based on it. Check SOLVER.BEST_CHECKPOINTER.METRIC."
            )
            return
        latest_metric, metric_iter = metric_tuple
        if self.best_metric is None or self._compare(latest_metric, self.best_metric):
            previous, previous_iter = self.best_metric, self.best_iter
            if self._update_best(latest_metric, metric_iter):
                self._checkpointer.save(self._file_prefix, iteration=metric_iter)
                logger.info(
                    f"Saved best model: {self._val_metric} = {latest_metric:0.5f} at iteration {metric_iter}"
                    + (
                        f" (previous best: {previous:0.5f} at iteration {previous_iter})"
                        if previous is not None
                        else ""
                    )
                )
        else:
            logger.info(
                f"Not saving as latest eval score for {self._val_metric} is {latest_metric:0.5f}, "
                f"not better than best score {self.best_metric:0.5f} @ iteration {self.best_iter}."
            )

    def after_step(self) -> None:
        next_iter = self.trainer.iter + 1
        if self._period > 0 and next_iter % self._period == 0 and next_iter != self.trainer.max_iter:
            self._best_checking()

    def after_train(self) -> None:
        # As EvalHook: the final evaluation also happens after an early stop.
        if self.trainer.iter + 1 >= self.trainer.max_iter or self.trainer.stop_requested:
            self._best_checking()

    def state_dict(self) -> dict[str, Any]:
        if self.best_metric is None:
            return {}
        return {"best_metric": self.best_metric, "best_iter": self.best_iter}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.best_metric = state_dict.get("best_metric")
        self.best_iter = state_dict.get("best_iter")


class TorchProfiler(HookBase):
    """Profile the iterations for which ``enable_predicate(trainer)`` is true with ``torch.profiler``.

    Traces go to ``output_dir``: tensorboard trace files, or chrome traces
    ``profiler-trace-iter{N}.json`` (open in chrome://tracing or Perfetto) when ``save_tensorboard=False``.
    """

    def __init__(
        self,
        enable_predicate: Callable[[Any], bool],
        output_dir: str,
        *,
        activities: Sequence[torch.profiler.ProfilerActivity] | None = None,
        save_tensorboard: bool = True,
    ) -> None:
        self._enable_predicate = enable_predicate
        self._activities = activities
        self._output_dir = output_dir
        self._save_tensorboard = save_tensorboard
        self._profiler: torch.profiler.profile | None = None

    def before_step(self) -> None:
        if not self._enable_predicate(self.trainer):
            self._profiler = None
            return
        if self._save_tensorboard:
            on_trace_ready = torch.profiler.tensorboard_trace_handler(
                os.path.join(self._output_dir, f"log_iter{self.trainer.iter}"), f"rank{comm.get_rank()}"
            )
        else:
            on_trace_ready = None
        self._profiler = torch.profiler.profile(
            activities=self._activities,
            on_trace_ready=on_trace_ready,
            record_shapes=True,
            profile_memory=True,
            with_stack=True,
            with_flops=True,
        )
        self._profiler.__enter__()

    def after_step(self) -> None:
        if self._profiler is None:
            return
        self._profiler.__exit__(None, None, None)
        if not self._save_tensorboard:
            os.makedirs(self._output_dir, exist_ok=True)
            out_file = os.path.join(self._output_dir, f"profiler-trace-iter{self.trainer.iter}.json")
            self._profiler.export_chrome_trace(out_file)
        self._profiler = None


class AutogradProfiler(TorchProfiler):
    """:class:`TorchProfiler` writing chrome traces (``profiler-trace-iter{N}.json`` in ``output_dir``), with CPU
    activity and, when ``use_cuda`` and CUDA is available, CUDA activity: Detectron2's older profiler hook."""

    def __init__(self, enable_predicate: Callable[[Any], bool], output_dir: str, *, use_cuda: bool = True) -> None:
        activities = [torch.profiler.ProfilerActivity.CPU]
        if use_cuda and torch.cuda.is_available():
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        super().__init__(enable_predicate, output_dir, activities=activities, save_tensorboard=False)


class TorchMemoryStats(HookBase):
    """Record CUDA memory (``max_reserved_mem``, ``reserved_mem``, ``max_allocated_mem``, ``allocated_mem``,
    in MiB) every ``period`` iterations, ``max_runs`` times, resetting the peaks each time. No-op without CUDA."""

    def __init__(self, period: int = 20, max_runs: int = 10) -> None:
        self._period = period
        self._max_runs = max_runs
        self._runs = 0

    def after_step(self) -> None:
        if self._runs > self._max_runs or not torch.cuda.is_available():
            return
        if (self.trainer.iter + 1) % self._period == 0 or self.trainer.iter == self.trainer.max_iter - 1:
            mib = 1024.0 * 1024.0
            self.trainer.storage.put_scalars(
                max_reserved_mem=torch.cuda.max_memory_reserved() / mib,
                reserved_mem=torch.cuda.memory_reserved() / mib,
                max_allocated_mem=torch.cuda.max_memory_allocated() / mib,
                allocated_mem=torch.cuda.memory_allocated() / mib,
            )
            self._runs += 1
            if self._runs == self._max_runs:
                logger.info("\n" + torch.cuda.memory_summary())
            torch.cuda.reset_peak_memory_stats()
