"""Saving and loading checkpoints: detectra / Detectron2 / Caffe2 / torchvision formats, safely and atomically."""
from detectra.checkpoint import catalog, detection_checkpoint, rng
from detectra.checkpoint.c2_model_loading import align_and_update_state_dicts
from detectra.checkpoint.catalog import ModelCatalog
from detectra.checkpoint.checkpointer import Checkpointer, IncompatibleKeys, PeriodicCheckpointer
from detectra.checkpoint.detection_checkpoint import *
from detectra.checkpoint.rng import *
from detectra.checkpoint.safe_io import UnsafeCheckpointError

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = [
    "Checkpointer",
    "PeriodicCheckpointer",
    "IncompatibleKeys",
    "ModelCatalog",
    "UnsafeCheckpointError",
    "align_and_update_state_dicts",
    "catalog",
    "rng",
]
__all__ += [name for module in (detection_checkpoint, rng) for name in module.__all__]
