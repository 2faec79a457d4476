"""Training and inference samplers, sharded across ranks, with a resumable position.

Training samplers are infinite streams of dataset indices. The stream of rank ``r`` out of ``W`` is the global
stream's items ``r, r + W, r + 2W, ...``. The global stream is a sequence of epochs whose order depends only on
``(seed, epoch)``, so the stream can restart at any position without replaying it: ``state_dict()`` holds the
seed and the number of indices this rank has produced, ``load_state_dict()`` makes the next ``__iter__`` continue
from there.
"""
from __future__ import annotations

import logging
import math
from collections import defaultdict
from typing import Any, Iterator, Optional

import torch
from torch.utils.data.sampler import Sampler

from detectra.utils import comm

__all__ = [
    "TrainingSampler",
    "RandomSubsetTrainingSampler",
    "RepeatFactorTrainingSampler",
    "InferenceSampler",
    "repeat_factors_from_category_frequency",
]

logger = logging.getLogger(__name__)


def _epoch_generator(seed: int, epoch: int) -> torch.Generator:
    # Golden-ratio stride keeps (seed, epoch) pairs from colliding for any realistic seed / epoch.
    return torch.Generator().manual_seed((seed + epoch * 0x9E3779B97F4A7C15) % (2**63))


class _ResumableStreamSampler(Sampler[int]):
    """Base class: an infinite rank-sharded stream built from per-epoch index lists."""

    def __init__(self, seed: Optional[int]) -> None:
        self._seed = int(comm.shared_random_seed() if seed is None else seed)
        self._rank = comm.get_rank()
        self._world_size = comm.get_world_size()
        self._start = 0  # local position the next __iter__ starts at
        self._position = 0  # local position after the last index yielded

    @property
    def seed(self) -> int:
        """The seed of the index order (the same on every rank)."""
        return self._seed

    def _epoch_indices(self, epoch: int) -> torch.Tensor:
        """The global index order of one epoch (1-D int64 tensor); must depend only on (seed, epoch)."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        self._position = self._start
        global_pos = self._rank + self._start * self._world_size
        epoch = 0
        epoch_len = len(self._epoch_indices(0)) if global_pos else None
        # find the epoch holding global_pos (epochs may differ in length, e.g. with repeat factors)
        while epoch_len is not None and global_pos >= epoch_len:
            global_pos -= epoch_len
            epoch += 1
            epoch_len = len(self._epoch_indices(epoch))
        offset = global_pos
        while True:
            indices = self._epoch_indices(epoch).tolist()
            while offset < len(indices):
                self._position += 1
                yield indices[offset]
                offset += self._world_size
            offset -= len(indices)
            epoch += 1

    def state_dict(self) -> dict[str, Any]:
        """{"seed", "position"} where position counts the indices this rank has yielded."""
        return {"seed": self._seed, "position": self._position, "world_size": self._world_size}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Make the next ``__iter__`` continue the stream described by ``state``."""
        if state.get("world_size", self._world_size) != self._world_size:
            logger.warning(
                "Sampler state was saved with world size %s, now %s: the data order will not match exactly.",
                state.get("world_size"), self._world_size,
            )  # fmt: skip
        self._seed = int(state["seed"])
        self._start = self._position = int(state["position"])


class TrainingSampler(_ResumableStreamSampler):
    """Infinite stream of indices in ``[0, size)``, reshuffled every epoch, sharded by rank.

    Use it (not a per-epoch sampler) for iteration-based training: every rank sees a disjoint share of every
    epoch and no rank waits for an epoch boundary.
    """

    def __init__(self, size: int, shuffle: bool = True, seed: Optional[int] = None) -> None:
        """
        Args:
            size: dataset length.
            shuffle: reshuffle every epoch (else 0..size-1 repeated).
            seed: shuffling seed, the same on every rank; None draws one with ``comm.shared_random_seed()``.
        """
        if not isinstance(size, int) or size <= 0:
            raise ValueError(f"TrainingSampler(size={size!r}): the dataset must hold at least one item.")
        self._size = size
        self._shuffle = shuffle
        super().__init__(seed)

    def _epoch_indices(self, epoch: int) -> torch.Tensor:
        if self._shuffle:
            return torch.randperm(self._size, generator=_epoch_generator(self._seed, epoch))
        return torch.arange(self._size)


