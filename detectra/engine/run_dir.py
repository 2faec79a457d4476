"""The start of a run and its output folder: `default_setup` (loggers, environment log, seeds, config.yaml),
`start_output_dir` (the moment a run starts writing there), `clear_previous_run` (``--overwrite``) and
`begin_run` (weights or checkpoint loaded, then the folder written)."""

from __future__ import annotations

import argparse
import glob
import logging
import logging.handlers
import os
from typing import Any

import torch

from detectra.checkpoint.safe_io import atomic_write
from detectra.config import LazyConfig
from detectra.utils import comm
from detectra.utils.env import collect_env_info, seed_all_rng
from detectra.utils.logger import VERBOSE_ONLY, setup_logger

__all__ = ["begin_run", "clear_previous_run", "default_setup", "start_output_dir"]

logger = logging.getLogger(__name__)


def _try_get_key(cfg: Any, *keys: str, default: Any = None) -> Any:
    """First of ``keys`` (dotted) present in a yacs CfgNode or an OmegaConf LazyConfig."""
    for k in keys:
        node = cfg
        try:
            for part in k.split("."):
                node = node[part] if isinstance(node, dict) or hasattr(node, "__getitem__") else getattr(node, part)
            return node
        except (KeyError, AttributeError, TypeError, IndexError):
            continue
    return default


def _highlight(code: str, filename: str) -> str:
    """``code`` with terminal colours for display (Python for ``*.py`` names, YAML otherwise) when pygments is
    installed; unchanged without it."""
    try:
        import pygments  # optional: only colours the text
        from pygments.formatters import Terminal256Formatter
        from pygments.lexers import Python3Lexer, YamlLexer
    except ImportError:
        return code
    lexer = Python3Lexer() if filename.endswith(".py") else YamlLexer()
    return pygments.highlight(code, lexer, Terminal256Formatter(style="monokai"))


def default_setup(cfg: Any, args: argparse.Namespace | None, *, defer_files: bool = False) -> None:
    """Common start of a training / evaluation script.

    Creates the output dir; sets up the loggers (console on rank 0, ``log.txt`` per rank); logs the rank,
    environment, command line and config file; saves the full config as ``OUTPUT_DIR/config.yaml`` (rank 0);
    seeds every RNG (``SEED + rank``, or random when SEED < 0); sets ``cudnn.benchmark``.

    Args:
        cfg: a `CfgNode` (or a LazyConfig with ``train.output_dir`` / ``train.seed``).
        args: the parsed command line (``default_argument_parser().parse_args()``).
        defer_files: write nothing into the output dir yet: log records are kept in memory until
            :func:`start_output_dir`, which a script calls once the model, weights and data have loaded, so a
            run that fails before that leaves an existing output folder as it was.
    """
    global _deferred_log
    output_dir = _try_get_key(cfg, "OUTPUT_DIR", "output_dir", "train.output_dir")
    if comm.is_main_process() and output_dir and not defer_files:
        os.makedirs(output_dir, exist_ok=True)

    rank = comm.get_rank()
    log = setup_logger(None if defer_files else output_dir, distributed_rank=rank)
    if _deferred_log is not None:  # an earlier deferred setup in this process that never started writing
        log.removeHandler(_deferred_log)
        _deferred_log = None
    if defer_files:
        _detach_log_files(log)
        _deferred_log = logging.handlers.MemoryHandler(capacity=1_000_000, flushLevel=logging.CRITICAL + 1)
        log.addHandler(_deferred_log)
        log.setLevel(logging.DEBUG)  # setup_logger(None) is cached: a quiet command earlier may have raised it

    log.info(f"Rank of current process: {rank}. World size: {comm.get_world_size()}", extra=VERBOSE_ONLY)
    log.info("Environment info:\n" + collect_env_info(), extra=VERBOSE_ONLY)
    log.info("Command line arguments: " + str(args), extra=VERBOSE_ONLY)
    config_file = getattr(args, "config_file", "") if args is not None else ""
    if config_file:
        with open(config_file) as f:
            log.info(f"Contents of args.config_file={config_file}:\n{f.read()}", extra=VERBOSE_ONLY)

    if hasattr(cfg, "dump"):
        log.info(f"Running with full config:\n{cfg.dump()}", extra=VERBOSE_ONLY)
    if comm.is_main_process() and output_dir and not defer_files:
        _save_config(cfg, output_dir)

    seed = _try_get_key(cfg, "SEED", "train.seed", default=-1)
    # A different seed per rank: ranks must not draw the same augmentations / dropout masks.
    seed_all_rng(None if seed is None or seed < 0 else seed + rank)

    # cudnn benchmark has large overhead; it should not be used in evaluation, which has varying input sizes.
    if not (args is not None and getattr(args, "eval_only", False)):
        torch.backends.cudnn.benchmark = bool(_try_get_key(cfg, "CUDNN_BENCHMARK", "train.cudnn_benchmark",
                                                           default=False))  # fmt: skip


