"""Building detection data loaders: dataset dicts from names, filters, train / test loaders."""
from __future__ import annotations

import itertools
import logging
import os
import random
from collections import Counter
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import torch
import torch.utils.data as torchdata

from detectra.checkpoint.safe_io import load_pickle_file
from detectra.config import configurable
from detectra.data.annotation_checks import check_dataset_records, check_masks_present, repair_dataset_boxes
from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.data.common import AspectRatioGroupedDataset, DatasetFromList, MapDataset
from detectra.data.dataset_mapper import DatasetMapper
from detectra.data.detection_utils import check_metadata_consistency
from detectra.data.resumable import NonResumableDataLoader, ResumableDataLoader
from detectra.data.samplers import InferenceSampler, RandomSubsetTrainingSampler, RepeatFactorTrainingSampler
from detectra.data.samplers import TrainingSampler, repeat_factors_from_category_frequency
from detectra.data.worker_errors import WorkerErrorsDataLoader
from detectra.structures.boxes import BoxMode
from detectra.utils import comm
from detectra.utils.logger import VERBOSE_ONLY

__all__ = [
    "build_batch_data_loader",
    "build_detection_train_loader",
    "build_detection_test_loader",
    "get_detection_dataset_dicts",
    "load_proposals_into_dataset",
    "print_instances_class_histogram",
    "filter_images_with_only_crowd_annotations",
    "filter_images_with_few_keypoints",
    "trivial_batch_collator",
    "worker_init_reset_seed",
]

logger = logging.getLogger(__name__)


def filter_images_with_only_crowd_annotations(dataset_dicts: list[dict]) -> list[dict]:
    """Drop images with no annotation, or only crowd (``iscrowd=1``) annotations: they give no training signal."""
    num_before = len(dataset_dicts)
    kept = [d for d in dataset_dicts if any(ann.get("iscrowd", 0) == 0 for ann in d.get("annotations", []))]
    logger.info("Removed %d images with no usable annotations. %d images left.", num_before - len(kept), len(kept))
    return kept


def filter_images_with_few_keypoints(dataset_dicts: list[dict], min_keypoints_per_image: int) -> list[dict]:
    """Drop images whose annotations have fewer than ``min_keypoints_per_image`` visible keypoints in total."""

    def visible_keypoints(d: dict) -> int:
        return sum(
            int((np.asarray(ann["keypoints"][2::3]) > 0).sum())
            for ann in d.get("annotations", [])
            if "keypoints" in ann
        )

    num_before = len(dataset_dicts)
    kept = [d for d in dataset_dicts if visible_keypoints(d) >= min_keypoints_per_image]
    logger.info("Removed %d images with fewer than %d keypoints.", num_before - len(kept), min_keypoints_per_image)
    return kept


_PROPOSAL_FIX = (
    "re-save it as a dict of plain lists and numpy arrays ({'ids': [...], 'boxes': [...], 'objectness_logits': "
    "[...], 'bbox_mode': 0}) in a separate, trusted Python session."
)


# Proposal files written in Python may hold "bbox_mode" as the BoxMode enum (an IntEnum: calling it only converts).
_PROPOSAL_GLOBALS = {(f"{pkg}.structures.boxes", "BoxMode"): BoxMode for pkg in ("detectra", "detectron2")}


def _float_array(values: Any) -> Optional[np.ndarray]:
    """``values`` as a float array (float32 stays float32), or None when they are not numbers of one shape."""
    try:
        array = np.asarray(values)
        return array if array.dtype.kind == "f" else array.astype(np.float64)
    except (TypeError, ValueError):
        return None


