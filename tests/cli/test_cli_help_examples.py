"""The R-50 example of `detectra train --help` trains on one's own data, and the example it replaced (frozen BN
without pretrained weights) fails with a message that names the causes and the fix."""
from __future__ import annotations

import json
import shlex

import pytest
from cli_testlib import shortcut_args

from detectra.cli import main
from detectra.cli.train import EPILOG

# Small inputs and batch so that a few R-50 iterations take seconds on a CPU.
SMALL = ["INPUT.MIN_SIZE_TRAIN", "(96,)", "INPUT.MAX_SIZE_TRAIN", "128", "SOLVER.IMS_PER_BATCH", "2",
         "DATALOADER.NUM_WORKERS", "0", "--num-vis", "0", "--no-plots"]  # fmt: skip


def _help_example(config: str) -> list[str]:
    """The words of the epilog example that uses ``config``, without the program name and data flags."""
    lines = EPILOG.replace("\\\n", " ").splitlines()
    words = shlex.split(next(line for line in lines if config in line))
    words = words[1:]  # without "detectra"
    for flag in ("--train-json", "--train-images", "--val-json", "--val-images"):
        if flag in words:
            i = words.index(flag)
            del words[i : i + 2]
    return words


@pytest.mark.slow
def test_r50_help_example_trains_and_frozen_bn_from_scratch_explains_itself(tiny_shapes, tmp_path, capsys):
    example = _help_example("COCO-Detection/faster_rcnn_R_50_FPN_1x")
    assert "MODEL.RESNETS.NORM BN" in " ".join(example)  # trainable norms: it starts from scratch
    data = shortcut_args(tiny_shapes)[:4]  # train split only, as in the example
    out = tmp_path / "ok"
    assert main([*example, *data, "--output-dir", str(out), *SMALL, "SOLVER.MAX_ITER", "10"]) == 0
    losses = [json.loads(x)["total_loss"] for x in (out / "metrics.json").read_text().splitlines()
              if "total_loss" in x]  # fmt: skip
    assert losses and all(loss == loss and loss < 10 for loss in losses)  # finite, not exploding

    capsys.readouterr()
    bad = ["train", "--config-file", "COCO-Detection/faster_rcnn_R_50_FPN_1x", 'MODEL.WEIGHTS', "", *data,
           "--output-dir", str(tmp_path / "bad"), *SMALL, "SOLVER.MAX_ITER", "20"]  # fmt: skip
    assert main(bad) == 1
    err = capsys.readouterr().err.strip()
    assert "training diverged" in err and "\n" not in err
    assert "frozen BatchNorm" in err and "MODEL.WEIGHTS is empty" in err and "MODEL.RESNETS.NORM BN" in err
    assert "SOLVER.BASE_LR 0.005" in err  # a quarter of the config's 0.02


def test_divergence_message_blames_frozen_norms_only_when_the_model_says_so():
    from detectra.cli.train import divergence_message
    from detectra.config import get_cfg

    cfg = get_cfg()  # FrozenBN backbone; the config alone cannot tell whether its norms were loaded
    cfg.MODEL.WEIGHTS = ""
    error = FloatingPointError("Loss became infinite or NaN at iteration=3!\nmore")
    loaded = divergence_message(cfg, error, untrained_norms=False)
    assert "frozen BatchNorm" not in loaded and "(1) the learning rate" in loaded
    untrained = divergence_message(cfg, error, untrained_norms=True)
    assert "(1) frozen BatchNorm" in untrained and "MODEL.WEIGHTS is empty" in untrained and "\n" not in untrained
    cfg.MODEL.WEIGHTS = "model.pth"
    assert "none were loaded into them" in divergence_message(cfg, error, untrained_norms=True)
