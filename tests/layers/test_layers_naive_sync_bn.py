"""NaiveSyncBatchNorm across two CPU (gloo) processes equals BatchNorm over the combined batch."""
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from detectra.layers import NaiveSyncBatchNorm


def _worker(rank: int, init_file: str, stats_mode: str, result_file: str) -> None:
    torch.set_num_threads(1)  # as DataLoader workers do: a forked child must not reuse the parent's thread pool
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        full = torch.randn(6, 3, 4, 4)
        # unequal per-worker batches: 2 and 4 images
        local = full[:2] if rank == 0 else full[2:]
        bn = NaiveSyncBatchNorm(3, stats_mode=stats_mode).train()
        x = local.clone().requires_grad_(True)
        out = bn(x)
        out.sum().backward()
        if rank == 1:
            torch.save({"out": out.detach(), "mean": bn.running_mean, "var": bn.running_var}, result_file)
    finally:
        dist.destroy_process_group()


def test_naive_sync_bn_two_processes(tmp_path):
    result = tmp_path / "result.pt"
    # fork: spawning would re-import torch in each child (tens of seconds on a loaded machine)
    mp.start_processes(
        _worker, args=(str(tmp_path / "init"), "N", str(result)), nprocs=2, join=True, start_method="fork"
    )
    got = torch.load(result)

    torch.manual_seed(0)
    full = torch.randn(6, 3, 4, 4)
    ref_bn = nn.BatchNorm2d(3).train()
    ref = ref_bn(full)
    # stats_mode "N" weighs workers by batch size: identical to BN over all 6 images (running var aside, which BN
    # keeps unbiased)
    torch.testing.assert_close(got["out"], ref[2:], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got["mean"], ref_bn.running_mean, atol=1e-6, rtol=1e-5)