# Log records kept in memory by default_setup(defer_files=True) until start_output_dir() writes them to log.txt.
_deferred_log: logging.handlers.MemoryHandler | None = None


def _detach_log_files(log: logging.Logger) -> None:
    """Stop writing this process's log into the log.txt of runs it set up before (in one Python session, a new
    run's records belong to its own folder only)."""
    for handler in list(log.handlers):
        name = getattr(getattr(handler, "stream", None), "name", None)
        if isinstance(name, str) and os.path.isfile(name):
            log.removeHandler(handler)


def _save_config(cfg: Any, output_dir: str) -> None:
    path = os.path.join(output_dir, "config.yaml")
    if hasattr(cfg, "dump"):
        text = cfg.dump()
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))  # never a half-written config next to weights
    else:
        LazyConfig.save(cfg, path)
    logger.info(f"Full config saved to {path}")


def start_output_dir(cfg: Any, *, save_config: bool = True) -> None:
    """The moment a run starts writing into its output dir, after ``default_setup(cfg, args, defer_files=True)``.

    Creates OUTPUT_DIR, starts ``log.txt`` with every record logged since ``default_setup``, and (rank 0, with
    ``save_config``) saves ``config.yaml``. Without a deferred ``default_setup`` pending it does nothing (the
    files were written then), so training loops may call it unconditionally.
    """
    global _deferred_log
    output_dir = _try_get_key(cfg, "OUTPUT_DIR", "output_dir", "train.output_dir")
    if not output_dir or _deferred_log is None:
        return
    if comm.is_main_process():
        os.makedirs(output_dir, exist_ok=True)
    rank = comm.get_rank()
    log_file = os.path.abspath(os.path.join(output_dir, "log.txt" + (f".rank{rank}" if rank else "")))

    def file_handler() -> logging.Handler | None:
        for handler in log.handlers:
            if os.path.abspath(getattr(getattr(handler, "stream", None), "name", "") or ".") == log_file:
                return handler
        return None

    log = setup_logger(output_dir, distributed_rank=rank, configure_stdout=False)
    if file_handler() is None:  # cached call whose handler _detach_log_files removed: add it again
        setup_logger.__wrapped__(output_dir, distributed_rank=rank, configure_stdout=False)
    log.removeHandler(_deferred_log)
    _deferred_log.setTarget(file_handler())
    _deferred_log.flush()
    _deferred_log = None
    if save_config and comm.is_main_process():
        _save_config(cfg, output_dir)


# What a training run writes that a new run in the same folder would mix with its own (log.txt is appended to).
_RUN_FILES = ("last_checkpoint", "model_*.pth", "metrics.json", "events.out.tfevents.*", "eval_results.txt",
              "eval_results.json")  # fmt: skip


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
        logger.warning(f"Overwriting: removed {len(removed)} file(s) of the previous run in {output_dir} "
                       f"({', '.join(os.path.basename(p) for p in removed[:6])}{', ...' if len(removed) > 6 else ''})")
    return removed


def begin_run(trainer: Any, cfg: Any, *, resume: bool, overwrite: bool = False) -> None:
    """Load what the run starts from, then start writing into its output folder.

    ``trainer.resume_or_load(resume)``; with ``overwrite`` (rank 0) the files of the run the new one replaces are
    removed; then `start_output_dir` writes the deferred log and ``config.yaml``. Every check that can fail while
    loading (model, data, weights) has run before anything is written.

    Args:
        trainer: a `Trainer` (``DefaultTrainer`` or ``LazyTrainer``), not trained yet.
        cfg: its config, saved as ``config.yaml``.
        resume: continue from the output folder's last checkpoint.
        overwrite: replace an earlier run in the output folder (``--overwrite``).
    """
    trainer.resume_or_load(resume=resume)
    if overwrite and comm.is_main_process():
        clear_previous_run(trainer.settings.output_dir)
    start_output_dir(cfg)
