"""`LazyTrainer`: the `Trainer` of a LazyConfig (``.py``), and Detectron2's ``lazyconfig_train_net.py`` functions
`do_train` / `do_test` on top of it.

The parts are instantiated from the config: ``cfg.model`` (moved to ``train.device``, compiled with
``train.compile``), ``cfg.optimizer`` (its ``params.model`` set to the model first), ``cfg.dataloader.train``,
``cfg.lr_multiplier`` (the LR multiplier over training progress, applied by an ``LRMultiplier``), evaluation by
``cfg.dataloader.test`` / ``.evaluator``; the loop's settings come from ``cfg.train`` (`lazy_settings`). The
loop, checkpoints and hooks are `Trainer`'s, exactly as for a yacs config.
"""

from __future__ import annotations

import argparse
import copy
import logging
from typing import Any, Iterable

import torch

from detectra.checkpoint import DetectionCheckpointer
from detectra.config import instantiate
from detectra.engine.run_dir import begin_run
from detectra.engine.trainer import ConfigTrainer, TrainSettings, create_ddp_model
from detectra.evaluation import inference_on_dataset, print_csv_format
from detectra.modeling.compile import compile_model
from detectra.solver import LRMultiplier
from detectra.utils import comm
from detectra.utils.logger import VERBOSE_ONLY

__all__ = ["LazyTrainer", "do_test", "do_train", "eval_only", "lazy_device", "lazy_settings"]

logger = logging.getLogger(__name__)


