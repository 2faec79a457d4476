"""Dataset wrappers used by the data loaders: serialised lists, mapping, sampling into an iterable, grouping."""
from __future__ import annotations

import contextlib
import copy
import itertools
import logging
import pickle
import random
from typing import Any, Callable, Iterable, Iterator, Optional, Union

import numpy as np
import torch.utils.data as data
from torch.utils.data.sampler import Sampler

__all__ = [
    "AspectRatioGroupedDataset",
    "DatasetFromList",
    "MapDataset",
    "NumpySerializedList",
    "ToIterableDataset",
    "set_default_dataset_from_list_serialize_method",
]

logger = logging.getLogger(__name__)

# After this many warnings about a mapper returning None, stay silent (a filter-heavy mapper would flood logs).
_MAX_NONE_WARNINGS = 10


class NumpySerializedList:
    """A read-only list whose items are pickled into one numpy byte buffer plus an offsets array.

    Reading an item never touches a python object shared with the parent process, so forked data-loader workers
    do not trigger copy-on-read growth of their memory (refcount writes to millions of small dicts).
    """

    def __init__(self, lst: list) -> None:
        blobs = [np.frombuffer(pickle.dumps(x, protocol=-1), dtype=np.uint8) for x in lst]
        self._addr = np.cumsum(np.asarray([len(b) for b in blobs], dtype=np.int64))
        self._buffer = np.concatenate(blobs) if blobs else np.zeros(0, dtype=np.uint8)
        logger.info("Serialized dataset takes %.2f MiB", len(self._buffer) / 1024**2)

    def __len__(self) -> int:
        return len(self._addr)

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            idx += len(self._addr)
        if not 0 <= idx < len(self._addr):
            raise IndexError(f"index {idx} out of range for a dataset of {len(self._addr)} items")
        start = 0 if idx == 0 else int(self._addr[idx - 1])
        return pickle.loads(memoryview(self._buffer[start : int(self._addr[idx])]))


_DEFAULT_SERIALIZE_METHOD: Callable[[list], Any] = NumpySerializedList


@contextlib.contextmanager
def set_default_dataset_from_list_serialize_method(new: Callable[[list], Any]) -> Iterator[None]:
    """Within the block, ``DatasetFromList(..., serialize=True)`` stores its list as ``new(lst)``.

    Args:
        new: takes the list and returns an object with ``__len__`` and ``__getitem__`` (e.g. one backed by shared
            memory); the default is :class:`NumpySerializedList`.
    """
    global _DEFAULT_SERIALIZE_METHOD
    previous, _DEFAULT_SERIALIZE_METHOD = _DEFAULT_SERIALIZE_METHOD, new
    try:
        yield
    finally:
        _DEFAULT_SERIALIZE_METHOD = previous


class DatasetFromList(data.Dataset):
    """A map-style dataset over a python list, optionally serialised (see :class:`NumpySerializedList`)."""

    def __init__(self, lst: list, copy: bool = True, serialize: Union[bool, Callable[[list], Any]] = True) -> None:
        """
        Args:
            lst: the items, e.g. dataset dicts.
            copy: without serialisation, return a deep copy of each item (so mappers may modify it in place).
            serialize: store the list serialised (recommended with workers): True uses the default method (see
                :func:`set_default_dataset_from_list_serialize_method`), a callable is used as the method.
        """
        self._copy = copy
        self._serialize = bool(serialize)
        if serialize:
            method = serialize if callable(serialize) else _DEFAULT_SERIALIZE_METHOD
            self._lst = method(lst)
        else:
            self._lst = lst

    def __len__(self) -> int:
        return len(self._lst)

    def __getitem__(self, idx: int) -> Any:
        if self._serialize:
            return self._lst[idx]
        return copy.deepcopy(self._lst[idx]) if self._copy else self._lst[idx]


class _NoneWarner:
    """Counts mapper failures and warns a bounded number of times."""

    def __init__(self) -> None:
        self.count = 0

    def warn(self, idx: Any, retry: Optional[int] = None) -> None:
        self.count += 1
        if self.count <= _MAX_NONE_WARNINGS:
            extra = f" (retry {retry})" if retry is not None else ""
            logger.warning(
                "The mapper returned None for dataset index %s%s; another sample is used instead.%s",
                idx, extra, " Further such warnings are suppressed." if self.count == _MAX_NONE_WARNINGS else "",
            )  # fmt: skip


