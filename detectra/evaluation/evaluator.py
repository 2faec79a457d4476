"""The evaluator protocol and the loop that runs a model over a data loader and feeds an evaluator."""

from __future__ import annotations

import datetime
import logging
import sys
import time
from collections import OrderedDict, abc
from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterator

import torch
from torch import nn

from detectra.config import CfgNode
from detectra.utils import comm
from detectra.utils.precision import inference_autocast, outputs_to_float32, precision_dtype

__all__ = ["DatasetEvaluator", "DatasetEvaluators", "inference_on_dataset", "inference_context"]

logger = logging.getLogger(__name__)


class DatasetEvaluator:
    """Base class of every evaluator: accumulate input/output pairs, then compute metrics.

    `inference_on_dataset` calls `reset()` once, `process(inputs, outputs)` for every batch, and `evaluate()` at
    the end. In distributed runs each rank processes its own share; `evaluate()` gathers them and returns the
    results on the main process (an empty dict elsewhere).
    """

    def reset(self) -> None:
        """Prepare for a new round of evaluation."""

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        """Record one batch: `inputs` as given to the model, `outputs` as the model returned them."""

    def evaluate(self) -> dict | None:
        """Return `{task: {metric: value}}` (the format `print_csv_format` expects), or None."""


def tasks_from_config_argument(tasks: Any, evaluator: str) -> tuple[Any, Any]:
    """Splits an evaluator's `tasks` argument into (tasks, cfg) for Detectron2's older call form.

    Before Detectron2 0.3, COCO / LVIS evaluators took the config where `tasks` now stands
    (`COCOEvaluator(name, cfg, True, output_dir)`); Detectron2 0.6 still accepts it with a warning, and so do we.

    Returns:
        `(None, cfg)` when `tasks` is a config (tasks are then inferred from the predictions), else `(tasks, None)`.
    """
    if not isinstance(tasks, CfgNode):
        return tasks, None
    logging.getLogger(__name__).warning(
        f"{evaluator} was given a config as its second argument, a deprecated form: pass tasks (or nothing, "
        f"to infer them from the predictions) and the other options as explicit arguments instead."
    )
    return None, tasks


class DatasetEvaluators(DatasetEvaluator):
    """Runs several evaluators as one; their result dicts are merged (task names must not collide)."""

    def __init__(self, evaluators: list[DatasetEvaluator]):
        super().__init__()
        self._evaluators = list(evaluators)

    def reset(self) -> None:
        for evaluator in self._evaluators:
            evaluator.reset()

    def process(self, inputs: list[dict], outputs: list[dict]) -> None:
        for evaluator in self._evaluators:
            evaluator.process(inputs, outputs)

    def evaluate(self) -> dict:
        results: OrderedDict[str, Any] = OrderedDict()
        for evaluator in self._evaluators:
            result = evaluator.evaluate()
            if comm.is_main_process() and result is not None:
                for task, value in result.items():
                    if task in results:
                        raise KeyError(
                            f"Two evaluators in DatasetEvaluators both returned results for task '{task}'; "
                            "give each evaluator a distinct set of tasks."
                        )
                    results[task] = value
        return results


@contextmanager
def inference_context(model: nn.Module) -> Iterator[None]:
    """Put `model` in eval mode for the block, then restore its previous training mode."""
    training_mode = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(training_mode)


def _synchronize_device() -> None:
    # Timings are only honest once queued CUDA kernels have finished.
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


