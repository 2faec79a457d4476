"""Saving and loading checkpoints: detectra / Detectron2 / Caffe2 / torchvision formats, safely and atomically."""
from detectra.checkpoint import catalog, rng
from detectra.checkpoint.c2_model_loading import align_and_update_state_dicts
from detectra.checkpoint.catalog import ModelCatalog
from detectra.checkpoint.checkpointer import Checkpointer, IncompatibleKeys, PeriodicCheckpointer
from detectra.checkpoint.detection_checkpoint import DetectionCheckpointer
from detectra.checkpoint.rng import get_rng_states, set_rng_states
from detectra.checkpoint.safe_io import UnsafeCheckpointError

__all__ = [
    "Checkpointer",
    "PeriodicCheckpointer",
    "DetectionCheckpointer",
    "IncompatibleKeys",
    "ModelCatalog",
    "UnsafeCheckpointError",
    "align_and_update_state_dicts",
    "get_rng_states",
    "set_rng_states",
    "catalog",
    "rng",
]
