"""The classes a run was trained on: their names and the training json's own category ids, stored with the run
(``OUTPUT_DIR/classes.json``) and inside its checkpoints (key ``"classes"``), so that predictions made later by
another process name and number the classes as the training json did."""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Optional

import torch

from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data.catalog import Metadata

__all__ = [
    "CHECKPOINT_KEY",
    "CLASSES_FILE",
    "ClassesState",
    "classes_metadata",
    "dataset_classes",
    "prediction_metadata",
    "write_classes_file",
]

logger = logging.getLogger("detectra.cli")

CLASSES_FILE = "classes.json"
CHECKPOINT_KEY = "classes"


def dataset_classes(name: str) -> Optional[dict[str, Any]]:
    """The classes of a registered dataset: ``{"dataset", "thing_classes", "thing_dataset_ids"}`` (plus
    ``"stuff_classes"`` when it has them), or None when its metadata names no classes.

    ``thing_dataset_ids[i]`` is the json's category id of contiguous class ``i``. A dataset whose loader fills the
    metadata (COCO json) is loaded first when its metadata has no classes yet.
    """
    meta = MetadataCatalog.get(name)
    if meta.get("thing_classes") is None and name in DatasetCatalog.list():
        DatasetCatalog.get(name)  # COCO-style loaders set thing_classes and the id map as they read the json
    classes = meta.get("thing_classes")
    if classes is None:
        return None
    to_contiguous = meta.get("thing_dataset_id_to_contiguous_id") or {}
    from_contiguous = {int(v): int(k) for k, v in to_contiguous.items()}
    out: dict[str, Any] = {
        "dataset": name,
        "thing_classes": [str(c) for c in classes],
        "thing_dataset_ids": [from_contiguous.get(i, i + 1) for i in range(len(classes))],
    }
    if meta.get("stuff_classes") is not None:
        out["stuff_classes"] = [str(c) for c in meta.stuff_classes]
    return out


def classes_metadata(classes: Optional[dict[str, Any]]) -> Any:
    """A `Metadata` with ``thing_classes`` and ``thing_dataset_id_to_contiguous_id`` (and ``stuff_classes``) from
    a `dataset_classes` dict; an empty one for None."""
    meta = Metadata(name=(classes or {}).get("dataset", "predictions"))
    if not classes:
        return meta
    names = list(classes["thing_classes"])
    ids = list(classes.get("thing_dataset_ids") or range(1, len(names) + 1))
    meta.set(thing_classes=names, thing_dataset_id_to_contiguous_id={int(d): i for i, d in enumerate(ids)})
    if classes.get("stuff_classes"):
        meta.set(stuff_classes=list(classes["stuff_classes"]))
    return meta


class ClassesState:
    """A checkpointable (``state_dict`` / ``load_state_dict``) that writes the classes into every checkpoint."""

    def __init__(self, classes: Optional[dict[str, Any]]) -> None:
        self.classes = classes or {}

    def state_dict(self) -> dict[str, Any]:
        return dict(self.classes)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not self.classes:  # a resumed run keeps the classes of the data it trains on now
            self.classes = dict(state)


def write_classes_file(output_dir: str, classes: Optional[dict[str, Any]]) -> Optional[str]:
    """Write ``classes`` to ``output_dir/classes.json``; returns the path (None when there are no classes)."""
    if not classes:
        return None
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, CLASSES_FILE)
    with open(path, "w") as f:
        json.dump(classes, f, indent=2)
    return path


def _read_classes_file(folder: str) -> Optional[dict[str, Any]]:
    path = os.path.join(folder, CLASSES_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _checkpoint_classes(weights: str) -> Optional[dict[str, Any]]:
    """The ``"classes"`` entry of a detectra checkpoint (memory-mapped: the weights are not read)."""
    if not weights.endswith(".pth") or not os.path.isfile(weights):
        return None

    try:
        ckpt = torch.load(weights, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # noqa: BLE001  (an unreadable file is reported when the model loads it)
        return None
    classes = ckpt.get(CHECKPOINT_KEY) if isinstance(ckpt, dict) else None
    return dict(classes) if classes else None


def prediction_metadata(cfg: Any, run_dir: str = "") -> Any:
    """The metadata to name and number predicted classes with, from the first of: the run's ``classes.json``,
    the ``classes.json`` next to MODEL.WEIGHTS, the checkpoint's ``"classes"``, the config's test (then train)
    dataset if registered. Empty metadata (classes named by index) when none has them."""
    weights = str(cfg.MODEL.WEIGHTS or "")
    for source in (
        lambda: _read_classes_file(run_dir) if run_dir else None,
        lambda: _read_classes_file(os.path.dirname(os.path.abspath(weights))) if os.path.isfile(weights) else None,
        lambda: _checkpoint_classes(weights),
    ):
        classes = source()
        if classes:
            return classes_metadata(classes)

    for name in (*cfg.DATASETS.TEST, *cfg.DATASETS.TRAIN):
        if name in DatasetCatalog.list():
            try:
                classes = dataset_classes(name)
            except OSError:  # registered, but its files are not on this machine
                continue
            if classes:
                return classes_metadata(classes)
    logger.warning("The weights carry no class names (no classes.json, no 'classes' in the checkpoint): "
                   "classes are named by their index.")  # fmt: skip
    return classes_metadata(None)
