"""A run's output folder, checked before anything is written (writable, not holding another run), and weights
checked against the config they are used with (``--run``)."""
from __future__ import annotations

import os
from typing import Any

from detectra.checkpoint import DetectionCheckpointer
from detectra.checkpoint.safe_io import UnreadableCheckpointError
from detectra.cli._common import CLIError

__all__ = ["check_output_dir", "interrupted_message", "load_weights_checked", "stale_metrics_only"]


def _check_writable(output_dir: str) -> None:
    path = os.path.abspath(output_dir)
    while not os.path.exists(path):  # the closest existing folder is where the new ones would be created
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    if not os.path.isdir(path):
        raise CLIError(f"output folder '{output_dir}' cannot be created: '{path}' is a file. Choose another "
                       "--output-dir (OUTPUT_DIR).")  # fmt: skip
    if not os.access(path, os.W_OK | os.X_OK):
        raise CLIError(f"output folder '{output_dir}' is not writable: no permission to write in '{path}'. Choose "
                       "another --output-dir (OUTPUT_DIR) or change the folder's permissions.")  # fmt: skip


def check_output_dir(output_dir: str, *, resume: bool, overwrite: bool, eval_only: bool = False) -> None:
    """Refuse, before anything is written, an output folder that cannot be written or that holds another run.

    Args:
        output_dir: the run's OUTPUT_DIR.
        resume: ``--resume``: continuing the run in the folder is what is asked.
        overwrite: ``--overwrite``: replacing the run in the folder is what is asked.
        eval_only: an evaluation, which adds its results next to the run's files.

    Raises:
        CLIError: one line saying what is in the way and what to pass instead.
    """
    if not output_dir:
        return
    if resume and overwrite:
        raise CLIError("--resume continues the run in the output folder and --overwrite replaces it: pass one.")
    _check_writable(output_dir)
    if resume or overwrite or eval_only:
        return
    if os.path.isfile(os.path.join(output_dir, "model_final.pth")):
        held = "a finished run (model_final.pth)"
    elif os.path.isfile(os.path.join(output_dir, "last_checkpoint")):
        held = "an unfinished run (last_checkpoint)"
    elif stale_metrics_only(output_dir):
        raise CLIError(f"'{output_dir}' holds a run that stopped before its first checkpoint (metrics.json, no "
                       "last_checkpoint): nothing to resume, and a new run would mix its metrics with it; pass "
                       "--overwrite to start again there, or choose another --output-dir.")  # fmt: skip
    else:
        return
    raise CLIError(f"'{output_dir}' already holds {held}; pass --resume to continue it, --overwrite to replace it, "
                   "or choose another --output-dir.")  # fmt: skip


def stale_metrics_only(output_dir: str) -> bool:
    """The folder holds the metrics of a run that stopped before writing any checkpoint: nothing to resume from."""
    return os.path.isfile(os.path.join(output_dir, "metrics.json")) and \
        not os.path.isfile(os.path.join(output_dir, "last_checkpoint"))


def interrupted_message(output_dir: str, iteration: int, period: Any = None) -> str:
    """What an interrupted training tells its user: where it stopped and how to continue (or that it cannot)."""
    where = f"at iteration {iteration}"
    try:
        with open(os.path.join(output_dir, "last_checkpoint")) as f:
            last = f.read().strip()
    except OSError:
        every = f" (one every SOLVER.CHECKPOINT_PERIOD = {period} iterations)" if period else ""
        return (f"{where}, before its first checkpoint{every}: nothing to resume from; rerun with --overwrite to "
                "start again, with a smaller SOLVER.CHECKPOINT_PERIOD to keep progress")  # fmt: skip
    return (f"{where}; the last checkpoint is {os.path.join(output_dir, last)}: rerun the same command with --resume "
            "to continue from it")  # fmt: skip


def load_weights_checked(model: Any, weights: str, config_source: str) -> None:
    """Load ``weights`` into ``model`` (built from ``config_source``), refusing weights trained with another
    config (class count, architecture) instead of predicting with half-loaded weights.

    Raises:
        CLIError: naming both files and the first weights that do not fit.
    """
    try:
        DetectionCheckpointer(model).load(weights, checkpointables=[], strict=True)
    except UnreadableCheckpointError as e:  # not a disagreement: the file is no checkpoint
        raise CLIError(str(e)) from None
    except ValueError as e:
        raise CLIError(f"the config '{config_source}' and the weights disagree: {e}") from None
