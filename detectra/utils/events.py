"""Training metrics: the `EventStorage` that code writes scalars / images / histograms into, and the
writers (`JSONWriter`, `TensorboardXWriter`, `CommonMetricPrinter`) that periodically export them.

Code anywhere in the training step reaches the active storage with `get_event_storage()`:

    storage = get_event_storage()
    storage.put_scalar("rpn/num_pos_anchors", n)
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import torch

from detectra.utils.logger import VERBOSE_ONLY

__all__ = [
    "CommonMetricPrinter",
    "EventStorage",
    "EventWriter",
    "HistoryBuffer",
    "JSONWriter",
    "TensorboardXWriter",
    "get_event_storage",
    "has_event_storage",
]

_CURRENT_STORAGE_STACK: list["EventStorage"] = []


def get_event_storage() -> "EventStorage":
    """The innermost `EventStorage` that is currently open (``with EventStorage(): ...``).

    Raises:
        RuntimeError: when called outside an ``EventStorage`` context (e.g. outside a trainer).
    """
    if not _CURRENT_STORAGE_STACK:
        raise RuntimeError(
            "get_event_storage() has to be called inside a 'with EventStorage(...)' context; "
            "trainers open one in train(); open one yourself when calling the model outside a trainer."
        )
    return _CURRENT_STORAGE_STACK[-1]


def has_event_storage() -> bool:
    """Whether an `EventStorage` is open, i.e. whether :func:`get_event_storage` would succeed."""
    return len(_CURRENT_STORAGE_STACK) > 0


class HistoryBuffer:
    """The history of one scalar: (value, iteration) pairs, with windowed median / mean and a global mean.

    The global mean covers every value ever added, also those dropped once ``max_length`` is exceeded.
    """

    def __init__(self, max_length: int = 1_000_000) -> None:
        self._max_length = max_length
        self._data: list[tuple[float, float]] = []  # (value, iteration)
        self._count = 0
        self._global_sum = 0.0

    def update(self, value: float, iteration: float | None = None) -> None:
        """Append ``value`` at ``iteration`` (default: the number of values added so far)."""
        if len(self._data) == self._max_length:
            self._data.pop(0)
        if iteration is None:
            iteration = self._count
        self._data.append((value, iteration))
        self._count += 1
        self._global_sum += value

    def latest(self) -> float:
        """The most recently added value."""
        return self._data[-1][0]

    def median(self, window_size: int) -> float:
        """Median of the last ``window_size`` values."""
        return float(np.median([x[0] for x in self._data[-window_size:]]))

    def avg(self, window_size: int) -> float:
        """Mean of the last ``window_size`` values."""
        return float(np.mean([x[0] for x in self._data[-window_size:]]))

    def global_avg(self) -> float:
        """Mean of every value ever added."""
        return self._global_sum / self._count

    def values(self) -> list[tuple[float, float]]:
        """The kept (value, iteration) pairs, oldest first."""
        return self._data

    def state_dict(self, max_values: int | None = None) -> dict[str, Any]:
        """Picklable state; ``max_values`` keeps only the newest values (the global mean stays exact)."""
        data = self._data if max_values is None else self._data[-max_values:]
        return {"data": list(data), "count": self._count, "global_sum": self._global_sum}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._data = [tuple(x) for x in state["data"]][-self._max_length :]
        self._count = state["count"]
        self._global_sum = state["global_sum"]


class EventStorage:
    """Per-iteration metrics of a training run, written by any code through `get_event_storage()`.

    Use it as a context manager: ``with EventStorage(start_iter) as storage: ...``.
    """

    def __init__(self, start_iter: int = 0) -> None:
        self._history: dict[str, HistoryBuffer] = defaultdict(HistoryBuffer)
        self._smoothing_hints: dict[str, bool] = {}
        self._latest_scalars: dict[str, tuple[float, int]] = {}
        self._iter = start_iter
        self._current_prefix = ""
        self._vis_data: list[tuple[str, np.ndarray | torch.Tensor, int]] = []
        self._histograms: list[dict[str, Any]] = []

    def put_image(self, img_name: str, img_tensor: torch.Tensor | np.ndarray) -> None:
        """Queue an image for the visualisation writers (e.g. tensorboard).

        Args:
            img_name: tag of the image.
            img_tensor: (3, H, W) RGB, float in [0, 1] or uint8 in [0, 255].
        """
        self._vis_data.append((img_name, img_tensor, self._iter))

    def put_scalar(
        self, name: str, value: float | torch.Tensor, smoothing_hint: bool = True, cur_iter: int | None = None
    ) -> None:
        """Record a scalar at the current (or given) iteration.

        Args:
            name: metric name (prefixed by the active `name_scope`).
            value: a number or a one-element tensor.
            smoothing_hint: whether writers should report a windowed median (True) or the raw latest
                value (False) of this metric.
            cur_iter: iteration to record it at; default: the storage's current iteration.
        """
        name = self._current_prefix + name
        cur_iter = self._iter if cur_iter is None else cur_iter
        value = float(value)
        self._history[name].update(value, cur_iter)
        self._latest_scalars[name] = (value, cur_iter)
        existing_hint = self._smoothing_hints.get(name)
        if existing_hint is not None and existing_hint != smoothing_hint:
            raise ValueError(
                f"Scalar {name!r} was put with smoothing_hint={existing_hint} before and {smoothing_hint} now; "
                "use one smoothing hint per scalar name."
            )
        self._smoothing_hints[name] = smoothing_hint

    def put_scalars(self, *, smoothing_hint: bool = True, cur_iter: int | None = None, **kwargs: float) -> None:
        """Record several scalars: ``storage.put_scalars(loss=1.0, accuracy=0.5)``."""
        for k, v in kwargs.items():
            self.put_scalar(k, v, smoothing_hint=smoothing_hint, cur_iter=cur_iter)

    def put_histogram(self, hist_name: str, hist_tensor: torch.Tensor, bins: int = 1000) -> None:
        """Record a histogram of the values of ``hist_tensor`` (for tensorboard).

        Args:
            hist_name: tag of the histogram.
            hist_tensor: tensor of any shape; its values are binned.
            bins: number of bins.
        """
        values = hist_tensor.detach().float().flatten().cpu()
        ht_min, ht_max = values.min().item(), values.max().item()
        hist_counts = torch.histc(values, bins=bins, min=ht_min, max=ht_max)
        hist_edges = torch.linspace(start=ht_min, end=ht_max, steps=bins + 1, dtype=torch.float32)
        self._histograms.append(
            dict(
                tag=hist_name,
                min=ht_min,
                max=ht_max,
                num=len(values),
                sum=float(values.sum()),
                sum_squares=float((values**2).sum()),
                bucket_limits=hist_edges[1:].tolist(),
                bucket_counts=hist_counts.tolist(),
                global_step=self._iter,
            )
        )

    def history(self, name: str) -> HistoryBuffer:
        """The `HistoryBuffer` of scalar ``name``; raises KeyError if it was never put."""
        ret = self._history.get(name)
        if ret is None:
            raise KeyError(f"No history metric available for {name!r}; known: {sorted(self._history)}")
        return ret

    def histories(self) -> dict[str, HistoryBuffer]:
        """All histories, name -> `HistoryBuffer`."""
        return self._history

    def latest(self) -> dict[str, tuple[float, int]]:
        """name -> (latest value, iteration it was put at)."""
        return self._latest_scalars

    def latest_with_smoothing_hint(self, window_size: int = 20) -> dict[str, tuple[float, int]]:
        """name -> (value, iteration): the median over ``window_size`` for smoothed scalars, else the latest."""
        result = {}
        for k, (v, itr) in self._latest_scalars.items():
            result[k] = (self._history[k].median(window_size) if self._smoothing_hints[k] else v, itr)
        return result

    def count_samples(self, name: str, window_size: int = 20) -> int:
        """How many values of scalar ``name`` were put during the last ``window_size`` iterations (up to the
        latest one), e.g. to average a metric that is not logged every iteration."""
        values = self.history(name).values()
        last_iter = values[-1][1]
        return sum(1 for _, itr in values if itr > last_iter - window_size)

    def smoothing_hints(self) -> dict[str, bool]:
        """name -> smoothing hint given when the scalar was put."""
        return self._smoothing_hints

    def step(self) -> None:
        """Advance the iteration counter by one (the trainer calls it after each step)."""
        self._iter += 1

    @property
    def iter(self) -> int:
        """The current iteration (the trainer sets it at the start of each step)."""
        return self._iter

    @iter.setter
    def iter(self, val: int) -> None:
        self._iter = int(val)

    @property
    def iteration(self) -> int:  # Detectron2 kept this alias for backward compatibility
        return self._iter

    def __enter__(self) -> "EventStorage":
        _CURRENT_STORAGE_STACK.append(self)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        assert _CURRENT_STORAGE_STACK[-1] is self, "EventStorage contexts were exited out of order"
        _CURRENT_STORAGE_STACK.pop()

    @contextmanager
    def name_scope(self, name: str) -> Iterator[None]:
        """Prefix every scalar put inside the block with ``name + "/"``."""
        old_prefix = self._current_prefix
        self._current_prefix = name.rstrip("/") + "/"
        try:
            yield
        finally:
            self._current_prefix = old_prefix

    def clear_images(self) -> None:
        """Drop queued images (writers call it after exporting them)."""
        self._vis_data = []

    def clear_histograms(self) -> None:
        """Drop queued histograms (writers call it after exporting them)."""
        self._histograms = []

    def state_dict(self, max_values: int = 1000) -> dict[str, Any]:
        """Scalar histories (newest ``max_values`` per scalar) and hints, so a resumed run reports the same
        smoothed values as an uninterrupted one. Images and histograms are not kept."""
        return {
            "histories": {k: v.state_dict(max_values) for k, v in self._history.items()},
            "smoothing_hints": dict(self._smoothing_hints),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore histories saved by `state_dict` (the iteration is set by the trainer)."""
        for name, buf_state in state["histories"].items():
            self._history[name].load_state_dict(buf_state)
        self._smoothing_hints.update(state["smoothing_hints"])