class RandomSubsetTrainingSampler(TrainingSampler):
    """Like ``TrainingSampler`` but over a fixed random subset of ``subset_ratio * size`` indices."""

    def __init__(self, size: int, subset_ratio: float, shuffle: bool = True, seed_shuffle: Optional[int] = None,
                 seed_subset: Optional[int] = None) -> None:  # fmt: skip
        """
        Args:
            size: dataset length.
            subset_ratio: fraction of the dataset to use, in (0, 1].
            shuffle: reshuffle the subset every epoch.
            seed_shuffle: seed of the shuffling (None: shared random seed).
            seed_subset: seed of the subset choice (None: shared random seed).
        """
        if not 0.0 < subset_ratio <= 1.0:
            raise ValueError(f"RandomSubsetTrainingSampler: subset_ratio must be in (0, 1], got {subset_ratio}.")
        super().__init__(size, shuffle, seed_shuffle)
        self._size_subset = max(1, int(size * subset_ratio))
        seed_subset = int(comm.shared_random_seed() if seed_subset is None else seed_subset)
        g = torch.Generator().manual_seed(seed_subset)
        self._indexes_subset = torch.randperm(size, generator=g)[: self._size_subset]
        logger.info("Using RandomSubsetTrainingSampler: %d of %d images.", self._size_subset, size)

    def _epoch_indices(self, epoch: int) -> torch.Tensor:
        if self._shuffle:
            perm = torch.randperm(self._size_subset, generator=_epoch_generator(self._seed, epoch))
            return self._indexes_subset[perm]
        return self._indexes_subset


def repeat_factors_from_category_frequency(
    dataset_dicts: list[dict], repeat_thresh: float, sqrt: bool = True
) -> torch.Tensor:
    """Per-image repeat factors for class-balanced (LVIS-style) sampling.

    A category seen in a fraction ``f`` of images gets ``r = max(1, sqrt(t / f))`` (``t / f`` without sqrt);
    an image gets the largest ``r`` of its categories (1 if it has no annotations).

    Returns:
        Tensor[N] float32: repeat factor of each image.
    """
    category_freq: dict[int, float] = defaultdict(int)
    for d in dataset_dicts:
        for cat_id in {ann["category_id"] for ann in d.get("annotations", [])}:
            category_freq[cat_id] += 1
    num_images = len(dataset_dicts)
    category_rep = {}
    for cat_id, count in category_freq.items():
        ratio = repeat_thresh / (count / num_images)
        category_rep[cat_id] = max(1.0, math.sqrt(ratio) if sqrt else ratio)
    rep_factors = [
        max((category_rep[ann["category_id"]] for ann in d.get("annotations", [])), default=1.0)
        for d in dataset_dicts
    ]
    return torch.tensor(rep_factors, dtype=torch.float32)


class RepeatFactorTrainingSampler(_ResumableStreamSampler):
    """Infinite stream in which image ``i`` appears ``repeat_factors[i]`` times per epoch on average
    (stochastic rounding each epoch), for class-balanced sampling of long-tailed datasets (LVIS)."""

    def __init__(self, repeat_factors: torch.Tensor, *, shuffle: bool = True, seed: Optional[int] = None) -> None:
        """
        Args:
            repeat_factors (Tensor[N] float): per-image repeat factors, e.g. from
                ``repeat_factors_from_category_frequency``.
            shuffle: shuffle each epoch.
            seed: seed, the same on every rank (None: shared random seed).
        """
        repeat_factors = torch.as_tensor(repeat_factors, dtype=torch.float32)
        if repeat_factors.ndim != 1 or len(repeat_factors) == 0 or bool((repeat_factors < 0).any()):
            raise ValueError("RepeatFactorTrainingSampler needs a non-empty 1-D tensor of non-negative factors.")
        self._int_part = torch.trunc(repeat_factors)
        self._frac_part = repeat_factors - self._int_part
        self._shuffle = shuffle
        super().__init__(seed)

    repeat_factors_from_category_frequency = staticmethod(repeat_factors_from_category_frequency)

    def _epoch_indices(self, epoch: int) -> torch.Tensor:
        g = _epoch_generator(self._seed, epoch)
        rands = torch.rand(len(self._frac_part), generator=g)
        reps = (self._int_part + (rands < self._frac_part).float()).long()
        indices = torch.repeat_interleave(torch.arange(len(reps)), reps)
        if len(indices) == 0:  # all factors < 1 and unlucky draws: fall back to one pass over the data
            indices = torch.arange(len(reps))
        if self._shuffle:
            indices = indices[torch.randperm(len(indices), generator=g)]
        return indices


class InferenceSampler(Sampler[int]):
    """Every index of ``[0, size)`` exactly once over all ranks; each rank gets a contiguous shard.

    Shard sizes differ by at most one, so inference on rank ``r`` covers ``[begin_r, end_r)``.
    """

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"InferenceSampler(size={size}) needs size >= 0.")
        self._size = size
        self._rank = comm.get_rank()
        self._world_size = comm.get_world_size()
        self._local_indices = self._get_local_indices(size, self._world_size, self._rank)

    @staticmethod
    def _get_local_indices(total_size: int, world_size: int, rank: int) -> range:
        shard_size = total_size // world_size
        left = total_size % world_size
        shard_sizes = [shard_size + int(r < left) for r in range(world_size)]
        begin = sum(shard_sizes[:rank])
        end = min(sum(shard_sizes[: rank + 1]), total_size)
        return range(begin, end)

    def __iter__(self) -> Iterator[int]:
        yield from self._local_indices

    def __len__(self) -> int:
        return len(self._local_indices)


