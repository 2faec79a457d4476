"""Training: the loop (`SimpleTrainer`, `AMPTrainer`), hooks, `DefaultTrainer` and setup helpers, `launch`."""

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
from detectra.engine.predictor import DefaultPredictor
from detectra.engine.train_loop import AMPTrainer, SimpleTrainer, TrainerBase

__all__ = [
    "AMPTrainer",
    "DEFAULT_TIMEOUT",
    "DefaultPredictor",
    "DefaultTrainer",
    "HookBase",
    "SimpleTrainer",
    "TrainerBase",
    "create_ddp_model",
    "default_argument_parser",
    "default_setup",
    "default_writers",
    "hooks",
    "launch",
]

