"""`launch`: run a main function in one or many processes (torch.multiprocessing, or under torchrun)."""

from __future__ import annotations

import datetime
import logging
import os
import socket
from typing import Any, Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from detectra.utils import comm

__all__ = ["DEFAULT_TIMEOUT", "launch"]

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)

logger = logging.getLogger(__name__)


def _find_free_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Binding to port 0 makes the OS pick a free port.
    sock.bind(("", 0))
    port = sock.getsockname()[1]
    sock.close()
    # NOTE: the port may be taken by another process before the workers bind it; rare in practice.
    return port


def _started_by_torchrun() -> bool:
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ and "LOCAL_RANK" in os.environ


def launch(
    main_func: Callable[..., Any],
    num_gpus_per_machine: int,
    num_machines: int = 1,
    machine_rank: int = 0,
    dist_url: str | None = None,
    args: tuple = (),
    timeout: datetime.timedelta = DEFAULT_TIMEOUT,
) -> None:
    """Run ``main_func(*args)`` in ``num_machines * num_gpus_per_machine`` processes.

    One process in total runs ``main_func`` inline. More are spawned with ``torch.multiprocessing``, each
    joining a process group: NCCL on GPUs, gloo on a CPU-only machine (where ``num_gpus_per_machine`` means
    "processes per machine"). Under ``torchrun`` (WORLD_SIZE / RANK / LOCAL_RANK set) nothing is spawned:
    this process joins the group with the ``env://`` rendezvous and runs ``main_func``.

    Args:
        main_func: the function to run in every process.
        num_gpus_per_machine: processes per machine (one per GPU).
        num_machines: number of machines.
        machine_rank: rank of this machine.
        dist_url: rendezvous URL, e.g. "tcp://127.0.0.1:50152"; "auto" picks a free local port (single
            machine only).
        args: arguments to ``main_func``.
        timeout: timeout of the collective operations.
    """
    if _started_by_torchrun() and not dist.is_initialized():
        _torchrun_worker(main_func, args, timeout)
        return
    world_size = num_machines * num_gpus_per_machine
    if world_size <= 1:
        main_func(*args)
        return
    if dist_url is None or dist_url == "auto":
        if num_machines != 1:
            raise ValueError(
                "dist_url='auto' only works on a single machine; pass --dist-url tcp://<machine 0 ip>:<port>."
            )
        dist_url = f"tcp://127.0.0.1:{_find_free_port()}"
    if num_machines > 1 and dist_url.startswith("file://"):
        logger.warning("file:// is not a reliable init_method in multi-machine jobs; prefer tcp://")
    mp.start_processes(
        _distributed_worker,
        nprocs=num_gpus_per_machine,
        args=(main_func, world_size, num_gpus_per_machine, machine_rank, dist_url, args, timeout),
        daemon=False,
        start_method="spawn",
    )


def _use_gpus(num_gpus_per_machine: int) -> bool:
    if not torch.cuda.is_available():
        return False
    if num_gpus_per_machine > torch.cuda.device_count():
        raise ValueError(
            f"Asked for {num_gpus_per_machine} processes per machine but only {torch.cuda.device_count()} "
            "GPUs are visible; lower --num-gpus or set CUDA_VISIBLE_DEVICES."
        )
    return True


def _distributed_worker(
    local_rank: int,
    main_func: Callable[..., Any],
    world_size: int,
    num_gpus_per_machine: int,
    machine_rank: int,
    dist_url: str,
    args: tuple,
    timeout: datetime.timedelta,
) -> None:
    use_gpus = _use_gpus(num_gpus_per_machine)
    global_rank = machine_rank * num_gpus_per_machine + local_rank
    backend = "NCCL" if use_gpus else "GLOO"
    if use_gpus:
        torch.cuda.set_device(local_rank)
    try:
        dist.init_process_group(
            backend=backend, init_method=dist_url, world_size=world_size, rank=global_rank, timeout=timeout
        )
    except Exception as e:
        logger.error(f"Process group URL: {dist_url}")
        raise e
    # Torchrun-style variables, so code that reads them (or a nested launch) sees a consistent picture.
    os.environ.setdefault("LOCAL_RANK", str(local_rank))
    os.environ.setdefault("LOCAL_WORLD_SIZE", str(num_gpus_per_machine))
    _run_in_process_group(main_func, args, num_gpus_per_machine)


def _torchrun_worker(main_func: Callable[..., Any], args: tuple, timeout: datetime.timedelta) -> None:
    local_rank = int(os.environ["LOCAL_RANK"])
    local_world_size = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"]))
    use_gpus = torch.cuda.is_available() and torch.cuda.device_count() >= local_world_size
    if use_gpus:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend="nccl" if use_gpus else "gloo", init_method="env://", timeout=timeout)
    _run_in_process_group(main_func, args, local_world_size)


def _run_in_process_group(main_func: Callable[..., Any], args: tuple, local_world_size: int) -> None:
    """Run ``main_func(*args)`` in the initialized process group, then tear the group down (also on errors)."""
    comm.create_local_process_group(local_world_size)
    comm.synchronize()
    try:
        main_func(*args)
    finally:
        dist.destroy_process_group()
        comm._reset_local_process_group()