def _proposals_of_image(proposals: dict, i: int, bbox_mode: BoxMode, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The i-th image's boxes (N, 4) (N, 5 when rotated) and logits (N,), as float arrays, or an error naming
    ``where`` when their shapes disagree or a value is not finite."""
    width = 5 if bbox_mode == BoxMode.XYWHA_ABS else 4
    boxes, objectness_logits = (_float_array(proposals[key][i]) for key in ("boxes", "objectness_logits"))
    if boxes is None or objectness_logits is None:
        raise ValueError(f"Proposals of {where} are not arrays of numbers; write the file again.")
    if boxes.size == 0:
        boxes = boxes.reshape(0, width)
    if boxes.ndim != 2 or boxes.shape[1] != width or objectness_logits.shape != (len(boxes),):
        raise ValueError(
            f"Proposals of {where}: boxes of shape {boxes.shape} and objectness_logits of shape "
            f"{objectness_logits.shape}; expected (N, {width}) and (N,). Write the file again with one box per logit."
        )
    if not (np.isfinite(boxes).all() and np.isfinite(objectness_logits).all()):
        raise ValueError(
            f"Proposals of {where} hold NaN or infinite values, which would reach the model's losses. Compute the "
            "proposals again (a diverged proposal model writes such values)."
        )
    return boxes, objectness_logits


def load_proposals_into_dataset(dataset_dicts: list[dict], proposal_file: str) -> list[dict]:
    """Attach precomputed proposals (a pickle with "ids", "boxes", "objectness_logits", optional "bbox_mode")
    to each record as proposal_boxes / proposal_objectness_logits (sorted by decreasing objectness) /
    proposal_bbox_mode."""
    logger.info("Loading proposals from: %s", proposal_file)
    if not os.path.isfile(proposal_file):
        raise FileNotFoundError(
            f"Proposal file '{proposal_file}' not found. It comes from DATASETS.PROPOSAL_FILES_TRAIN / "
            "PROPOSAL_FILES_TEST (one per dataset): point them at the box_proposals.pkl that evaluating an RPN run "
            "(COCOEvaluator) writes to its output folder, or set MODEL.LOAD_PROPOSALS False."
        )
    # A config names this file: read it without running code from it (numpy arrays and containers only).
    proposals = load_pickle_file(proposal_file, fix=_PROPOSAL_FIX, extra_globals=_PROPOSAL_GLOBALS)
    if not isinstance(proposals, dict):
        raise ValueError(
            f"Proposal file '{proposal_file}' holds a {type(proposals).__name__}; expected a dict with 'ids', "
            "'boxes' and 'objectness_logits' lists (what COCOEvaluator writes as box_proposals.pkl)."
        )
    for old, new in (("indexes", "ids"), ("scores", "objectness_logits")):  # legacy Detectron1 names
        if old in proposals:
            proposals[new] = proposals.pop(old)
    missing = [k for k in ("ids", "boxes", "objectness_logits") if k not in proposals]
    if missing:
        raise KeyError(f"Proposal file '{proposal_file}' lacks keys {missing}.")
    lengths = {k: len(proposals[k]) for k in ("ids", "boxes", "objectness_logits")}
    if len(set(lengths.values())) != 1:
        raise ValueError(
            f"Proposal file '{proposal_file}' has {lengths}: one entry per image in each is needed. The file is "
            "damaged or was assembled by hand; write it again (e.g. COCOEvaluator's box_proposals.pkl)."
        )
    img_ids = {str(record["image_id"]) for record in dataset_dicts}
    id_to_index = {str(i): k for k, i in enumerate(proposals["ids"]) if str(i) in img_ids}
    bbox_mode = BoxMode(proposals["bbox_mode"]) if "bbox_mode" in proposals else BoxMode.XYXY_ABS
    for record in dataset_dicts:
        key = str(record["image_id"])
        if key not in id_to_index:
            raise KeyError(
                f"Proposal file '{proposal_file}' has no proposals for image id {key}: it was made for another "
                "dataset. Compute proposals for this dataset's images, or use the file of its own dataset."
            )
        i = id_to_index[key]
        boxes, objectness_logits = _proposals_of_image(proposals, i, bbox_mode, f"'{proposal_file}', image id {key}")
        # best first, as Detectron2: the mapper keeps the first PRECOMPUTED_PROPOSAL_TOPK_* of them
        order = objectness_logits.argsort()[::-1]
        record["proposal_boxes"] = boxes[order]
        record["proposal_objectness_logits"] = objectness_logits[order]
        record["proposal_bbox_mode"] = bbox_mode
    return dataset_dicts


def _format_table(rows: list[list[str]], headers: list[str]) -> str:
    """A pipe table (what tabulate's "pipe" format gives), with numbers right-aligned."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]

    def fmt(row: Sequence[str]) -> str:
        cells = [str(c).rjust(w) if str(c).lstrip("-").isdigit() else str(c).ljust(w) for c, w in zip(row, widths)]
        return "| " + " | ".join(cells) + " |"

    sep = "|" + "|".join(":" + "-" * (w + 1) if i % 2 == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths))
    return "\n".join([fmt(headers), sep + "|"] + [fmt(r) for r in rows])


def print_instances_class_histogram(dataset_dicts: list[dict], class_names: Sequence[str]) -> str:
    """Log (and return) a table of the number of non-crowd instances per category."""
    num_classes = len(class_names)
    counts: Counter = Counter()
    for d in dataset_dicts:
        for ann in d.get("annotations", []):
            if not ann.get("iscrowd", 0):
                cid = ann["category_id"]
                if not 0 <= cid < num_classes:
                    raise ValueError(
                        f"Image {d.get('image_id')} ('{d.get('file_name')}') has category_id {cid}, outside "
                        f"the {num_classes} classes of the metadata (ids 0..{num_classes - 1}); fix the dataset or "
                        "its thing_classes."
                    )
                counts[cid] += 1
    n_cols = min(6, len(class_names) * 2)
    cells = []
    for i, name in enumerate(class_names):
        cells += [name if len(name) <= 13 else name[:11] + "..", str(counts[i])]
    total = sum(counts.values())
    cells += [""] * ((n_cols - len(cells) % n_cols) % n_cols)
    if num_classes > 1:
        cells += ["total", str(total)] + [""] * (n_cols - 2)
    rows = [cells[i : i + n_cols] for i in range(0, len(cells), n_cols)]
    table = _format_table(rows, ["category", "#instances"] * (n_cols // 2))
    logger.info("Distribution of instances among all %d categories:\n%s", num_classes, table, extra=VERBOSE_ONLY)
    return table


def get_detection_dataset_dicts(
    names: Union[str, Sequence[str]],
    filter_empty: bool = True,
    min_keypoints: int = 0,
    proposal_files: Optional[Sequence[str]] = None,
    check_consistency: bool = True,
    *,
    strict: bool = False,
) -> Union[list[dict], torchdata.Dataset]:
    """Load and concatenate registered datasets, then filter them for training.

    Boxes that training repairs or drops (non-finite, empty, outside the image) are counted per dataset and
    logged in one line (see :func:`detectra.data.annotation_checks.repair_dataset_boxes`).

    Args:
        names: dataset name(s) registered in ``DatasetCatalog``.
        filter_empty: drop images without non-crowd annotations.
        min_keypoints: drop images with fewer visible keypoints (0 = keep all).
        proposal_files: one precomputed proposal file per dataset.
        check_consistency: require equal thing_classes and print the class histogram.
        strict: raise on boxes training would repair or drop (``DATALOADER.STRICT_ANNOTATIONS``).

    Returns:
        the merged list of dataset dicts (or a torch Dataset if the catalog returns Datasets).
    """
    if isinstance(names, str):
        names = [names]
    if len(names) == 0:
        raise ValueError("get_detection_dataset_dicts needs at least one dataset name (cfg.DATASETS.TRAIN is empty).")
    all_dicts = [DatasetCatalog.get(name) for name in names]
    if isinstance(all_dicts[0], torchdata.Dataset):
        return torchdata.ConcatDataset(all_dicts) if len(all_dicts) > 1 else all_dicts[0]
    for name, dicts in zip(names, all_dicts):
        check_dataset_records(name, dicts)
        if len(dicts) == 0:
            raise ValueError(f"Dataset '{name}' is empty: its loader returned no images.")
        if "annotations" in dicts[0]:
            repair_dataset_boxes(name, dicts, source=MetadataCatalog.get(name).get("json_file", ""), strict=strict)
    if proposal_files is not None:
        if len(proposal_files) != len(names):
            raise ValueError(f"Got {len(proposal_files)} proposal files for {len(names)} datasets; need one each.")
        all_dicts = [load_proposals_into_dataset(d, f) for d, f in zip(all_dicts, proposal_files)]
    dataset_dicts = list(itertools.chain.from_iterable(all_dicts))
    has_instances = "annotations" in dataset_dicts[0]
    if filter_empty and has_instances:
        before = dataset_dicts
        dataset_dicts = filter_images_with_only_crowd_annotations(dataset_dicts)
        if not dataset_dicts:
            raise ValueError(_why_all_filtered(names, before))
    if min_keypoints > 0 and has_instances:
        dataset_dicts = filter_images_with_few_keypoints(dataset_dicts, min_keypoints)
    if check_consistency and has_instances:
        class_names = MetadataCatalog.get(names[0]).get("thing_classes")
        if class_names is not None:
            check_metadata_consistency("thing_classes", names)
            try:
                print_instances_class_histogram(dataset_dicts, class_names)
            except ValueError as e:
                raise ValueError(f"Dataset {', '.join(names)}: {e}") from None
    if len(dataset_dicts) == 0:
        raise ValueError(f"No valid data found in {', '.join(names)} (all images were filtered out).")
    return dataset_dicts


def _why_all_filtered(names: Sequence[str], dicts: list[dict]) -> str:
    """The message for training data where no image has a usable (non-crowd) annotation."""
    sources = [f"'{n}' ({MetadataCatalog.get(n).get('json_file')})" if MetadataCatalog.get(n).get("json_file")
               else f"'{n}'" for n in names]  # fmt: skip
    num_annotations = sum(len(d.get("annotations", [])) for d in dicts)
    why = (f"none of its {len(dicts)} images has an annotation (a json without an 'annotations' list, or an "
           "empty one, gives this)" if num_annotations == 0 else
           f"its {num_annotations} annotations are all crowd regions (iscrowd=1), which training ignores")  # fmt: skip
    return (
        f"No training data in {', '.join(sources)}: {why}. Training needs boxes; check the file with "
        "'detectra validate-data', or set DATALOADER.FILTER_EMPTY_ANNOTATIONS False to train on images without "
        "annotations as negatives."
    )


def trivial_batch_collator(batch: list) -> list:
    """Keep a batch as the list of its items (images of different sizes cannot be stacked)."""
    return batch


def worker_init_reset_seed(worker_id: int) -> None:
    """Give each DataLoader worker its own random streams (forked workers would otherwise share the parent's)."""
    seed = (torch.initial_seed() + worker_id) % 2**31
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_batch_data_loader(
    dataset: torchdata.Dataset,
    sampler: Optional[torchdata.Sampler],
    total_batch_size: int,
    *,
    aspect_ratio_grouping: bool = False,
    num_workers: int = 0,
    collate_fn: Optional[Callable[[list], Any]] = None,
    drop_last: bool = True,
    single_gpu_batch_size: Optional[int] = None,
    seed: Optional[int] = None,
    prefetch_factor: int = 2,
    persistent_workers: bool = False,
    pin_memory: bool = False,
) -> Union[ResumableDataLoader, NonResumableDataLoader]:
    """Batch an (infinite) training stream, splitting ``total_batch_size`` across ranks.

    Args:
        dataset: map-style (with ``sampler``) or iterable dataset.
        sampler: yields indices; None only for an iterable dataset.
        total_batch_size: images per step over all ranks (divisible by the world size).
        aspect_ratio_grouping: batch landscape and portrait images separately.
        collate_fn: applied to each list of items (default: keep the list).
        single_gpu_batch_size: per-rank batch size, instead of ``total_batch_size``.
        seed: base seed of the per-sample augmentation RNG (default: the sampler's seed).

    Returns:
        for a map-style dataset, a ``ResumableDataLoader`` (infinite; ``state_dict`` / ``load_state_dict``).
    """
    if single_gpu_batch_size is not None:
        if total_batch_size:
            raise ValueError("Pass either total_batch_size or single_gpu_batch_size, not both.")
        batch_size = single_gpu_batch_size
    else:
        world_size = comm.get_world_size()
        if total_batch_size <= 0 or total_batch_size % world_size != 0:
            raise ValueError(
                f"Total batch size ({total_batch_size}) must be divisible by the number of processes "
                f"({world_size}); change SOLVER.IMS_PER_BATCH."
            )
        batch_size = total_batch_size // world_size

    if isinstance(dataset, torchdata.IterableDataset):
        if sampler is not None:
            raise ValueError("An iterable dataset brings its own order: pass sampler=None.")
        if aspect_ratio_grouping:
            grouped = AspectRatioGroupedDataset(dataset, batch_size)
            loader = torchdata.DataLoader(grouped, num_workers=num_workers, collate_fn=_first_then(collate_fn),
                                          worker_init_fn=worker_init_reset_seed)  # fmt: skip
        else:
            loader = torchdata.DataLoader(dataset, batch_size=batch_size, drop_last=drop_last,
                                          num_workers=num_workers, collate_fn=collate_fn or trivial_batch_collator,
                                          worker_init_fn=worker_init_reset_seed)  # fmt: skip
        return NonResumableDataLoader(loader)
    if sampler is None:
        raise ValueError("A map-style dataset needs a sampler (e.g. TrainingSampler(len(dataset))).")
    return ResumableDataLoader(
        dataset,
        sampler,
        batch_size,
        aspect_ratio_grouping=aspect_ratio_grouping,
        num_workers=num_workers,
        collate_fn=collate_fn,
        seed=seed,
        prefetch_factor=prefetch_factor,
        persistent_workers=persistent_workers,
        pin_memory=pin_memory,
        worker_init_fn=worker_init_reset_seed,
    )


class _first_then:
    """Collate for pre-batched items: unwrap the DataLoader's 1-element list, then apply ``collate_fn``."""

    def __init__(self, collate_fn: Optional[Callable]) -> None:
        self.collate_fn = collate_fn

    def __call__(self, batch: list) -> Any:
        return self.collate_fn(batch[0]) if self.collate_fn else batch[0]


def _default_mapper(cfg: Any, is_train: bool) -> Callable:
    return DatasetMapper(cfg, is_train)


def _train_loader_from_config(cfg: Any, mapper: Optional[Callable] = None, *, dataset: Any = None,
                              sampler: Any = None) -> dict[str, Any]:  # fmt: skip
    if dataset is None:
        dataset = get_detection_dataset_dicts(
            cfg.DATASETS.TRAIN,
            filter_empty=cfg.DATALOADER.FILTER_EMPTY_ANNOTATIONS,
            min_keypoints=cfg.MODEL.ROI_KEYPOINT_HEAD.MIN_KEYPOINTS_PER_IMAGE if cfg.MODEL.KEYPOINT_ON else 0,
            proposal_files=cfg.DATASETS.PROPOSAL_FILES_TRAIN if cfg.MODEL.LOAD_PROPOSALS else None,
            strict=bool(cfg.DATALOADER.STRICT_ANNOTATIONS),
        )
        if cfg.MODEL.MASK_ON and isinstance(dataset, list):
            check_masks_present(dataset, cfg.DATASETS.TRAIN)
    if mapper is None:
        mapper = _default_mapper(cfg, True)
    seed = cfg.SEED if cfg.SEED >= 0 else None
    if sampler is None and not isinstance(dataset, torchdata.IterableDataset):
        sampler_name = cfg.DATALOADER.SAMPLER_TRAIN
        logger.info("Using training sampler %s", sampler_name)
        if sampler_name == "TrainingSampler":
            sampler = TrainingSampler(len(dataset), seed=seed)
        elif sampler_name == "RepeatFactorTrainingSampler":
            factors = repeat_factors_from_category_frequency(
                dataset, cfg.DATALOADER.REPEAT_THRESHOLD, sqrt=cfg.DATALOADER.REPEAT_SQRT
            )
            sampler = RepeatFactorTrainingSampler(factors, seed=seed)
        elif sampler_name == "RandomSubsetTrainingSampler":
            sampler = RandomSubsetTrainingSampler(len(dataset), cfg.DATALOADER.RANDOM_SUBSET_RATIO, seed_shuffle=seed)
        else:
            raise ValueError(
                f"Unknown DATALOADER.SAMPLER_TRAIN '{sampler_name}'; use TrainingSampler, "
                "RepeatFactorTrainingSampler or RandomSubsetTrainingSampler."
            )
    return {
        "dataset": dataset,
        "sampler": sampler,
        "mapper": mapper,
        "total_batch_size": cfg.SOLVER.IMS_PER_BATCH,
        "aspect_ratio_grouping": cfg.DATALOADER.ASPECT_RATIO_GROUPING,
        "num_workers": cfg.DATALOADER.NUM_WORKERS,
        "persistent_workers": bool(cfg.DATALOADER.PERSISTENT_WORKERS),
        # page-locked batches for a CUDA model: the trainer's host-to-device copies then run asynchronously
        "pin_memory": _model_on_cuda(cfg),
    }


def _model_on_cuda(cfg: Any) -> bool:
    from detectra.utils.device import resolve_device

    try:
        return resolve_device(cfg.MODEL.DEVICE).type == "cuda"
    except RuntimeError:  # a device this machine lacks: build_model reports it
        return False


@configurable(from_config=_train_loader_from_config)
def build_detection_train_loader(
    dataset: Union[list, torchdata.Dataset],
    *,
    mapper: Optional[Callable],
    sampler: Optional[torchdata.Sampler] = None,
    total_batch_size: int,
    aspect_ratio_grouping: bool = True,
    num_workers: int = 0,
    collate_fn: Optional[Callable[[list], Any]] = None,
    **kwargs: Any,
) -> Union[ResumableDataLoader, NonResumableDataLoader]:
    """The infinite training loader: dataset dicts -> mapper -> batches (lists of mapped dicts by default).

    Call it with a config (``build_detection_train_loader(cfg)``, using DATASETS.TRAIN, DatasetMapper(cfg, True),
    DATALOADER.*, SOLVER.IMS_PER_BATCH) or with explicit arguments.

    Args:
        dataset: list of dataset dicts or a torch Dataset.
        mapper: dataset dict -> model input dict (None: use the items as they are).
        sampler: index stream (default ``TrainingSampler(len(dataset), seed=seed)``).
        total_batch_size: images per iteration over all ranks.
        aspect_ratio_grouping: batch landscape and portrait images separately.
        num_workers: DataLoader workers per rank.
        collate_fn: batch list -> model input (default: keep the list).
        kwargs: passed to ``build_batch_data_loader`` (seed, prefetch_factor, persistent_workers, pin_memory);
            ``seed`` also seeds the default sampler, so two loaders built with the same seed give the same batches.

    Returns:
        a ``ResumableDataLoader``: iterate it for batches; ``state_dict()`` / ``load_state_dict()`` resume exactly.
    """
    if isinstance(dataset, list):
        dataset = DatasetFromList(dataset, copy=False)
    if mapper is not None:
        dataset = MapDataset(dataset, mapper)
    if not isinstance(dataset, torchdata.IterableDataset) and sampler is None:
        sampler = TrainingSampler(len(dataset), seed=kwargs.get("seed"))
    return build_batch_data_loader(
        dataset, sampler, total_batch_size, aspect_ratio_grouping=aspect_ratio_grouping,
        num_workers=num_workers, collate_fn=collate_fn, **kwargs,
    )  # fmt: skip


def _test_loader_from_config(cfg: Any, dataset_name: Union[str, Sequence[str]],
                             mapper: Optional[Callable] = None) -> dict[str, Any]:  # fmt: skip
    if isinstance(dataset_name, str):
        dataset_name = [dataset_name]
    proposal_files = None
    if cfg.MODEL.LOAD_PROPOSALS:
        proposal_files = [cfg.DATASETS.PROPOSAL_FILES_TEST[list(cfg.DATASETS.TEST).index(x)] for x in dataset_name]
    dataset = get_detection_dataset_dicts(dataset_name, filter_empty=False, proposal_files=proposal_files)
    if mapper is None:
        mapper = _default_mapper(cfg, False)
    sampler = None if isinstance(dataset, torchdata.IterableDataset) else InferenceSampler(len(dataset))
    return {"dataset": dataset, "mapper": mapper, "num_workers": cfg.DATALOADER.NUM_WORKERS, "sampler": sampler}


@configurable(from_config=_test_loader_from_config)
def build_detection_test_loader(
    dataset: Union[list, torchdata.Dataset],
    *,
    mapper: Optional[Callable],
    sampler: Optional[torchdata.Sampler] = None,
    batch_size: int = 1,
    num_workers: int = 0,
    collate_fn: Optional[Callable[[list], Any]] = None,
) -> torchdata.DataLoader:
    """A finite loader over a dataset, each rank reading its ``InferenceSampler`` shard in order.

    Call it as ``build_detection_test_loader(cfg, "dataset_name")`` or with explicit arguments. Batches are
    lists of ``batch_size`` mapped dicts (the last one may be shorter).
    """
    if isinstance(dataset, list):
        dataset = DatasetFromList(dataset, copy=False)
    if mapper is not None:
        dataset = MapDataset(dataset, mapper)
    if isinstance(dataset, torchdata.IterableDataset):
        if sampler is not None:
            raise ValueError("An iterable dataset brings its own order: pass sampler=None.")
    elif sampler is None:
        sampler = InferenceSampler(len(dataset))
    return WorkerErrorsDataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        drop_last=False,
        num_workers=num_workers,
        collate_fn=trivial_batch_collator if collate_fn is None else collate_fn,
    )


