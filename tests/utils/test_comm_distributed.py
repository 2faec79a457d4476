"""comm helpers across two real gloo processes started by `launch`."""

import torch

from detectra.engine.launch import launch
from detectra.utils import comm


def _worker(out_dir):
    import numpy as np

    rank = comm.get_rank()
    np.random.seed(100 + rank)  # different local draws: shared_random_seed must still agree
    result = {
        "world": (comm.get_world_size(), rank, comm.get_local_rank(), comm.get_local_size(), comm.is_main_process()),
        "all_gather": comm.all_gather({"rank": rank, "sq": rank * rank}),
        "gather": comm.gather(rank + 10, dst=0),
        "seed": comm.shared_random_seed(),
        "reduced": {k: float(v) for k, v in comm.reduce_dict(
            {"b": torch.tensor(float(rank + 1)), "a": torch.tensor(10.0 * (rank + 1))}).items()},  # fmt: skip
        "summed": {k: float(v) for k, v in comm.reduce_dict({"a": torch.tensor(1.0)}, average=False).items()},
    }
    comm.synchronize()
    torch.save(result, f"{out_dir}/rank{rank}.pth")


def test_comm_with_two_gloo_processes(tmp_path):
    launch(_worker, 2, dist_url="auto", args=(str(tmp_path),))
    r0 = torch.load(tmp_path / "rank0.pth", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pth", weights_only=True)
    assert r0["world"] == (2, 0, 0, 2, True) and r1["world"] == (2, 1, 1, 2, False)
    assert r0["all_gather"] == r1["all_gather"] == [{"rank": 0, "sq": 0}, {"rank": 1, "sq": 1}]
    assert r0["gather"] == [10, 11] and r1["gather"] == []
    assert r0["seed"] == r1["seed"]
    assert r0["reduced"] == {"a": 15.0, "b": 1.5}  # rank 0 holds the mean over ranks
    assert r0["summed"] == {"a": 2.0}
