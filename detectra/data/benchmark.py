"""Where does data loading spend its time? ``DataLoaderBenchmark`` times each stage separately: reading dataset
items, the mapper (decoding + augmentation), the full loader with several worker counts, the same loader without
inter-process transfer, and the loader on every rank. ``detectra benchmark --task data`` runs it on a config."""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch.utils.data as torchdata

from detectra.data.build import build_detection_train_loader
from detectra.data.samplers import TrainingSampler
from detectra.utils import comm

__all__ = ["DataLoaderBenchmark", "iter_benchmark"]

logger = logging.getLogger(__name__)


def iter_benchmark(
    iterator: Iterator, num_iter: int, warmup: int = 5, max_time_seconds: float = 60
) -> tuple[int, float]:
    """Time ``next(iterator)``: ``warmup`` untimed calls, then up to ``num_iter`` timed ones, stopping early once
    ``max_time_seconds`` have passed.

    Returns:
        (number of timed items, seconds they took).
    """
    for _ in range(warmup):
        next(iterator)
    start = time.perf_counter()
    done = 0
    while done < num_iter:
        next(iterator)
        done += 1
        if time.perf_counter() - start > max_time_seconds:
            logger.info("iter_benchmark stopped after %d of %d items (%.0f s limit)", done, num_iter, max_time_seconds)
            break
    return done, time.perf_counter() - start


def _rate(what: str, num: int, seconds: float, unit: str) -> dict[str, float]:
    per_second = num / seconds if seconds > 0 else float("inf")
    logger.info("%s: %.2f %s/s (%d in %.2f s)", what, per_second, unit, num, seconds)
    return {f"{unit}_per_second": per_second, f"seconds_per_{unit}": 1.0 / per_second if per_second else 0.0}


class _IndexedItems:
    """Infinite stream of ``fn(dataset[i])`` for the sampler's indices, in the main process."""

    def __init__(self, dataset: Any, sampler: Iterable[int], fn: Callable[[Any], Any]) -> None:
        self._dataset, self._indices, self._fn = dataset, iter(sampler), fn

    def __iter__(self) -> "_IndexedItems":
        return self

    def __next__(self) -> Any:
        return self._fn(self._dataset[next(self._indices)])


class _MapThenDrop:
    """Runs the mapper and returns 0: an item that costs nothing to send between processes (None would mean
    "skip this item" to the loader)."""

    def __init__(self, mapper: Callable[[Any], Any]) -> None:
        self.mapper = mapper

    def __call__(self, item: Any) -> int:
        self.mapper(item)
        return 0


class DataLoaderBenchmark:
    """Benchmarks of one training data pipeline (dataset + mapper + sampler + batching).

    Args:
        dataset: the dataset dicts (a list) or a map-style dataset.
        mapper: dataset dict -> model input (e.g. ``DatasetMapper(cfg, is_train=True)``).
        sampler: the index stream (default: ``TrainingSampler``, shuffled and infinite).
        total_batch_size: images per step over all ranks.
        num_workers: loader workers per rank (the largest count :meth:`benchmark_workers` tries).
        max_time_seconds: each benchmark stops after about this long.

    Every ``benchmark_*`` method logs its numbers and returns them.
    """

    def __init__(
        self,
        dataset: Any,
        *,
        mapper: Callable[[Any], Any],
        sampler: Iterable[int] | None = None,
        total_batch_size: int,
        num_workers: int = 0,
        max_time_seconds: float = 90,
    ) -> None:
        if isinstance(dataset, torchdata.IterableDataset):
            raise TypeError("DataLoaderBenchmark needs a map-style dataset (a list or a Dataset with __getitem__).")
        if len(dataset) == 0:
            raise ValueError("DataLoaderBenchmark got an empty dataset.")
        self.dataset = dataset
        self.mapper = mapper
        self.sampler = sampler if sampler is not None else TrainingSampler(len(dataset), shuffle=True)
        self.total_batch_size = total_batch_size
        self.num_workers = num_workers
        self.max_time_seconds = max_time_seconds

    def _loader(self, mapper: Callable[[Any], Any], num_workers: int) -> Any:
        return build_detection_train_loader(
            self.dataset, mapper=mapper, sampler=self.sampler, total_batch_size=self.total_batch_size,
            num_workers=num_workers,
        )  # fmt: skip

    def benchmark_dataset(self, num_iter: int, warmup: int = 5) -> dict[str, float]:
        """Reading raw dataset items, without the mapper (e.g. a serialized list or a remote store)."""
        n, seconds = iter_benchmark(
            _IndexedItems(self.dataset, self.sampler, lambda x: x), num_iter, warmup, self.max_time_seconds
        )
        return _rate("Dataset alone", n, seconds, "item")

    def benchmark_mapper(self, num_iter: int, warmup: int = 5) -> dict[str, float]:
        """Dataset items through the mapper, in the main process (what one loader worker can do)."""
        n, seconds = iter_benchmark(
            _IndexedItems(self.dataset, self.sampler, self.mapper), num_iter, warmup, self.max_time_seconds
        )
        return _rate("Dataset + mapper, one process", n, seconds, "item")

    def benchmark_workers(self, num_iter: int, warmup: int = 10) -> dict[int, dict[str, float]]:
        """The whole loader (batches) with 0 (main process), 1, half and all of ``num_workers`` workers."""
        counts = sorted({0, 1, max(1, self.num_workers // 2), self.num_workers}) if self.num_workers else [0]
        results = {}
        for workers in counts:
            n, seconds = iter_benchmark(iter(self._loader(self.mapper, workers)), num_iter, warmup,
                                        self.max_time_seconds)  # fmt: skip
            results[workers] = _rate(f"Loader with {workers} workers", n, seconds, "batch")
        return results

    def benchmark_IPC(self, num_iter: int, warmup: int = 10) -> dict[int, dict[str, float]]:
        """The loader with workers that run the mapper but send back nothing (a 0 per item): the upper bound
        without inter-process transfer. Much faster than :meth:`benchmark_workers` means transfer is the cost."""
        results = {}
        counts = sorted({1, max(1, self.num_workers // 2), self.num_workers}) if self.num_workers else [0]
        for workers in counts:
            loader = self._loader(_MapThenDrop(self.mapper), workers)
            n, seconds = iter_benchmark(iter(loader), num_iter, warmup, self.max_time_seconds)
            results[workers] = _rate(f"Loader with {workers} workers, no transfer", n, seconds, "batch")
        return results

    def benchmark_distributed(self, num_iter: int, warmup: int = 10) -> list[dict[str, float]]:
        """The loader on every rank at once (after a barrier); returns each rank's numbers (on every rank)."""
        loader = iter(self._loader(self.mapper, self.num_workers))
        for _ in range(warmup):
            next(loader)
        comm.synchronize()
        n, seconds = iter_benchmark(loader, num_iter, 0, self.max_time_seconds)
        per_rank = comm.all_gather(_rate(f"Loader on rank {comm.get_rank()}", n, seconds, "batch"))
        if comm.is_main_process() and len(per_rank) > 1:
            rates = np.asarray([r["batch_per_second"] for r in per_rank])
            logger.info("Loader over %d ranks: %.2f batches/s per rank (min %.2f, max %.2f)", len(rates),
                        rates.mean(), rates.min(), rates.max())  # fmt: skip
        return per_rank
