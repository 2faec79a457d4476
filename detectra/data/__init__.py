"""Data: dataset catalogs, loaders of the standard formats, samplers, transforms, and the train / test loaders."""
from . import transforms  # noqa: F401  (isort: first, as in Detectron2)
from . import detection_utils  # noqa: F401
from .build import (
    build_batch_data_loader,
    build_detection_test_loader,
    build_detection_train_loader,
    get_detection_dataset_dicts,
    load_proposals_into_dataset,
    print_instances_class_histogram,
)
from .catalog import *
from .common import DatasetFromList, MapDataset, ToIterableDataset
from .dataset_mapper import *

from . import datasets, samplers  # noqa: E402,F401  (registers the builtin datasets)

from . import catalog, dataset_mapper

# names picked from a submodule are listed; a submodule re-exported whole adds its `__all__`
__all__ = [
    "transforms",
    "detection_utils",
    "build_batch_data_loader",
    "build_detection_test_loader",
    "build_detection_train_loader",
    "get_detection_dataset_dicts",
    "load_proposals_into_dataset",
    "print_instances_class_histogram",
    "DatasetFromList",
    "MapDataset",
    "ToIterableDataset",
    "datasets",
    "samplers",
]
__all__ += [name for module in (catalog, dataset_mapper) for name in module.__all__]
