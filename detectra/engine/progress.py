"""A terminal progress bar for training, updated every iteration: losses, learning rate, images per second and ETA
in aligned columns under a header line. It closes before each evaluation so evaluation output starts on a clean
line, and a new bar continues after it."""
from __future__ import annotations

import datetime
import sys
from typing import Any, Optional, TextIO

from detectra.engine.train_loop import HookBase

__all__ = ["TrainingProgress", "progress_columns"]


def progress_columns(
    iteration: int, max_iter: int, losses: dict[str, float], lr: Optional[float], images_per_second: Optional[float],
    eta_seconds: Optional[float],
) -> tuple[list[str], list[str]]:
    """The header and value cells of one progress row, each cell padded to a common width.

    Args:
        iteration: the iteration just finished (0-based).
        max_iter: total iterations.
        losses: smoothed losses by name (``total_loss`` first when present); shown as ``loss`` and without the
            ``loss_`` prefix.
        lr: current learning rate.
        images_per_second: training throughput over all processes.
        eta_seconds: estimated time to the end of training.

    Returns:
        (header cells, value cells), equally long; a value is as wide as its header unless it does not fit.
    """
    short = ["loss" if k == "total_loss" else k.removeprefix("loss_") for k in losses]  # fits 80 columns
    names = ["iter", *short, "lr", "img/s", "eta"]
    values = [
        f"{iteration + 1}/{max_iter}",
        *(f"{v:.4g}" for v in losses.values()),
        "-" if lr is None else f"{lr:.3g}",
        "-" if images_per_second is None else f"{images_per_second:.1f}",
        "-" if eta_seconds is None else str(datetime.timedelta(seconds=int(eta_seconds))),
    ]
    # widths from the names only, so the columns stay put while the values change
    widths = [2 * len(str(max_iter)) + 1] + [max(len(n), 8) for n in names[1:]]
    return [n.rjust(w) for n, w in zip(names, widths)], [v.rjust(w) for v, w in zip(values, widths)]


class TrainingProgress(HookBase):
    """Progress bar hook. Place it after the hooks that record ``time`` and ``lr`` (IterationTimer, LRScheduler)
    and before the checkpointer and `EvalHook`, so the bar is closed when they log after the last iteration."""

    def __init__(
        self, max_iter: int, *, ims_per_batch: int, eval_period: int = 0, window_size: int = 20,
        file: Optional[TextIO] = None,
    ) -> None:  # fmt: skip
        """
        Args:
            max_iter: total iterations.
            ims_per_batch: images per iteration over all processes (for img/s).
            eval_period: iterations between evaluations (0: only after training); the bar closes before each.
            window_size: iterations over which losses and speed are smoothed (medians).
            file: where to draw (default ``sys.stderr``).
        """
        self._max_iter = max_iter
        self._ims_per_batch = ims_per_batch
        self._eval_period = eval_period
        self._window = window_size
        self._file = file
        self._bar: Any = None
        self._header: Optional[list[str]] = None

    def _row(self) -> tuple[list[str], list[str]]:
        storage = self.trainer.storage
        histories = storage.histories()
        names = sorted((k for k in histories if "loss" in k and not k.startswith("val_")),
                       key=lambda k: k != "total_loss")  # fmt: skip
        losses = {k: histories[k].median(self._window) for k in names}
        lr = histories["lr"].latest() if "lr" in histories else None
        speed = eta = None
        if "time" in histories:
            seconds = histories["time"].median(self._window)
            if seconds > 0:
                speed = self._ims_per_batch / seconds
            eta = seconds * (self._max_iter - storage.iter - 1)
        return progress_columns(storage.iter, self._max_iter, losses, lr, speed, eta)

    def _open(self, initial: int, header: list[str], values: list[str]) -> None:
        from tqdm import tqdm

        file = self._file or sys.stderr
        print("  ".join(header), file=file, flush=True)
        self._bar = tqdm(total=self._max_iter, initial=initial, desc="  ".join(values), file=file, leave=True,
                         dynamic_ncols=True, bar_format="{desc}  {percentage:3.0f}%|{bar}|")  # fmt: skip

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def after_step(self) -> None:
        header, values = self._row()
        iteration = self.trainer.storage.iter
        if self._bar is None or header != self._header:
            self._close()
            self._open(iteration + 1, header, values)
            self._header = header
        self._bar.set_description_str("  ".join(values), refresh=False)
        self._bar.update(iteration + 1 - self._bar.n)
        next_iter = iteration + 1
        if next_iter >= self._max_iter or (self._eval_period > 0 and next_iter % self._eval_period == 0):
            self._close()  # an evaluation (or the end of training) follows

    def after_train(self) -> None:
        self._close()