def lazy_device(cfg: Any) -> str:
    """``cfg.train.device``, or the CPU (with a warning) when it names CUDA and there is none."""
    device = cfg.train.get("device", "cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        logger.warning(f"train.device={device} but CUDA is not available: running on the CPU (train.device=cpu).")
        return "cpu"
    return device


def lazy_settings(cfg: Any) -> TrainSettings:
    """The loop's settings of a LazyConfig's ``train`` node.

    Detectron2's keys (``output_dir``, ``init_checkpoint``, ``max_iter``, ``amp.enabled``, ``ddp``,
    ``checkpointer``, ``eval_period``, ``log_period``) plus detectra's, each optional since a LazyConfig has no
    defaults to fall back on: ``amp.precision`` ("float16" / "bfloat16"), ``precise_bn`` (``enabled``,
    ``num_iter``), ``best_checkpointer`` (``enabled``, ``metric``, ``mode``), ``val_period`` and
    ``early_stop_patience`` (with ``cfg.dataloader.val``).
    """
    train = cfg.train
    amp = train.get("amp") or {}
    checkpointer = train.get("checkpointer") or {}
    precise_bn = train.get("precise_bn") or {}
    best = train.get("best_checkpointer") or {}
    batch = cfg.dataloader.train.get("total_batch_size", 0)
    return TrainSettings(
        output_dir=train.output_dir,
        max_iter=train.max_iter,
        checkpoint_period=checkpointer.get("period", 5000),
        max_to_keep=checkpointer.get("max_to_keep"),
        eval_period=train.get("eval_period", 0),
        weights=train.get("init_checkpoint", ""),
        amp_precision=amp.get("precision", "float16") if amp.get("enabled", False) else None,
        ddp=dict(train.get("ddp") or {"broadcast_buffers": False}),
        log_period=train.get("log_period", 20),
        ims_per_batch=batch if isinstance(batch, int) else 0,
        precise_bn_iters=precise_bn.get("num_iter", 200) if precise_bn.get("enabled", False) else 0,
        best_metric=best.get("metric", "bbox/AP") if best.get("enabled", False) else "",
        best_mode=best.get("mode", "max"),
        val_period=train.get("val_period", 0) if "val" in cfg.dataloader else 0,
        early_stop_patience=train.get("early_stop_patience", 0),
    )


class LazyTrainer(ConfigTrainer):
    """The `Trainer` of a LazyConfig: the same loop, checkpoints and hooks as `DefaultTrainer`, with the parts
    instantiated from the config by the ``build_*`` class methods (override them as in `DefaultTrainer`).

    Example::

        cfg = LazyConfig.load("my_config.py")
        trainer = LazyTrainer(cfg)
        trainer.resume_or_load(resume=False)
        trainer.train()
    """

    @classmethod
    def settings_from_config(cls, cfg: Any) -> TrainSettings:
        """`lazy_settings`."""
        return lazy_settings(cfg)

    @classmethod
    def build_model(cls, cfg: Any) -> torch.nn.Module:
        """``instantiate(cfg.model)`` on ``train.device``, its parts compiled when ``train.compile`` is true."""
        model = instantiate(cfg.model)
        logger.info(f"Model:\n{model}", extra=VERBOSE_ONLY)
        model.to(lazy_device(cfg))
        if cfg.train.get("compile", False):
            compile_model(model, config_key="train.compile")
        return model

    @classmethod
    def build_optimizer(cls, cfg: Any, model: torch.nn.Module) -> torch.optim.Optimizer:
        """``instantiate(cfg.optimizer)`` with its ``params.model`` set to ``model``."""
        optimizer_cfg = copy.deepcopy(cfg.optimizer)  # the config (saved as config.yaml) does not hold the model
        optimizer_cfg.params.model = model
        return instantiate(optimizer_cfg)

    @classmethod
    def build_train_loader(cls, cfg: Any) -> Iterable:
        """``instantiate(cfg.dataloader.train)``."""
        return instantiate(cfg.dataloader.train)

    @classmethod
    def build_lr_scheduler(cls, cfg: Any, optimizer: torch.optim.Optimizer) -> LRMultiplier:
        """``cfg.lr_multiplier`` (a schedule over training progress) applied to ``optimizer`` per iteration."""
        return LRMultiplier(optimizer, instantiate(cfg.lr_multiplier), cfg.train.max_iter)

    @classmethod
    def build_precise_bn_loader(cls, cfg: Any) -> Iterable:
        """``cfg.dataloader.train`` reading in the main process (PreciseBN's few batches)."""
        return instantiate(_without_workers(cfg.dataloader.train))

    @classmethod
    def build_val_loader(cls, cfg: Any) -> Iterable:
        """``instantiate(cfg.dataloader.val)``: held-out batches with ground truth for `ValidationLoss`."""
        return instantiate(cfg.dataloader.val)

    @classmethod
    def test(cls, cfg: Any, model: torch.nn.Module) -> dict | None:
        """`do_test`."""
        return do_test(cfg, model)


def _without_workers(loader_cfg: Any) -> Any:
    """A copy of a loader's config that reads in the main process (PreciseBN's few batches)."""
    loader_cfg = copy.deepcopy(loader_cfg)
    if "num_workers" in loader_cfg:
        loader_cfg.num_workers = 0
    return loader_cfg


def do_test(cfg: Any, model: torch.nn.Module) -> dict | None:
    """Evaluate on ``cfg.dataloader.test`` with ``cfg.dataloader.evaluator``; returns the results (or None)."""
    if "evaluator" not in cfg.dataloader:
        return None
    results = inference_on_dataset(model, instantiate(cfg.dataloader.test), instantiate(cfg.dataloader.evaluator))
    if comm.is_main_process():
        print_csv_format(results)
    return results


def do_train(args: argparse.Namespace, cfg: Any, trainer_class: type[LazyTrainer] = LazyTrainer) -> LazyTrainer:
    """Train ``cfg`` with a `LazyTrainer` for ``cfg.train.max_iter`` iterations (resuming with ``args.resume``).

    With ``args.overwrite`` the files of an earlier run in ``train.output_dir`` are removed first; a deferred
    `default_setup` starts writing its files once the model, data and weights have loaded.
    """
    trainer = trainer_class(cfg)
    begin_run(trainer, cfg, resume=args.resume, overwrite=getattr(args, "overwrite", False))
    trainer.train()
    return trainer


def eval_only(cfg: Any, trainer_class: type[LazyTrainer] = LazyTrainer) -> dict | None:
    """Load ``cfg.train.init_checkpoint`` into ``cfg.model`` and evaluate it (``trainer_class``'s ``build_model``
    and ``test``)."""
    model = create_ddp_model(trainer_class.build_model(cfg))
    DetectionCheckpointer(model).load(cfg.train.init_checkpoint)
    return trainer_class.test(cfg, model)
