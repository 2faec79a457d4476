"""A run SIGKILLed in the middle of checkpoint saves, again and again, still resumes bit-exactly, from a
last_checkpoint that always loads, and leaves no temporary file behind."""

import os
import signal
import subprocess
import sys

import pytest
import torch

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_script.py")
MAX_ITER = 16  # a checkpoint every 2 iterations, then model_final
# (which save of the process, where in it): inside the .pth, between the .pth and last_checkpoint, inside
# last_checkpoint; each try resumes from what the previous one left.
KILLS = ["2:model", "2:last", "1:tag", "1:model", "1:last", "2:tag"]


def _cmd(out, *extra):
    return [sys.executable, SCRIPT, "--output-dir", str(out), "--max-iter", str(MAX_ITER), *extra,
            "SOLVER.CHECKPOINT_PERIOD", "2"]  # fmt: skip


def _temp_files(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".tmp"))


@pytest.mark.slow
def test_kills_during_saves_leave_a_loadable_checkpoint_and_resume_exactly(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    full, killed = tmp_path / "full", tmp_path / "killed"
    p_full = subprocess.Popen(_cmd(full), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    litter_seen = 0
    for k, kill in enumerate(KILLS):
        before = _temp_files(killed) if killed.exists() else []
        res = subprocess.run(_cmd(killed, "--die-in-save", kill, *(["--resume"] if k else [])), env=env,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert res.returncode == -signal.SIGKILL, (kill, res.stdout[-2000:] + res.stderr[-2000:])
        # the litter of the try before was removed when this one resumed
        assert not set(before) & set(_temp_files(killed)), kill
        litter_seen += bool(_temp_files(killed))
        last = (killed / "last_checkpoint").read_text()
        ckpt = torch.load(killed / last, map_location="cpu", weights_only=True)
        assert "model" in ckpt and "iteration" in ckpt, kill
    assert litter_seen >= 4  # kills inside a write did leave temporary files to clean up

    res = subprocess.run(_cmd(killed, "--resume"), env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert p_full.wait(timeout=120) == 0, p_full.stdout.read().decode()[-3000:]
    assert _temp_files(killed) == []

    a = torch.load(full / "model_final.pth", weights_only=True)
    b = torch.load(killed / "model_final.pth", weights_only=True)
    assert a["iteration"] == b["iteration"] == MAX_ITER - 1
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    raw_a = a["trainer"]["storage"]["histories"]["total_loss"]["data"]
    raw_b = b["trainer"]["storage"]["histories"]["total_loss"]["data"]
    assert raw_a == raw_b
