"""Multi-process training through `launch` (gloo on CPU), compared with a single process."""

import os
import subprocess
import sys

import pytest
import torch

from detectra.engine import launch
from detectra.engine.launch import _find_free_port

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_script.py")


def _run(out, *extra):
    cmd = [sys.executable, SCRIPT, "--output-dir", str(out), "--max-iter", "3", "--deterministic",
           "--grad-file", str(out) + ".grads.pth", *extra]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_two_process_gloo_ddp_matches_single_process(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    p1 = _run(one, "--num-gpus", "1")
    p2 = _run(two, "--num-gpus", "2", "--dist-url", "auto")
    out2 = p2.communicate(timeout=400)[0]
    out1 = p1.communicate(timeout=400)[0]
    assert p1.returncode == 0, out1[-3000:]
    assert p2.returncode == 0, out2[-3000:]
    assert "World size: 2" in (two / "log.txt").read_text()

    g1 = torch.load(str(one) + ".grads.pth", weights_only=True)
    g2 = torch.load(str(two) + ".grads.pth", weights_only=True)
    assert g1.keys() == g2.keys()
    for k in g1:
        # Same total batch of 4: DDP averages the two ranks' gradients of 2 images each.
        torch.testing.assert_close(g2[k], g1[k], rtol=1e-5, atol=1e-6)

    # Checkpoints come from rank 0 only: rank 1 logs no save.
    assert "Saving checkpoint" in (two / "log.txt").read_text()
    assert "Saving checkpoint" not in (two / "log.txt.rank1").read_text()
    ckpt = torch.load(two / "model_final.pth", weights_only=True)
    assert ckpt["iteration"] == 2 and len(ckpt["trainer"]["rng_states"]) == 2
    # Each rank reads its own shard: the checkpoint keeps both ranks' loader positions.
    loader_states = ckpt["data_loader"]["per_rank"]
    assert [st["rank"] for st in loader_states] == [0, 1] and all(st["world_size"] == 2 for st in loader_states)


def _record_world(path):
    import torch.distributed as dist

    from detectra.utils import comm

    with open(path, "w") as f:
        f.write(f"{comm.get_world_size()} {comm.get_rank()} {comm.get_local_rank()} {comm.get_local_size()} ")
        f.write(f"{dist.is_initialized()} {dist.get_backend() if dist.is_initialized() else ''}")


def test_launch_single_process_runs_inline(tmp_path):
    path = tmp_path / "w.txt"
    launch(_record_world, 1, args=(str(path),))
    assert path.read_text() == "1 0 0 1 False "


def test_launch_under_torchrun_joins_env_rendezvous(tmp_path, monkeypatch):
    # What torchrun exports for a one-process job; launch must not spawn but join with env://.
    for k, v in {"WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1",
                 "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_find_free_port())}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    path = tmp_path / "w.txt"
    launch(_record_world, 4, args=(str(path),))  # num_gpus is ignored: torchrun decided the world
    assert path.read_text() == "1 0 0 1 True gloo"
    import torch.distributed as dist

    assert not dist.is_initialized()


def test_find_free_port_is_bindable():
    import socket

    port = _find_free_port()
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.close()
