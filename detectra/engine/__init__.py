"""Training: the loop (`SimpleTrainer`, `AMPTrainer`), hooks, `Trainer` with its two config fronts
(`DefaultTrainer` for yacs, `LazyTrainer` for LazyConfig), setup helpers, `launch`."""

from detectra.engine import hooks
from detectra.engine.defaults import (
    DefaultTrainer,
    create_ddp_model,
    default_argument_parser,
    default_setup,
    default_writers,
)
from detectra.engine.hooks import HookBase
from detectra.engine.launch import DEFAULT_TIMEOUT, launch
from detectra.engine.lazy_train import LazyTrainer
from detectra.engine.predictor import DefaultPredictor
from detectra.engine.train_loop import AMPTrainer, SimpleTrainer, TrainerBase
from detectra.engine.trainer import ConfigTrainer, Trainer, TrainSettings

__all__ = [
    "AMPTrainer",
    "ConfigTrainer",
    "DEFAULT_TIMEOUT",
    "DefaultPredictor",
    "DefaultTrainer",
    "HookBase",
    "LazyTrainer",
    "SimpleTrainer",
    "TrainSettings",
    "Trainer",
    "TrainerBase",
    "create_ddp_model",
    "default_argument_parser",
    "default_setup",
    "default_writers",
    "hooks",
    "launch",
]

