"""A run's output folder: checked before anything is written (writable, not holding another finished run), cleared
only on ``--overwrite``, and weights checked against the config they are used with (``--run``)."""
from __future__ import annotations

import glob
import logging
import os
from typing import Any

from detectra.cli._common import CLIError

__all__ = ["check_output_dir", "clear_previous_run", "load_weights_checked"]

logger = logging.getLogger("detectra.cli")

# What a training run writes that a new run in the same folder would mix with its own (log.txt is appended to).
_RUN_FILES = ("last_checkpoint", "model_*.pth", "metrics.json", "events.out.tfevents.*", "eval_results.txt",
              "eval_results.json")  # fmt: skip


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
    else:
        return
    raise CLIError(f"'{output_dir}' already holds {held}; pass --resume to continue it, --overwrite to replace it, "
                   "or choose another --output-dir.")  # fmt: skip


def clear_previous_run(output_dir: str) -> list[str]:
    """Remove the files of the run an ``--overwrite`` replaces (checkpoints, metrics, event files, evaluation
    results), so that the new run's files are not mixed with them. Returns the paths removed."""
    removed = []
    for pattern in _RUN_FILES:
        for path in sorted(glob.glob(os.path.join(glob.escape(output_dir), pattern))):
            if os.path.isfile(path):
                os.remove(path)
                removed.append(path)
    if removed:
        logger.warning(f"--overwrite: removed {len(removed)} file(s) of the previous run in {output_dir} "
                       f"({', '.join(os.path.basename(p) for p in removed[:6])}{', ...' if len(removed) > 6 else ''})")
    return removed


def load_weights_checked(model: Any, weights: str, config_source: str) -> None:
    """Load ``weights`` into ``model`` (built from ``config_source``), refusing weights trained with another
    config (class count, architecture) instead of predicting with half-loaded weights.

    Raises:
        CLIError: naming both files and the first weights that do not fit.
    """
    from detectra.checkpoint import DetectionCheckpointer

    try:
        DetectionCheckpointer(model).load(weights, checkpointables=[], strict=True)
    except ValueError as e:
        raise CLIError(f"the config '{config_source}' and the weights disagree: {e}") from None
