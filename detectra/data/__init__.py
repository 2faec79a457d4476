"""Data: dataset catalogs, loaders of the standard formats, samplers, and the train / test data loaders."""
from . import datasets, samplers  # noqa: F401  (registers the builtin datasets)
from .build import (
    build_batch_data_loader,
    build_detection_test_loader,
    build_detection_train_loader,
    get_detection_dataset_dicts,
    load_proposals_into_dataset,
    print_instances_class_histogram,
)
from .catalog import DatasetCatalog, Metadata, MetadataCatalog
from .common import DatasetFromList, MapDataset, ToIterableDataset

__all__ = [k for k in globals().keys() if not k.startswith("_")]