class MapDataset(data.Dataset):
    """Apply ``map_func`` to every item of a dataset.

    If ``map_func`` returns None (e.g. an image whose every instance got cropped away), a map-style dataset
    retries with another random index; an iterable dataset skips the item.
    """

    def __new__(cls, dataset: Any, map_func: Callable) -> Any:
        if isinstance(dataset, data.IterableDataset):
            return _MapIterableDataset(dataset, map_func)
        return super().__new__(cls)

    def __init__(self, dataset: Any, map_func: Callable) -> None:
        self._dataset = dataset
        self._map_func = map_func
        self._rng = random.Random(42)
        self._fallback_candidates = set(range(len(dataset)))
        self._warner = _NoneWarner()

    @property
    def dataset(self) -> Any:
        """The wrapped (un-mapped) dataset."""
        return self._dataset

    @property
    def map_func(self) -> Callable:
        """The mapping function."""
        return self._map_func

    def __len__(self) -> int:
        return len(self._dataset)

    def __getitem__(self, idx: int) -> Any:
        retry_count = 0
        cur_idx = int(idx)
        while True:
            result = self._map_func(self._dataset[cur_idx])
            if result is not None:
                self._fallback_candidates.add(cur_idx)
                return result
            retry_count += 1
            self._fallback_candidates.discard(cur_idx)
            if not self._fallback_candidates:
                raise RuntimeError("The mapper returned None for every item of the dataset; check the mapper.")
            self._warner.warn(cur_idx, retry_count)
            cur_idx = self._rng.choice(sorted(self._fallback_candidates))


class _MapIterableDataset(data.IterableDataset):
    def __init__(self, dataset: Iterable, map_func: Callable) -> None:
        self._dataset = dataset
        self._map_func = map_func
        self._warner = _NoneWarner()

    def __len__(self) -> int:
        return len(self._dataset)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator:
        for i, x in enumerate(self._dataset):
            mapped = self._map_func(x)
            if mapped is not None:
                yield mapped
            else:
                self._warner.warn(i)


def _worker_shard(iterable: Iterable, chunk_size: int = 1) -> Iterator:
    """Keep the part of ``iterable`` that belongs to this DataLoader worker (round-robin chunks)."""
    info = data.get_worker_info()
    if info is None or info.num_workers == 1:
        yield from iterable
        return
    it = iter(iterable)
    chunks = iter(lambda: list(itertools.islice(it, chunk_size)), [])
    for chunk in itertools.islice(chunks, info.id, None, info.num_workers):
        yield from chunk


class ToIterableDataset(data.IterableDataset):
    """Turn a map-style dataset into an iterable one by reading it in the order of ``sampler``.

    With DataLoader workers, each worker reads a disjoint share of the sampler's indices.
    """

    def __init__(self, dataset: data.Dataset, sampler: Sampler, shard_sampler: bool = True,
                 shard_chunk_size: int = 1) -> None:  # fmt: skip
        if isinstance(dataset, data.IterableDataset):
            raise TypeError("ToIterableDataset needs a map-style dataset; this one is already iterable.")
        if not isinstance(sampler, Sampler):
            raise TypeError(f"ToIterableDataset needs a torch Sampler, got {type(sampler).__name__}.")
        self.dataset = dataset
        self.sampler = sampler
        self.shard_sampler = shard_sampler
        self.shard_chunk_size = shard_chunk_size

    def __iter__(self) -> Iterator:
        indices = _worker_shard(self.sampler, self.shard_chunk_size) if self.shard_sampler else self.sampler
        for idx in indices:
            yield self.dataset[idx]

    def __len__(self) -> int:
        return len(self.sampler)  # type: ignore[arg-type]


def aspect_ratio_bucket(d: Any) -> int:
    """Bucket of a mapped dataset dict: 0 for landscape (width > height), 1 otherwise."""
    try:
        return 0 if d["width"] > d["height"] else 1
    except (KeyError, TypeError):
        return 0


class AspectRatioGroupedDataset(data.IterableDataset):
    """Group items of an iterable dataset into batches of images with similar aspect ratio.

    Yields lists of ``batch_size`` items, all landscape (w > h) or all portrait (w <= h), judged from each item's
    "width" / "height". Batches come out in the order they fill up.
    """

    def __init__(self, dataset: Iterable, batch_size: int) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self._buckets: list[list] = [[] for _ in range(2)]

    def __iter__(self) -> Iterator[list]:
        for d in self.dataset:
            bucket = self._buckets[aspect_ratio_bucket(d)]
            bucket.append(d)
            if len(bucket) == self.batch_size:
                batch = bucket[:]
                del bucket[:]  # clear in place: the list object stays referenced by self._buckets
                yield batch
