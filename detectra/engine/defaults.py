"""Detectron2's standard training setup: `default_argument_parser`, `default_setup` and `DefaultTrainer` (the
`Trainer` built from a yacs config, with Detectron2's ``build_*`` class methods to override).

``default_argument_parser`` lives in ``cli/parsers.py`` (which imports no torch), ``default_setup``,
``start_output_dir`` and ``clear_previous_run`` in ``engine/run_dir.py``,
``create_ddp_model`` and ``default_writers`` in ``engine/trainer.py``, ``DefaultPredictor`` in
``engine/predictor.py``; all are re-exported here, where Detectron2 users import them from.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections import OrderedDict
from typing import Any

import torch
from omegaconf import DictConfig
from torch import nn

from detectra.cli.parsers import default_argument_parser  # torch-free, so that 'detectra train --help' is fast
from detectra.config import CfgNode, LazyConfig, get_cfg
from detectra.data import build_detection_test_loader, build_detection_train_loader, get_detection_dataset_dicts
from detectra.data import transforms as T
from detectra.data.dataset_mapper import DatasetMapper
from detectra.engine.predictor import DefaultPredictor
from detectra.engine.run_dir import clear_previous_run, default_setup, start_output_dir
from detectra.engine.trainer import ConfigTrainer, TrainSettings, create_ddp_model, default_writers, ensure_logging
from detectra.evaluation import DatasetEvaluator, inference_on_dataset, print_csv_format, verify_results
from detectra.model_zoo import get_config_file
from detectra.modeling import build_model
from detectra.solver import build_lr_scheduler, build_optimizer
from detectra.utils import comm
from detectra.utils.logger import VERBOSE_ONLY

# Names Detectron2's defaults module has, which scripts that copy its default_setup import from here.
from detectra.engine.run_dir import _highlight, _try_get_key  # noqa: F401
from detectra.utils.env import collect_env_info  # noqa: F401
from detectra.utils.logger import setup_logger  # noqa: F401

__all__ = [
    "DefaultPredictor",
    "DefaultTrainer",
    "clear_previous_run",
    "create_ddp_model",
    "default_argument_parser",
    "default_setup",
    "default_writers",
    "setup_config",
    "start_output_dir",
    "yacs_settings",
]

logger = logging.getLogger(__name__)


def setup_config(args: argparse.Namespace) -> CfgNode | Any:
    """The config of a training script's command line, after `default_setup`.

    ``args.config_file`` is a path or a model-zoo name; a ``.yaml`` file gives a frozen `CfgNode` with the trailing
    ``KEY VALUE`` overrides merged, a ``.py`` file a LazyConfig with ``key=value`` overrides applied.

    Args:
        args: ``default_argument_parser().parse_args()``; ``config_file`` is replaced by the resolved path.
    """
    if not os.path.isfile(args.config_file):  # a model-zoo name such as shapes/faster_rcnn_R_18_FPN.yaml
        args.config_file = get_config_file(args.config_file)
    if args.config_file.endswith(".py"):
        cfg = LazyConfig.apply_overrides(LazyConfig.load(args.config_file), args.opts)
    else:
        cfg = get_cfg()
        cfg.merge_from_file(args.config_file)
        cfg.merge_from_list(args.opts)
        cfg.freeze()
    default_setup(cfg, args)
    return cfg


def yacs_settings(cfg: Any) -> TrainSettings:
    """The loop's settings of a yacs config (SOLVER.*, TEST.*, OUTPUT_DIR, MODEL.WEIGHTS)."""
    best = cfg.SOLVER.BEST_CHECKPOINTER
    return TrainSettings(
        output_dir=cfg.OUTPUT_DIR,
        max_iter=cfg.SOLVER.MAX_ITER,
        checkpoint_period=cfg.SOLVER.CHECKPOINT_PERIOD,
        eval_period=cfg.TEST.EVAL_PERIOD,
        weights=cfg.MODEL.WEIGHTS,
        amp_precision=cfg.SOLVER.AMP.PRECISION if cfg.SOLVER.AMP.ENABLED else None,
        ims_per_batch=cfg.SOLVER.IMS_PER_BATCH,
        precise_bn_iters=cfg.TEST.PRECISE_BN.NUM_ITER if cfg.TEST.PRECISE_BN.ENABLED else 0,
        best_metric=best.METRIC if best.ENABLED else "",
        best_mode=best.MODE,
        val_period=cfg.TEST.VAL_PERIOD if len(cfg.DATASETS.VAL) else 0,
        early_stop_patience=cfg.TEST.EARLY_STOP_PATIENCE,
    )


