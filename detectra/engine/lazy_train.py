"""Training and evaluation of a LazyConfig (``.py``) model: Detectron2's ``tools/lazyconfig_train_net.py`` loop.

Everything is built from the config with ``instantiate``: ``cfg.model``, ``cfg.optimizer`` (its ``params.model``
set to the model first), ``cfg.dataloader.train`` / ``.test`` / ``.evaluator`` and ``cfg.lr_multiplier``; the
loop is `SimpleTrainer` (or `AMPTrainer` with ``train.amp.enabled``) with the default hooks. Used by
``tools/lazyconfig_train_net.py`` and by ``detectra train`` for ``.py`` configs.
"""
from __future__ import annotations

import argparse
import logging
from typing import Any

import torch

from detectra.checkpoint import DetectionCheckpointer
from detectra.config import instantiate
from detectra.engine import hooks
from detectra.engine.defaults import clear_previous_run, create_ddp_model, default_writers, start_output_dir
from detectra.engine.train_loop import AMPTrainer, SimpleTrainer, TrainerBase
from detectra.evaluation import inference_on_dataset, print_csv_format
from detectra.utils import comm
from detectra.utils.logger import VERBOSE_ONLY

__all__ = ["lazy_device", "do_test", "do_train", "eval_only"]

logger = logging.getLogger(__name__)


def lazy_device(cfg: Any) -> str:
    """``cfg.train.device``, or the CPU (with a warning) when it names CUDA and there is none."""
    device = cfg.train.get("device", "cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        logger.warning(f"train.device={device} but CUDA is not available: running on the CPU (train.device=cpu).")
        return "cpu"
    return device


def do_test(cfg: Any, model: torch.nn.Module) -> dict | None:
    """Evaluate on ``cfg.dataloader.test`` with ``cfg.dataloader.evaluator``; returns the results (or None)."""
    if "evaluator" not in cfg.dataloader:
        return None
    results = inference_on_dataset(model, instantiate(cfg.dataloader.test), instantiate(cfg.dataloader.evaluator))
    if comm.is_main_process():
        print_csv_format(results)
    return results


def do_train(args: argparse.Namespace, cfg: Any) -> TrainerBase:
    """Train ``cfg.model`` for ``cfg.train.max_iter`` iterations (resuming with ``args.resume``)."""
    model = instantiate(cfg.model)
    logger.info(f"Model:\n{model}", extra=VERBOSE_ONLY)
    model.to(lazy_device(cfg))

    cfg.optimizer.params.model = model
    optimizer = instantiate(cfg.optimizer)
    train_loader = instantiate(cfg.dataloader.train)

    model = create_ddp_model(model, **cfg.train.ddp)
    if cfg.train.amp.enabled:
        trainer = AMPTrainer(model, train_loader, optimizer, precision=cfg.train.amp.get("precision", "float16"))
    else:
        trainer = SimpleTrainer(model, train_loader, optimizer)
    checkpointables: dict[str, Any] = {"trainer": trainer}
    if hasattr(train_loader, "state_dict"):  # a resumed run continues the data order where it stopped
        checkpointables["data_loader"] = train_loader
    checkpointer = DetectionCheckpointer(model, cfg.train.output_dir, **checkpointables)
    trainer.register_hooks(
        [
            hooks.IterationTimer(),
            # lr_multiplier is a ParamScheduler over training progress: the hook applies it per iteration.
            hooks.LRScheduler(scheduler=instantiate(cfg.lr_multiplier)),
            hooks.PeriodicCheckpointer(checkpointer, **cfg.train.checkpointer),
            hooks.EvalHook(cfg.train.eval_period, lambda: do_test(cfg, model)),
            hooks.PeriodicWriter(default_writers(cfg.train.output_dir, cfg.train.max_iter), period=cfg.train.log_period)
            if comm.is_main_process()
            else None,
        ]
    )

    checkpointer.resume_or_load(cfg.train.init_checkpoint, resume=args.resume)
    if getattr(args, "overwrite", False) and comm.is_main_process():
        clear_previous_run(cfg.train.output_dir)
    start_output_dir(cfg)  # model, data and weights loaded: a deferred default_setup may write its files now
    # A checkpoint is saved after its iteration: continue with the next one.
    start_iter = trainer.iter + 1 if args.resume and checkpointer.has_checkpoint() else 0
    trainer.train(start_iter, cfg.train.max_iter)
    return trainer


def eval_only(cfg: Any) -> dict | None:
    """Load ``cfg.train.init_checkpoint`` into ``cfg.model`` and evaluate it."""
    model = instantiate(cfg.model)
    model.to(lazy_device(cfg))
    model = create_ddp_model(model)
    DetectionCheckpointer(model).load(cfg.train.init_checkpoint)
    return do_test(cfg, model)