class _Progress:
    """A tqdm bar on a terminal; periodic log lines with an ETA otherwise (log files, CI)."""

    def __init__(self, total: int, log_period_s: float = 5.0):
        self.total = total
        self._log_period_s = log_period_s
        self._last_log = time.perf_counter()
        self._bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc="inference", unit="batch", leave=False)

    def update(self, done: int, seconds_per_iter: float, timings: str) -> None:
        if self._bar is not None:
            self._bar.update(1)
            return
        now = time.perf_counter()
        if now - self._last_log < self._log_period_s and done < self.total:
            return
        self._last_log = now
        eta = datetime.timedelta(seconds=int(seconds_per_iter * (self.total - done)))
        logger.info(f"Inference done {done}/{self.total}. {timings} ETA={eta}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _model_device(model: nn.Module | Callable) -> torch.device:
    """Where `model` computes (its first parameter's device); CPU for callables without parameters."""
    if isinstance(model, nn.Module):
        for param in model.parameters():
            return param.device
    return torch.device("cpu")


def inference_on_dataset(
    model: nn.Module | Callable,
    data_loader: abc.Iterable,
    evaluator: DatasetEvaluator | list[DatasetEvaluator] | None,
    callbacks: dict[str, Callable[[], None]] | None = None,
    precision: str = "float32",
) -> dict:
    """Run `model` on every batch of `data_loader` and evaluate its outputs with `evaluator`.

    The model runs in eval mode (restored afterwards) under `torch.no_grad()`. Timing excludes the first
    `min(5, len - 1)` warm-up batches. In distributed runs every rank must call this; each evaluator gathers
    its records across ranks in `evaluate()`.

    Args:
        model: a module, or any callable taking a list of input dicts and returning a list of output dicts.
        data_loader: an iterable of batches (lists of dataset dicts in the model's input format).
        evaluator: an evaluator, a list of them, or None to only run the model (and time it).
        callbacks: optional functions without arguments under the keys "on_start", "before_inference",
            "after_inference", "on_end".
        precision: compute dtype of the model calls, "float32", "bfloat16" or "float16" (autocast on the model's
            device; `cfg.TEST.PRECISION` in the trainers). The evaluator always sees float32 outputs.

    Returns:
        The evaluator's results on the main process (`{}` when there is nothing to report).
    """
    num_devices = comm.get_world_size()
    precision_dtype(precision)  # fail before the first batch on a bad value
    device = _model_device(model)
    try:
        total = len(data_loader)  # type: ignore[arg-type]
    except TypeError:
        total = 0
    logger.info(f"Start inference on {total} batches")

    if evaluator is None:
        evaluator = DatasetEvaluators([])
    elif isinstance(evaluator, abc.MutableSequence):
        evaluator = DatasetEvaluators(evaluator)
    evaluator.reset()
    callbacks = callbacks or {}
    unknown = set(callbacks) - {"on_start", "before_inference", "after_inference", "on_end"}
    if unknown:
        raise KeyError(
            f"inference_on_dataset got unknown callbacks {sorted(unknown)}; "
            "use on_start, before_inference, after_inference or on_end."
        )

    num_warmup = min(5, total - 1) if total > 0 else 0
    progress = _Progress(total)
    start_time = time.perf_counter()
    total_data_time = total_compute_time = total_eval_time = 0.0
    num_timed = 0
    with ExitStack() as stack:
        if isinstance(model, nn.Module):
            stack.enter_context(inference_context(model))
        stack.enter_context(torch.no_grad())
        callbacks.get("on_start", lambda: None)()
        start_data_time = time.perf_counter()
        for idx, inputs in enumerate(data_loader):
            total_data_time += time.perf_counter() - start_data_time
            if idx == num_warmup:
                start_time = time.perf_counter()
                total_data_time = total_compute_time = total_eval_time = 0.0
                num_timed = 0

            start_compute_time = time.perf_counter()
            callbacks.get("before_inference", lambda: None)()
            with inference_autocast(precision, device):
                outputs = outputs_to_float32(model(inputs))
            callbacks.get("after_inference", lambda: None)()
            _synchronize_device()
            total_compute_time += time.perf_counter() - start_compute_time

            start_eval_time = time.perf_counter()
            evaluator.process(inputs, outputs)
            total_eval_time += time.perf_counter() - start_eval_time
            num_timed += 1

            per_iter = (time.perf_counter() - start_time) / num_timed
            timings = (
                f"Dataloading: {total_data_time / num_timed:.4f} s/iter. "
                f"Inference: {total_compute_time / num_timed:.4f} s/iter. "
                f"Eval: {total_eval_time / num_timed:.4f} s/iter. Total: {per_iter:.4f} s/iter."
            )
            progress.update(idx + 1, per_iter, timings)
            start_data_time = time.perf_counter()
        callbacks.get("on_end", lambda: None)()
    progress.close()

    total_time = time.perf_counter() - start_time
    if num_timed > 0:
        logger.info(
            f"Total inference time: {datetime.timedelta(seconds=int(total_time))} "
            f"({total_time / num_timed:.6f} s / iter per device, on {num_devices} devices)"
        )
        logger.info(
            f"Total inference pure compute time: {datetime.timedelta(seconds=int(total_compute_time))} "
            f"({total_compute_time / num_timed:.6f} s / iter per device, on {num_devices} devices)"
        )

    results = evaluator.evaluate()
    # An evaluator may return None on non-main processes; callers can always index the result.
    return {} if results is None else results
