"""The training data loader with exact resume.

Every sample the rank's sampler produces gets a stream position ``p`` (0, 1, 2, ...). The mapper for position
``p`` runs with python ``random``, ``np.random`` and torch's CPU generator seeded from ``(seed, rank, p)``, so a
sample's augmentation does not depend on which worker maps it or when. Workers only map; the main process receives
samples in position order (DataLoader keeps order), groups them by aspect ratio and batches them. Hence the batch
sequence is the same for any ``num_workers``, and the loader's state after ``k`` batches is just:

- ``next_position``: the position after the last sample the consumer's batches were built from,
- ``buffered``: the ``(position, index)`` pairs waiting in the aspect-ratio buckets,
- the sampler's seed.

Loading that state restarts the sampler at ``next_position`` and re-maps the buffered samples first, which puts
them back into their buckets in their original order: the next batches equal those of an uninterrupted run.
Prefetched-but-unconsumed samples are not part of the state, they are simply produced again.
"""
from __future__ import annotations

import io
import logging
import pickle
import random
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable, Iterator, Optional

import numpy as np
import torch
import torch.utils.data as data

from detectra.data.common import MapDataset, _NoneWarner, aspect_ratio_bucket
from detectra.data.worker_errors import iterate_with_worker_errors
from detectra.utils import comm

__all__ = ["ResumableDataLoader", "sample_seed"]

logger = logging.getLogger(__name__)

_STATE_VERSION = 1


def sample_seed(base_seed: int, rank: int, position: int) -> int:
    """The RNG seed of the sample at stream ``position`` of ``rank`` (a 32-bit int)."""
    return int(np.random.SeedSequence([int(base_seed) % 2**63, rank, position]).generate_state(1)[0])


class _ExitWithParent:
    """Worker init: end the worker at once when the training process dies (e.g. SIGKILL, OOM kill).

    torch's own watchdog notices a dead parent only between items, and the worker then waits at exit for its queue
    feeder thread, which can block forever on a full pipe that no process reads. Orphaned workers would then keep
    the dead run's stdout open and its memory held, so this thread leaves with ``os._exit`` instead.
    """

    def __init__(self, user_init: Optional[Callable[[int], None]]) -> None:
        self._user_init = user_init

    def __call__(self, worker_id: int) -> None:
        import os
        import threading
        import time

        parent = os.getppid()

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(0)

        threading.Thread(target=watch, name="detectra-exit-with-parent", daemon=True).start()
        if self._user_init is not None:
            self._user_init(worker_id)


def _identity(x: Any) -> Any:
    return x


# Tensors smaller than this travel from workers inside the pickle, by value, instead of through a shared-memory
# segment each: a segment costs a file descriptor that the trainer fetches from the worker over a socket (served
# by a thread that waits for the busy worker's GIL). Boxes, classes and keypoints are a few KiB.
_BY_VALUE_MAX_BYTES = 64 * 1024


