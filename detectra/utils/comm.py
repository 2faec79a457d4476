"""Helpers for multi-process (distributed) training.

Every function works with a single process and without ``torch.distributed`` initialised, so the
same code runs in tests, in a notebook and under ``launch`` / ``torchrun``.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import numpy as np
import torch
import torch.distributed as dist

__all__ = [
    "all_gather",
    "create_local_process_group",
    "gather",
    "get_local_process_group",
    "get_local_rank",
    "get_local_size",
    "get_rank",
    "get_world_size",
    "is_main_process",
    "reduce_dict",
    "shared_random_seed",
    "synchronize",
]

# Process group of the processes on this machine; set by `create_local_process_group` (called by launch).
_LOCAL_PROCESS_GROUP: dist.ProcessGroup | None = None
_MISSING_LOCAL_PG_ERROR = (
    "Local process group is not yet created! Please use detectra's `launch()` to start processes and "
    "initialize pytorch process group. If you need to start processes in other ways, please call "
    "comm.create_local_process_group(num_workers_per_machine) after calling "
    "torch.distributed.init_process_group()."
)


def _dist_ready() -> bool:
    return dist.is_available() and dist.is_initialized()


def get_world_size() -> int:
    """Number of processes in the default process group (1 when not distributed)."""
    return dist.get_world_size() if _dist_ready() else 1


def get_rank() -> int:
    """Rank of this process in the default process group (0 when not distributed)."""
    return dist.get_rank() if _dist_ready() else 0


@functools.lru_cache
def create_local_process_group(num_workers_per_machine: int) -> None:
    """Create the group of processes on this machine (all processes must call it, in the same order).

    Assumes ranks are laid out machine by machine: machine ``i`` holds ranks
    ``[i * num_workers_per_machine, (i + 1) * num_workers_per_machine)``.

    Args:
        num_workers_per_machine: processes per machine.
    """
    global _LOCAL_PROCESS_GROUP
    if _LOCAL_PROCESS_GROUP is not None:
        raise RuntimeError("create_local_process_group() was already called in this process")
    world_size = get_world_size()
    if world_size % num_workers_per_machine != 0:
        raise ValueError(
            f"world size {world_size} is not a multiple of num_workers_per_machine={num_workers_per_machine}"
        )
    num_machines = world_size // num_workers_per_machine
    machine_rank = get_rank() // num_workers_per_machine
    for i in range(num_machines):
        ranks = list(range(i * num_workers_per_machine, (i + 1) * num_workers_per_machine))
        # new_group is collective: every process creates every group, keeps its own.
        group = dist.new_group(ranks)
        if i == machine_rank:
            _LOCAL_PROCESS_GROUP = group


def _reset_local_process_group() -> None:
    """Forget the local group (after ``destroy_process_group``), so a later launch in this process can
    create a new one."""
    global _LOCAL_PROCESS_GROUP
    _LOCAL_PROCESS_GROUP = None
    create_local_process_group.cache_clear()
    _get_global_gloo_group.cache_clear()


def get_local_process_group() -> dist.ProcessGroup:
    """The process group holding the processes on this machine (see `create_local_process_group`)."""
    if _LOCAL_PROCESS_GROUP is None:
        raise RuntimeError(_MISSING_LOCAL_PG_ERROR)
    return _LOCAL_PROCESS_GROUP


def _on_this_machine(query: Callable[..., int], torchrun_variable: str, global_value: Callable[[], int]) -> int:
    """``query(group=...)`` on the local process group. Started without `launch` (e.g. by torchrun), there is no
    such group: the variable torchrun exports, else ``global_value()``, which is also the answer when not
    distributed."""
    if not _dist_ready():
        return global_value()
    if _LOCAL_PROCESS_GROUP is None:
        return int(os.environ.get(torchrun_variable, global_value()))
    return query(group=_LOCAL_PROCESS_GROUP)


def get_local_size() -> int:
    """Number of processes on this machine (1 when not distributed)."""
    return _on_this_machine(dist.get_world_size, "LOCAL_WORLD_SIZE", get_world_size)


def get_local_rank() -> int:
    """Rank of this process among the processes on this machine (0 when not distributed)."""
    return _on_this_machine(dist.get_rank, "LOCAL_RANK", get_rank)


def is_main_process() -> bool:
    """True for global rank 0 (the process that writes files)."""
    return get_rank() == 0


def synchronize() -> None:
    """Barrier across all processes; a no-op with one process."""
    if not _dist_ready() or dist.get_world_size() == 1:
        return
    if dist.get_backend() == dist.Backend.NCCL and torch.cuda.is_available():
        # Tell NCCL which device this rank uses, so the barrier does not guess (and hang).
        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()


@functools.lru_cache
def _get_global_gloo_group() -> dist.ProcessGroup:
    """A gloo group over all ranks: pickled python objects are gathered on CPU, whatever the backend."""
    if dist.get_backend() == dist.Backend.NCCL:
        return dist.new_group(backend="gloo")
    return dist.group.WORLD


def all_gather(data: Any, group: dist.ProcessGroup | None = None) -> list[Any]:
    """Gather any picklable object from every rank.

    Args:
        data: a picklable object.
        group: process group to gather in; default: a gloo group over all ranks.

    Returns:
        list with one entry per rank of ``group``, in rank order.
    """
    if get_world_size() == 1:
        return [data]
    if group is None:
        group = _get_global_gloo_group()
    world_size = dist.get_world_size(group)
    if world_size == 1:
        return [data]
    output: list[Any] = [None] * world_size
    dist.all_gather_object(output, data, group=group)
    return output


def gather(data: Any, dst: int = 0, group: dist.ProcessGroup | None = None) -> list[Any]:
    """Gather any picklable object on rank ``dst``.

    Args:
        data: a picklable object.
        dst: destination rank (global rank).
        group: process group; default: a gloo group over all ranks.

    Returns:
        on rank ``dst``, the list of objects from every rank; elsewhere an empty list.
    """
    if get_world_size() == 1:
        return [data]
    if group is None:
        group = _get_global_gloo_group()
    world_size = dist.get_world_size(group=group)
    if world_size == 1:
        return [data]
    if dist.get_rank() == dst:
        output: list[Any] = [None] * world_size
        dist.gather_object(data, output, dst=dst, group=group)
        return output
    dist.gather_object(data, None, dst=dst, group=group)
    return []


def shared_random_seed() -> int:
    """A random int in [0, 2**31) that is the same on every rank (rank 0's draw, broadcast).

    All ranks must call it.
    """
    ints = np.random.randint(2**31)
    return int(all_gather(ints)[0])


def reduce_dict(input_dict: dict[str, torch.Tensor], average: bool = True) -> dict[str, torch.Tensor]:
    """Reduce scalar tensors from every rank; only rank 0 gets the result.

    Args:
        input_dict: name -> scalar tensor; every rank must pass the same keys.
        average: average (True) or sum (False) the values.

    Returns:
        dict with the same keys; on rank 0 the reduced values, on other ranks partial values.
    """
    world_size = get_world_size()
    if world_size < 2:
        return input_dict
    with torch.no_grad():
        # Sort the keys so every rank stacks the values in the same order.
        names = sorted(input_dict.keys())
        values = torch.stack([input_dict[k] for k in names], dim=0)
        dist.reduce(values, dst=0)
        if dist.get_rank() == 0 and average:
            values /= world_size
        return dict(zip(names, values))

