"""Exact resume: a run killed with SIGKILL and resumed with --resume ends like an uninterrupted run."""

import os
import sys

import pytest
import torch
from engine_testlib import metrics_by_iter, run_killed_and_resumed

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_script.py")
MAX_ITER = 10  # checkpoints after iterations 3 and 7 (CHECKPOINT_PERIOD 4) and model_final at 9


def _cmd(out, shapes_dir, *extra):
    return [sys.executable, SCRIPT, "--output-dir", str(out), "--workers", "2", "--max-iter", str(MAX_ITER),
            "--shapes-dir", str(shapes_dir), *extra]  # fmt: skip


@pytest.mark.slow
def test_killed_and_resumed_run_matches_uninterrupted_run(tmp_path):
    """A small Faster R-CNN (R-18-FPN, trainable BN) trained by the default DefaultTrainer on a COCO json, with
    2 loader workers, random resizing + flips and aspect-ratio grouping."""
    from detectra.data.datasets.shapes import generate_shapes

    shapes = tmp_path / "shapes"
    generate_shapes(str(shapes), num_images=12, image_size=(80, 128), seed=3)
    full, killed = tmp_path / "full", tmp_path / "killed"
    run_killed_and_resumed(lambda out, *extra: _cmd(out, shapes, *extra), full, killed)

    a = torch.load(full / "model_final.pth", weights_only=True)
    b = torch.load(killed / "model_final.pth", weights_only=True)
    # Raw (unsmoothed) losses of every iteration, kept in the trainer's event-storage state.
    raw_a = a["trainer"]["storage"]["histories"]["total_loss"]["data"]
    raw_b = b["trainer"]["storage"]["histories"]["total_loss"]["data"]
    assert raw_a == raw_b
    assert a["model"].keys() == b["model"].keys()
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert a["data_loader"] == b["data_loader"]

    ma, mb = metrics_by_iter(full / "metrics.json"), metrics_by_iter(killed / "metrics.json")
    assert sorted(ma) == sorted(mb) == list(range(MAX_ITER))
    compared = ["total_loss", "loss_cls", "loss_box_reg", "loss_rpn_cls", "loss_rpn_loc", "lr"]
    for it in range(MAX_ITER):
        for key in compared:
            assert ma[it][key] == mb[it][key], (it, key)