def _tensor_from_numpy(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(array)


class _SmallTensorsByValuePickler(ForkingPickler):
    """torch's worker pickler, but small CPU tensors are pickled as numpy arrays (copied into the stream)."""

    def reducer_override(self, obj: Any) -> Any:
        if (
            type(obj) is torch.Tensor
            and obj.device.type == "cpu"
            and obj.nbytes < _BY_VALUE_MAX_BYTES
            and not obj.requires_grad
            and obj.dtype not in (torch.bfloat16, torch.complex32)  # numpy has no such dtype
            and not obj.is_sparse
        ):
            return _tensor_from_numpy, (obj.numpy(),)
        return NotImplemented


class _WorkerItem:
    """Wraps a mapped sample in a worker so that it pickles with :class:`_SmallTensorsByValuePickler`.

    Unpickling in the trainer's process gives back the sample itself (not this wrapper).
    """

    def __init__(self, item: Any) -> None:
        self.item = item

    def __reduce__(self) -> tuple:
        buffer = io.BytesIO()
        _SmallTensorsByValuePickler(buffer, pickle.HIGHEST_PROTOCOL).dump(self.item)
        return pickle.loads, (buffer.getvalue(),)


class _PositionalDataset(data.Dataset):
    """Maps a key ``(position, index)`` to ``(position, index, mapped item or None)`` under the sample's seed."""

    def __init__(self, dataset: Any, map_func: Optional[Callable], base_seed: int, rank: int) -> None:
        self._dataset = dataset
        self._map_func = map_func
        self._base_seed = base_seed
        self._rank = rank

    def __len__(self) -> int:
        return len(self._dataset)

    def __getitem__(self, key: tuple[int, int]) -> tuple[int, int, Any]:
        position, index = key
        seed = sample_seed(self._base_seed, self._rank, position)
        # With num_workers=0 this runs in the trainer's process, whose own random streams (dropout, ...) must not
        # depend on data loading: save and restore the global generators there. A worker's streams serve only
        # its samples, each reseeded, so it skips that (~0.2 ms per sample, mostly numpy's state tuple).
        saved = None
        if data.get_worker_info() is None:
            saved = (random.getstate(), np.random.get_state(), torch.random.get_rng_state())
        random.seed(seed)
        np.random.seed(seed)
        torch.random.default_generator.manual_seed(seed)  # CPU only: never reseed CUDA from here
        try:
            item = self._dataset[index]
            if self._map_func is not None:
                item = self._map_func(item)
        finally:
            if saved is not None:
                random.setstate(saved[0])
                np.random.set_state(saved[1])
                torch.random.set_rng_state(saved[2])
        return position, index, (item if saved is not None else _WorkerItem(item))


class _KeyStream:
    """Keys ``(position, index)``: first the replayed buffered samples, then the sampler from ``start``."""

    def __init__(self, sampler: Any, seed: Optional[int], start: int, replay: list[tuple[int, int]]) -> None:
        self._sampler = sampler
        self._seed = seed
        self._start = start
        self._replay = list(replay)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        yield from self._replay
        if hasattr(self._sampler, "load_state_dict"):
            self._sampler.load_state_dict({**self._sampler.state_dict(), "seed": self._seed, "position": self._start})
            it = iter(self._sampler)
        else:  # a plain torch sampler: skip what was consumed (exact only if the sampler is deterministic)
            it = iter(self._sampler)
            for _ in range(self._start):
                next(it)
        for position, index in enumerate(it, start=self._start):
            yield position, int(index)


class ResumableDataLoader:
    """Infinite iterable of batches (``collate_fn(list of mapped items)``) with ``state_dict`` / ``load_state_dict``.

    Built by ``build_batch_data_loader`` / ``build_detection_train_loader``; see the module docstring for how
    resume works. ``load_state_dict`` may be called before iterating or while an iterator is live (the live
    iterator switches to the loaded state at its next batch).
    """

    def __init__(
        self,
        dataset: data.Dataset,
        sampler: Any,
        batch_size: int,
        *,
        aspect_ratio_grouping: bool = False,
        num_workers: int = 0,
        collate_fn: Optional[Callable[[list], Any]] = None,
        seed: Optional[int] = None,
        prefetch_factor: Optional[int] = 2,
        persistent_workers: bool = False,
        pin_memory: bool = False,
        worker_init_fn: Optional[Callable[[int], None]] = None,
    ) -> None:
        """
        Args:
            dataset: map-style; a ``MapDataset`` is split into its list and mapper so the mapper runs seeded.
            sampler: yields dataset indices forever (``TrainingSampler`` and friends resume without replay).
            batch_size: images per batch on this rank.
            aspect_ratio_grouping: batch landscape and portrait images separately.
            num_workers: DataLoader worker processes (the batch sequence does not depend on it).
            collate_fn: applied to each list of items (default: keep the list).
            prefetch_factor: batches each worker maps ahead (as in a batched torch DataLoader).
            seed: base seed of the per-sample augmentation RNG; None uses the sampler's seed if it has one,
                else ``comm.shared_random_seed()``.
        """
        if isinstance(dataset, data.IterableDataset):
            raise TypeError("ResumableDataLoader needs a map-style dataset plus a sampler.")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.aspect_ratio_grouping = aspect_ratio_grouping
        self.collate_fn = collate_fn or _identity
        if seed is None:
            seed = getattr(sampler, "seed", None)
        self._base_seed = int(comm.shared_random_seed() if seed is None else seed)
        self._sampler_seed = getattr(sampler, "seed", None)
        self._rank = comm.get_rank()
        self._world_size = comm.get_world_size()
        if isinstance(dataset, MapDataset):
            self._positional = _PositionalDataset(dataset.dataset, dataset.map_func, self._base_seed, self._rank)
        else:
            self._positional = _PositionalDataset(dataset, None, self._base_seed, self._rank)
        self._loader_kwargs = dict(
            num_workers=num_workers,
            pin_memory=pin_memory,
            worker_init_fn=_ExitWithParent(worker_init_fn) if num_workers > 0 else worker_init_fn,
            persistent_workers=persistent_workers and num_workers > 0,
        )
        if num_workers > 0 and prefetch_factor is not None:
            # Workers here map single samples, so torch's prefetch_factor (in items) is scaled to keep its meaning
            # in a batched loader: prefetch_factor *batches* per worker. With only 2 samples in flight, a worker
            # idled whenever the training process was descheduled (-25% images/s with 1 worker on a busy machine).
            self._loader_kwargs["prefetch_factor"] = prefetch_factor * batch_size
        self._next_position = 0
        self._buffered: list[tuple[int, int]] = []
        self._generation = 0  # bumped by load_state_dict so that a live iterator restarts
        self._warner = _NoneWarner()

    def _make_loader(self) -> data.DataLoader:
        keys = _KeyStream(self.sampler, self._sampler_seed, self._next_position, sorted(self._buffered))
        # own generator: DataLoader draws its workers' base seed from it instead of the global torch RNG
        generator = torch.Generator().manual_seed(self._base_seed)
        return data.DataLoader(self._positional, sampler=keys, batch_size=None, collate_fn=_identity,
                               generator=generator, **self._loader_kwargs)  # fmt: skip

    def __iter__(self) -> Iterator[Any]:
        while True:
            generation = self._generation
            buckets: list[list[tuple[int, int, Any]]] = [[], []]
            next_position = self._next_position
            for position, index, item in iterate_with_worker_errors(self._make_loader()):
                next_position = max(next_position, position + 1)
                if item is None:
                    self._warner.warn(index)
                    continue
                bucket = buckets[aspect_ratio_bucket(item) if self.aspect_ratio_grouping else 0]
                bucket.append((position, index, item))
                if len(bucket) < self.batch_size:
                    continue
                batch = [entry[2] for entry in bucket]
                del bucket[:]
                # the state the consumer is in once it holds this batch
                self._next_position = next_position
                self._buffered = [(p, i) for b in buckets for p, i, _ in b]
                yield self.collate_fn(batch)
                if self._generation != generation:
                    break  # load_state_dict was called: restart from the loaded state
            else:
                raise RuntimeError("The training sampler ran out of indices; training samplers must be infinite.")

    def state_dict(self) -> dict[str, Any]:
        """Where the consumer is in the data stream (positions, buffered samples, seeds); small and picklable."""
        return {
            "version": _STATE_VERSION,
            "next_position": self._next_position,
            "buffered": [list(x) for x in self._buffered],
            "seed": self._base_seed,
            "sampler_seed": self._sampler_seed,
            "batch_size": self.batch_size,
            "aspect_ratio_grouping": self.aspect_ratio_grouping,
            "rank": self._rank,
            "world_size": self._world_size,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state`` (from ``state_dict()`` of a loader built the same way)."""
        if not isinstance(state, dict) or "next_position" not in state:
            raise ValueError(
                "Not a ResumableDataLoader state (no 'next_position'); it was probably saved by another loader."
            )
        for key, mine in (("batch_size", self.batch_size), ("world_size", self._world_size),
                          ("aspect_ratio_grouping", self.aspect_ratio_grouping)):  # fmt: skip
            if key in state and state[key] != mine:
                logger.warning(
                    "Data loader state was saved with %s=%s but this loader has %s: batches will not match the "
                    "uninterrupted run.", key, state[key], mine,
                )  # fmt: skip
        if state.get("rank", self._rank) != self._rank:
            logger.warning("Loading the data loader state of rank %s on rank %s.", state.get("rank"), self._rank)
        self._next_position = int(state["next_position"])
        self._buffered = [(int(p), int(i)) for p, i in state.get("buffered", [])]
        self._base_seed = int(state["seed"])
        self._positional._base_seed = self._base_seed
        self._sampler_seed = state.get("sampler_seed", self._sampler_seed)
        self._generation += 1


class NonResumableDataLoader:
    """Wraps a DataLoader over an iterable dataset; ``state_dict`` is empty and loading warns (no resume)."""

    def __init__(self, loader: data.DataLoader) -> None:
        self._loader = loader
        self.dataset = loader.dataset
        self.num_workers = loader.num_workers

    def __iter__(self) -> Iterator[Any]:
        return iterate_with_worker_errors(self._loader)

    def __len__(self) -> int:
        return len(self._loader)

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state:
            logger.warning(
                "This data loader reads an iterable dataset and cannot resume its position; data order restarts."
            )
