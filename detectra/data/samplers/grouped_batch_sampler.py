"""Batch sampler that only puts items of the same group (e.g. aspect-ratio bucket) in a batch."""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
from torch.utils.data.sampler import BatchSampler, Sampler

__all__ = ["GroupedBatchSampler"]


class GroupedBatchSampler(BatchSampler):
    """Wrap a sampler to yield mini-batches whose items all share one group id.

    Indices are taken from ``sampler`` in order and held per group until the group has ``batch_size`` of them,
    so batch order follows the sampler as closely as grouping allows.
    """

    def __init__(self, sampler: Sampler, group_ids: Sequence[int], batch_size: int) -> None:
        """
        Args:
            sampler: yields dataset indices.
            group_ids: group id (non-negative int) of every dataset index.
            batch_size: items per batch.
        """
        if not isinstance(sampler, Sampler):
            raise ValueError(f"sampler should be a torch Sampler, got {type(sampler).__name__}.")
        self.sampler = sampler
        self.group_ids = np.asarray(group_ids)
        if self.group_ids.ndim != 1:
            raise ValueError("group_ids must be a 1-D sequence with one group id per dataset index.")
        self.batch_size = batch_size
        groups = np.unique(self.group_ids).tolist()
        self.buffer_per_group: dict[int, list[int]] = {k: [] for k in groups}

    def __iter__(self) -> Iterator[list[int]]:
        for idx in self.sampler:
            group_buffer = self.buffer_per_group[int(self.group_ids[idx])]
            group_buffer.append(idx)
            if len(group_buffer) == self.batch_size:
                yield group_buffer[:]
                del group_buffer[:]

    def __len__(self) -> int:
        raise NotImplementedError("len() of GroupedBatchSampler is not well-defined.")