class DefaultTrainer(ConfigTrainer):
    """The `Trainer` of a yacs config, with Detectron2's default behaviour:

    model, optimizer, LR scheduler and train loader from the ``build_*`` class methods, evaluation by `test`
    on ``DATASETS.TEST``, the loop's settings from `yacs_settings` (batch size, LR and periods first scaled by
    `auto_scale_workers`); `Trainer` adds DDP, `SimpleTrainer` or `AMPTrainer` (``SOLVER.AMP``), checkpoints in
    ``OUTPUT_DIR`` and the default hooks.

    Example::

        trainer = DefaultTrainer(cfg)
        trainer.resume_or_load(resume=args.resume)
        trainer.train()
    """

    def __init__(self, cfg: Any) -> None:
        if isinstance(cfg, DictConfig):  # a LazyConfig would fail later on its first missing key
            raise TypeError(
                "DefaultTrainer takes a yacs CfgNode (get_cfg(), a .yaml config), not a LazyConfig: "
                "train a LazyConfig (.py) with detectra.engine.LazyTrainer(cfg)."
            )
        ensure_logging()  # before auto_scale_workers, which logs what it changed
        super().__init__(DefaultTrainer.auto_scale_workers(cfg, comm.get_world_size()))

    @classmethod
    def settings_from_config(cls, cfg: Any) -> TrainSettings:
        """`yacs_settings`."""
        return yacs_settings(cfg)

    # A subclass may set itself up with TrainerBase.__init__ and its own attributes instead of this __init__, as
    # semi-supervised trainers written for Detectron2 do. It then has no `settings`, but it has the cfg, max_iter
    # and checkpointer that Detectron2's versions of the next two methods read.

    def _initial_weights(self) -> str:
        """`resume_or_load`'s weights when it does not resume: ``cfg.MODEL.WEIGHTS``."""
        return super()._initial_weights() if hasattr(self, "settings") else self.cfg.MODEL.WEIGHTS

    def build_writers(self) -> list:
        """The event writers (see `default_writers`) into ``cfg.OUTPUT_DIR``."""
        if hasattr(self, "settings"):
            return super().build_writers()
        return default_writers(self.cfg.OUTPUT_DIR, self.max_iter)

    def train(self) -> Any:
        """Train from ``start_iter`` to ``cfg.SOLVER.MAX_ITER``; returns the last evaluation results when
        ``TEST.EXPECTED_RESULTS`` is set (and checks them)."""
        super().train()
        if len(self.cfg.TEST.EXPECTED_RESULTS) and comm.is_main_process():
            if self.last_eval_results is None:
                raise RuntimeError("TEST.EXPECTED_RESULTS is set but no evaluation ran during training.")
            verify_results(self.cfg, self.last_eval_results)
            return self.last_eval_results
        return None

    @classmethod
    def build_model(cls, cfg: Any) -> nn.Module:
        """``detectra.modeling.build_model(cfg)``; override to use another model."""
        model = build_model(cfg)
        logging.getLogger(__name__).info(f"Model:\n{model}", extra=VERBOSE_ONLY)
        return model

    @classmethod
    def build_optimizer(cls, cfg: Any, model: nn.Module) -> torch.optim.Optimizer:
        """``detectra.solver.build_optimizer(cfg, model)``."""
        return build_optimizer(cfg, model)

    @classmethod
    def build_lr_scheduler(cls, cfg: Any, optimizer: torch.optim.Optimizer) -> Any:
        """``detectra.solver.build_lr_scheduler(cfg, optimizer)``."""
        return build_lr_scheduler(cfg, optimizer)

    @classmethod
    def build_train_loader(cls, cfg: Any):
        """``detectra.data.build_detection_train_loader(cfg)``."""
        return build_detection_train_loader(cfg)

    @classmethod
    def build_precise_bn_loader(cls, cfg: Any):
        """`build_train_loader` reading in the main process (PreciseBN's few batches: saves memory and time)."""
        return cls.build_train_loader(_without_workers(cfg))

    @classmethod
    def build_test_loader(cls, cfg: Any, dataset_name: str):
        """``detectra.data.build_detection_test_loader(cfg, dataset_name)``."""
        return build_detection_test_loader(cfg, dataset_name)

    @classmethod
    def build_val_loader(cls, cfg: Any):
        """Held-out loader for `ValidationLoss`: ``DATASETS.VAL`` with ground truth kept (a training-mode
        mapper) but only the test-time resize, no random augmentation."""
        mapper = DatasetMapper(
            cfg, is_train=True, augmentations=[T.ResizeShortestEdge(cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MAX_SIZE_TEST)]
        )
        dataset = get_detection_dataset_dicts(cfg.DATASETS.VAL, filter_empty=False)
        return build_detection_test_loader(dataset=dataset, mapper=mapper, num_workers=cfg.DATALOADER.NUM_WORKERS)

    @classmethod
    def build_evaluator(cls, cfg: Any, dataset_name: str):
        """Return a ``DatasetEvaluator`` for ``dataset_name``; subclasses implement it."""
        raise NotImplementedError(
            f"DefaultTrainer has no evaluator for '{dataset_name}': override the class method "
            "build_evaluator(cls, cfg, dataset_name) to return one (e.g. COCOEvaluator(dataset_name, "
            "output_dir=cfg.OUTPUT_DIR), or detectra.evaluation.by_type.build_evaluator(cfg, dataset_name), which "
            "picks it from the dataset's evaluator_type as tools/train_net.py does), pass evaluators= to "
            "DefaultTrainer.test, or run inference_on_dataset yourself."
        )

    @classmethod
    def test(cls, cfg: Any, model: nn.Module, evaluators: Any = None) -> dict:
        """Evaluate ``model`` on every dataset of ``cfg.DATASETS.TEST``.

        Args:
            cfg: the config.
            model: the model to evaluate.
            evaluators: one ``DatasetEvaluator`` per test dataset; default: `build_evaluator`.

        Returns:
            dataset name -> results (just the results when there is one test dataset).
        """
        if isinstance(evaluators, DatasetEvaluator):
            evaluators = [evaluators]
        if evaluators is not None and len(cfg.DATASETS.TEST) != len(evaluators):
            raise ValueError(
                f"{len(cfg.DATASETS.TEST)} test datasets (DATASETS.TEST) but {len(evaluators)} evaluators given."
            )
        results: dict[str, Any] = OrderedDict()
        for idx, dataset_name in enumerate(cfg.DATASETS.TEST):
            data_loader = cls.build_test_loader(cfg, dataset_name)
            if evaluators is not None:
                evaluator = evaluators[idx]
            else:
                try:
                    evaluator = cls.build_evaluator(cfg, dataset_name)
                except NotImplementedError:
                    logger.warning(
                        "No evaluation of %s: %s has no build_evaluator (override it, or pass evaluators= to test()).",
                        dataset_name, cls.__name__,
                    )  # fmt: skip
                    results[dataset_name] = {}
                    continue
            results_i = inference_on_dataset(model, data_loader, evaluator, precision=cfg.TEST.PRECISION)
            results[dataset_name] = results_i
            if comm.is_main_process():
                if not isinstance(results_i, dict):
                    raise TypeError(f"Evaluator must return a dict on the main process. Got {results_i} instead.")
                logger.info(f"Evaluation results for {dataset_name} in csv format:")
                print_csv_format(results_i)
        if len(results) == 1:
            results = list(results.values())[0]
        return results

    @staticmethod
    def auto_scale_workers(cfg: Any, num_workers: int) -> Any:
        """Scale batch size, LR, iterations and periods linearly from ``SOLVER.REFERENCE_WORLD_SIZE`` to
        ``num_workers`` processes (no-op when REFERENCE_WORLD_SIZE is 0 or equal).

        Args:
            cfg: the config (not modified; a scaled clone is returned).
            num_workers: the new number of processes.
        """
        old_world_size = cfg.SOLVER.REFERENCE_WORLD_SIZE
        if old_world_size == 0 or old_world_size == num_workers:
            return cfg
        cfg = cfg.clone()
        frozen = cfg.is_frozen()
        cfg.defrost()
        if cfg.SOLVER.IMS_PER_BATCH % old_world_size != 0:
            raise ValueError(
                f"SOLVER.IMS_PER_BATCH ({cfg.SOLVER.IMS_PER_BATCH}) must be divisible by "
                f"SOLVER.REFERENCE_WORLD_SIZE ({old_world_size})."
            )
        scale = num_workers / old_world_size
        bs = cfg.SOLVER.IMS_PER_BATCH = int(round(cfg.SOLVER.IMS_PER_BATCH * scale))
        lr = cfg.SOLVER.BASE_LR = cfg.SOLVER.BASE_LR * scale
        max_iter = cfg.SOLVER.MAX_ITER = int(round(cfg.SOLVER.MAX_ITER / scale))
        warmup_iter = cfg.SOLVER.WARMUP_ITERS = int(round(cfg.SOLVER.WARMUP_ITERS / scale))
        cfg.SOLVER.STEPS = tuple(int(round(s / scale)) for s in cfg.SOLVER.STEPS)
        cfg.TEST.EVAL_PERIOD = int(round(cfg.TEST.EVAL_PERIOD / scale))
        if "VAL_PERIOD" in cfg.TEST:
            cfg.TEST.VAL_PERIOD = int(round(cfg.TEST.VAL_PERIOD / scale))
        cfg.SOLVER.CHECKPOINT_PERIOD = int(round(cfg.SOLVER.CHECKPOINT_PERIOD / scale))
        cfg.SOLVER.REFERENCE_WORLD_SIZE = num_workers  # maintain invariant
        logger.info(
            f"Auto-scaling the config to batch_size={bs}, learning_rate={lr}, "
            f"max_iter={max_iter}, warmup={warmup_iter}."
        )
        if frozen:
            cfg.freeze()
        return cfg


def _without_workers(cfg: Any) -> Any:
    cfg = cfg.clone()
    cfg.defrost()
    cfg.DATALOADER.NUM_WORKERS = 0
    return cfg
