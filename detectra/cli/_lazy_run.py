"""What `detectra train` reads from a LazyConfig (``.py``) run for its plots and pictures, where a yacs run reads
``DATASETS.TRAIN`` / ``DATASETS.TEST``: the datasets its loaders name, where its evaluator writes, and its model on
the test loader's mapper."""
from __future__ import annotations

import copy
import inspect
from typing import Any, Callable

import numpy as np
import torch
from omegaconf import ListConfig

from detectra.checkpoint import DetectionCheckpointer
from detectra.config import instantiate
from detectra.config.instantiate import locate
from detectra.data import DatasetCatalog
from detectra.data.detection_utils import read_image
from detectra.engine.lazy_train import lazy_device

__all__ = ["lazy_dataset_names", "lazy_test_predictor", "with_evaluator_output"]


def lazy_dataset_names(cfg: Any, split: str) -> list[str]:
    """The registered datasets that ``cfg.dataloader.<split>`` reads (Detectron2's
    ``dataset=L(get_detection_dataset_dicts)(names=...)``); for ``test``, else the evaluator's ``dataset_name``.
    Empty when the loader names none (a loader built another way)."""
    loaders = cfg.get("dataloader") or {}
    loader = loaders.get(split) or {}
    dataset = loader.get("dataset") if hasattr(loader, "get") else None
    names = dataset.get("names") if hasattr(dataset, "get") else None
    if names is None and split == "test":
        evaluator = loaders.get("evaluator")
        first = evaluator[0] if _is_list(evaluator) and len(evaluator) else evaluator
        names = first.get("dataset_name") if hasattr(first, "get") else None
    if names is None:
        return []
    names = [names] if isinstance(names, str) else list(names)
    return [n for n in names if n in DatasetCatalog.list()]


def _is_list(node: Any) -> bool:
    return isinstance(node, (list, tuple, ListConfig))


def _takes_output_dir(node: Any) -> bool:
    target = node.get("_target_") if hasattr(node, "get") else None
    if isinstance(target, str):
        target = locate(target)
    try:
        return target is not None and "output_dir" in inspect.signature(target).parameters
    except (TypeError, ValueError):  # a callable without a signature
        return False


def with_evaluator_output(cfg: Any, folder: str) -> Any:
    """A copy of ``cfg`` whose evaluators that take an ``output_dir`` and were given none write into ``folder``
    (the detections json and PR arrays the plots read), as a yacs run's evaluators write into
    ``OUTPUT_DIR/inference``. ``cfg`` itself, and so the run's ``config.yaml``, is unchanged."""
    if "evaluator" not in (cfg.get("dataloader") or {}):
        return cfg
    cfg = copy.deepcopy(cfg)
    evaluators = cfg.dataloader.evaluator
    for node in evaluators if _is_list(evaluators) else [evaluators]:
        if _takes_output_dir(node) and not node.get("output_dir"):
            node.output_dir = folder
    return cfg


def lazy_test_predictor(cfg: Any, weights: str) -> Callable[[dict], tuple[np.ndarray, dict]]:
    """The model of ``cfg`` with ``weights``, in evaluation mode, on the test loader's mapper: a function from a
    dataset dict to (the image as BGR, the model's outputs in the image's coordinates)."""
    model = instantiate(cfg.model).to(lazy_device(cfg)).eval()
    DetectionCheckpointer(model).load(weights)
    mapper = instantiate(cfg.dataloader.test.mapper)

    def predict(dataset_dict: dict) -> tuple[np.ndarray, dict]:
        with torch.no_grad():
            outputs = model([mapper(dataset_dict)])[0]
        return read_image(dataset_dict["file_name"], format="BGR"), outputs

    return predict
