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
from detectra.engine.launch import DEFAULT_TIMEOUT, launch
from detectra.engine.lazy_train import LazyTrainer
from detectra.engine.predictor import BatchPredictor, DefaultPredictor
from detectra.engine.train_loop import *
from detectra.engine.trainer import ConfigTrainer, Trainer, TrainSettings

from detectra.engine import train_loop

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = [
    "BatchPredictor",
    "ConfigTrainer",
    "DEFAULT_TIMEOUT",
    "DefaultPredictor",
    "DefaultTrainer",
    "LazyTrainer",
    "TrainSettings",
    "Trainer",
    "create_ddp_model",
    "default_argument_parser",
    "default_setup",
    "default_writers",
    "hooks",
    "launch",
]
__all__ += train_loop.__all__