class EventWriter:
    """Base class of writers that export the metrics of the current `EventStorage`."""

    def write(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class JSONWriter(EventWriter):
    """Append scalars to a json-lines file: one object per iteration, ``{"iteration": i, "name": value, ...}``.

    Smoothed scalars are written as their median over ``window_size``. The file is opened in append mode,
    so a resumed run continues the same ``metrics.json`` (iterations after the checkpoint appear twice;
    readers should keep the last line of each iteration). It is opened at the first write, so a run that fails
    before its first iteration leaves no file behind.
    """

    def __init__(self, json_file: str | os.PathLike, window_size: int = 20) -> None:
        self._json_file = os.fspath(json_file)
        self._file_handle: Any = None
        self._window_size = window_size
        self._last_write = -1

    def write(self) -> None:
        storage = get_event_storage()
        to_save: dict[int, dict[str, Any]] = defaultdict(dict)
        for k, (v, itr) in storage.latest_with_smoothing_hint(self._window_size).items():
            if itr <= self._last_write:  # already written
                continue
            to_save[itr][k] = v
        if not to_save:
            return
        self._last_write = max(to_save)
        if self._file_handle is None:
            os.makedirs(os.path.dirname(os.path.abspath(self._json_file)), exist_ok=True)
            self._file_handle = open(self._json_file, "a")
        for itr in sorted(to_save):
            line = {"iteration": itr, **to_save[itr]}
            self._file_handle.write(json.dumps(line, sort_keys=True) + "\n")
        self._file_handle.flush()
        try:
            os.fsync(self._file_handle.fileno())
        except (AttributeError, OSError):  # not a real file (e.g. a pipe); flushing is all we can do
            pass

    def close(self) -> None:
        if self._file_handle is not None:
            self._file_handle.close()


class TensorboardXWriter(EventWriter):
    """Write scalars, images and histograms to tensorboard event files (via ``torch.utils.tensorboard``).

    The event file is created at the first value written, so a writer that never writes (a run that fails
    before its first log period, an evaluation-only process) leaves no empty file behind.
    """

    def __init__(self, log_dir: str, window_size: int = 20, **kwargs: Any) -> None:
        """
        Args:
            log_dir: directory for the event files.
            window_size: window of the median for smoothed scalars.
            kwargs: passed to ``torch.utils.tensorboard.SummaryWriter``.
        """
        from torch.utils.tensorboard import SummaryWriter  # optional dependency: fails here, not at the first write

        self._window_size = window_size
        self._summary_writer_class = SummaryWriter
        self._writer_args = {"log_dir": log_dir, **kwargs}
        self._summary_writer: Any = None
        self._last_write = -1

    @property
    def _writer(self) -> Any:
        if self._summary_writer is None:
            self._summary_writer = self._summary_writer_class(**self._writer_args)
        return self._summary_writer

    def write(self) -> None:
        storage = get_event_storage()
        new_last_write = self._last_write
        for k, (v, itr) in storage.latest_with_smoothing_hint(self._window_size).items():
            if itr > self._last_write:
                self._writer.add_scalar(k, v, itr)
                new_last_write = max(new_last_write, itr)
        self._last_write = new_last_write

        if storage._vis_data:
            for img_name, img, step_num in storage._vis_data:
                self._writer.add_image(img_name, img, step_num)
            # Images are big: export each once and drop it.
            storage.clear_images()
        if storage._histograms:
            for params in storage._histograms:
                self._writer.add_histogram_raw(**params)
            storage.clear_histograms()
        if self._summary_writer is not None:
            self._summary_writer.flush()

    def close(self) -> None:
        if self._summary_writer is not None:
            self._summary_writer.close()


class CommonMetricPrinter(EventWriter):
    """Log iteration, ETA, losses, time, data_time, lr and max memory to the terminal / log file.

    On a terminal (main process only) it also drives a tqdm progress bar (iteration / max_iter, ETA, total
    loss, lr); log lines are then printed through ``tqdm.write`` by `setup_logger`'s handler so they do not
    garble the bar. Off a terminal there is no bar, only log lines.
    """

    def __init__(
        self, max_iter: int | None = None, window_size: int = 20, progress_bar: bool | None = None, console: bool = True
    ) -> None:
        """
        Args:
            max_iter: total iterations, for the ETA; None disables the ETA.
            window_size: window of the medians / means that are printed.
            progress_bar: show a tqdm bar; None: only when stderr is a terminal and this is rank 0.
            console: also print the lines on the console; False: log files only (and a verbose console), for when
                a per-iteration bar shows the same numbers.
        """
        self._console = console
        self.logger = logging.getLogger("detectra.utils.events")
        self._max_iter = max_iter
        self._window_size = window_size
        self._last_write: tuple[int, float] | None = None  # (iteration, time) of the last write, for the ETA
        if progress_bar is None:
            from detectra.utils import comm

            progress_bar = sys.stderr.isatty() and comm.is_main_process()
        self._use_bar = bool(progress_bar) and max_iter is not None
        self._bar = None
        self._bar_file = None  # None: tqdm's default (stderr); tests point it at a buffer

    def _get_eta(self, storage: EventStorage) -> str | None:
        if self._max_iter is None:
            return None
        iteration = storage.iter
        try:
            eta_seconds = storage.history("time").median(1000) * (self._max_iter - iteration - 1)
            storage.put_scalar("eta_seconds", eta_seconds, smoothing_hint=False)
            return str(datetime.timedelta(seconds=int(eta_seconds)))
        except KeyError:
            # No "time" history (e.g. no IterationTimer): estimate from wall time between writes.
            eta = None
            if self._last_write is not None:
                last_iter, last_time = self._last_write
                per_iter = (time.perf_counter() - last_time) / max(iteration - last_iter, 1)
                eta = str(datetime.timedelta(seconds=int(per_iter * (self._max_iter - iteration - 1))))
            self._last_write = (iteration, time.perf_counter())
            return eta

    def _update_bar(self, storage: EventStorage, eta: str | None, lr: str) -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(
                total=self._max_iter, initial=storage.iter + 1, dynamic_ncols=True, leave=True, file=self._bar_file
            )
        postfix = {"lr": lr}
        try:
            postfix["total_loss"] = f"{storage.history('total_loss').median(self._window_size):.4g}"
        except KeyError:
            pass
        if eta is not None:
            postfix["eta"] = eta
        self._bar.n = storage.iter + 1
        self._bar.set_postfix(postfix, refresh=False)
        self._bar.refresh()

    def write(self) -> None:
        storage = get_event_storage()
        iteration = storage.iter
        if iteration == self._max_iter:
            # After training, storage.iter == max_iter; this writer only reports training progress.
            return

        def _fmt_time(name: str) -> str:
            try:
                hist = storage.history(name)
            except KeyError:
                return ""
            return f"{name}: {hist.avg(self._window_size):.4f} (last: {hist.latest():.4f})  "

        try:
            lr = f"{storage.history('lr').latest():.5g}"
        except KeyError:
            lr = "N/A"
        eta = self._get_eta(storage)
        losses = "  ".join(
            f"{k}: {v.median(self._window_size):.4g}" for k, v in storage.histories().items() if "loss" in k
        )
        metrics = "  ".join(
            f"{k}: {v.median(self._window_size):.4g}" for k, v in storage.histories().items() if "[metric]" in k
        )
        memory = _max_memory_string()
        msg = (
            (f"eta: {eta}  " if eta else "")
            + f"iter: {iteration}  {losses}  "
            + (f"{metrics}  " if metrics else "")
            + _fmt_time("time")
            + _fmt_time("data_time")
            + f"lr: {lr}"
            + (f"  {memory}" if memory else "")
        )
        self.logger.info(msg, extra=None if self._console else VERBOSE_ONLY)
        if self._use_bar:
            self._update_bar(storage, eta, lr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _max_memory_string() -> str:
    """Peak accelerator memory in MiB (CUDA), else peak resident memory of this process."""
    if torch.cuda.is_available():
        return f"max_mem: {torch.cuda.max_memory_allocated() / 1024 / 1024:.0f}M"
    try:
        import resource

        # ru_maxrss is KiB on Linux, bytes on macOS.
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss_mb = rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024
        return f"max_rss: {rss_mb:.0f}M"
    except ImportError:  # Windows
        return ""
