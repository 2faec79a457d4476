"""A failed command damages nothing: every failing run below leaves the finished run's folder byte-for-byte as it
was (hashed before and after), and says in one line what is wrong, in which file, and what to do."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil

import numpy as np
import pytest
from cli_testlib import TINY_OPTS
from PIL import Image

from detectra.cli import main

CONFIG = "shapes/faster_rcnn_R_18_FPN"
FAST = ["--num-vis", "0", "--no-plots", *TINY_OPTS, "SOLVER.CHECKPOINT_PERIOD", "2"]


def _train_args(tiny, out, json_file=None):
    return ["train", "--config-file", CONFIG, "--output-dir", str(out), "--train-json",
            str(json_file or tiny["train_json"]), "--train-images", str(tiny["train_images"])]  # fmt: skip


@pytest.fixture(scope="module")
def finished_run(tiny_shapes, tmp_path_factory):
    """A finished 3-iteration run (checkpoints after iterations 1 and 2), trained on the train split only."""
    out = tmp_path_factory.mktemp("finished") / "run"
    assert main([*_train_args(tiny_shapes, out), *FAST]) == 0
    assert (out / "last_checkpoint").read_text() == "model_final.pth"
    return out


@pytest.fixture
def run_copy(finished_run, tmp_path):
    dest = tmp_path / "run"
    shutil.copytree(finished_run, dest)
    return dest


def _digest(folder) -> dict[str, str]:
    """Path -> content hash and mode of every file below ``folder``."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = f"{hashlib.sha256(f.read()).hexdigest()} {os.stat(path).st_mode:o}"
    return out


def _fails_without_touching(argv, folder, capsys) -> str:
    """Run ``argv``; it must exit 1 with one error line and leave ``folder`` as it was. Returns the line."""
    before = _digest(folder)
    capsys.readouterr()
    assert main(argv) == 1
    # (lines of the command itself: a log handler an earlier test bound to a capture pytest has closed since
    # complains on stderr too)
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("detectra ")]
    assert _digest(folder) == before
    assert len(err) == 1 and ": error: " in err[0], err
    return err[0]


def test_fresh_run_refused_in_a_finished_run(finished_run, tiny_shapes, capsys):
    line = _fails_without_touching([*_train_args(tiny_shapes, finished_run), *FAST], finished_run, capsys)
    assert f"'{finished_run}' already holds a finished run (model_final.pth)" in line
    assert "--resume" in line and "--overwrite" in line


def test_overwrite_validates_before_clearing(run_copy, tiny_shapes, tmp_path, capsys):
    data = json.loads(tiny_shapes["train_json"].read_text())
    data["images"][1]["id"] = data["images"][0]["id"]
    bad = tmp_path / "duplicate_ids.json"
    bad.write_text(json.dumps(data))
    line = _fails_without_touching([*_train_args(tiny_shapes, run_copy, bad), "--overwrite", *FAST], run_copy, capsys)
    first = data["images"][0]
    assert str(bad) in line and f"image id {first['id']!r} is used by two images" in line
    assert first["file_name"] in line and data["images"][1]["file_name"] in line


class _Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_proposal_file_in_a_yaml_config_cannot_run_code(run_copy, tiny_shapes, tmp_path, capsys):
    from detectra.model_zoo import get_config_file

    marker = tmp_path / "pwned"
    payload = tmp_path / "proposals.pkl"
    with open(payload, "wb") as f:
        pickle.dump({"ids": [1], "boxes": [_Payload(marker)], "objectness_logits": [np.zeros(1)]}, f)
    config = tmp_path / "proposals.yaml"
    config.write_text(f"_BASE_: {get_config_file(CONFIG + '.yaml')}\nMODEL:\n  LOAD_PROPOSALS: true\n"
                      f"  PROPOSAL_GENERATOR:\n    NAME: PrecomputedProposals\nDATASETS:\n"
                      f"  PROPOSAL_FILES_TRAIN: ['{payload}']\n")  # fmt: skip
    argv = ["train", "--config-file", str(config), "--output-dir", str(run_copy), "--overwrite", "--train-json",
            str(tiny_shapes["train_json"]), "--train-images", str(tiny_shapes["train_images"]), *FAST]  # fmt: skip
    line = _fails_without_touching(argv, run_copy, capsys)
    assert not marker.exists()
    assert f"Refusing to load '{payload}'" in line and "posix.mkdir" in line


def test_resume_after_the_class_count_changed(run_copy, tiny_shapes, capsys):
    argv = [*_train_args(tiny_shapes, run_copy), "--resume", *FAST, "MODEL.ROI_HEADS.NUM_CLASSES", "2"]
    line = _fails_without_touching(argv, run_copy, capsys)
    assert f"Checkpoint '{run_copy / 'model_final.pth'}' does not fit the model" in line
    assert "the checkpoint has 4 classes, the model 2" in line and "config.yaml" in line


@pytest.mark.parametrize("keep", [0.0, 0.5], ids=["zero_bytes", "truncated"])
def test_resume_from_a_broken_checkpoint(run_copy, tiny_shapes, capsys, keep):
    final = run_copy / "model_final.pth"
    final.write_bytes(final.read_bytes()[: int(final.stat().st_size * keep)])
    line = _fails_without_touching([*_train_args(tiny_shapes, run_copy), "--resume", *FAST], run_copy, capsys)
    assert f"Cannot read checkpoint '{final}'" in line and "last_checkpoint" in line


def test_output_dir_that_cannot_be_written(finished_run, tiny_shapes, tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    line = _fails_without_touching([*_train_args(tiny_shapes, blocker / "out"), *FAST], tmp_path, capsys)
    assert f"'{blocker}' is a file" in line
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # tests may run as root, who may write anywhere
    line = _fails_without_touching([*_train_args(tiny_shapes, tmp_path / "new"), *FAST], tmp_path, capsys)
    assert "is not writable" in line and str(tmp_path) in line


@pytest.mark.parametrize("command", ["predict", "eval"])
def test_run_weights_must_fit_the_config(finished_run, tiny_shapes, tmp_path, capsys, command):
    out = tmp_path / "out"
    if command == "predict":
        argv = ["predict", str(tiny_shapes["val_images"]), "--run", str(finished_run), "-o", str(out), "--opts",
                "MODEL.ROI_HEADS.NUM_CLASSES", "2"]  # fmt: skip
        expected = "the checkpoint has 4 classes, the model 2"
    else:  # another architecture: ResNet-34 blocks where the weights have ResNet-18's
        argv = ["eval", "--run", str(finished_run), "--output-dir", str(out), "MODEL.RESNETS.DEPTH", "34"]
        expected = "model weight(s) are not in it (e.g. backbone.bottom_up.res2.2"
    line = _fails_without_touching(argv, finished_run, capsys)
    assert f"the config '{finished_run / 'config.yaml'}' and the weights disagree" in line and expected in line
    assert str(finished_run / "model_final.pth") in line
    assert not out.exists()


def test_predict_writes_the_good_images_and_reports_the_broken_one(finished_run, tiny_shapes, tmp_path, capsys):
    images = tmp_path / "images"
    images.mkdir()
    good = sorted(tiny_shapes["val_images"].glob("*"))[:2]
    for p in good:
        shutil.copy(p, images / p.name)
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(images / "broken.png")
    (images / "broken.png").write_bytes((images / "broken.png").read_bytes()[:50])
    out = tmp_path / "pred"
    assert main(["predict", str(images), "--run", str(finished_run), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"Cannot read image '{images / 'broken.png'}'" in err and "1 of 3 images could not be read" in err
    coco = json.loads((out / "predictions.json").read_text())
    assert sorted(os.path.basename(i["file_name"]) for i in coco["images"]) == sorted(p.name for p in good)
    drawn = sorted(p.stem for p in out.iterdir() if p.name != "predictions.json")
    assert drawn == sorted(p.stem for p in good)


def test_loader_worker_error_is_one_line(tiny_shapes, tmp_path, capsys):
    data = json.loads(tiny_shapes["train_json"].read_text())
    data["images"][0]["file_name"] = "gone.png"
    bad = tmp_path / "missing_image.json"
    bad.write_text(json.dumps(data))
    capsys.readouterr()
    assert main([*_train_args(tiny_shapes, tmp_path / "out", bad), *FAST, "DATALOADER.NUM_WORKERS", "1"]) == 1
    err = capsys.readouterr().err
    # (pytest's capture closes the stream an earlier test's log handler holds: skip logging's complaints)
    errors = [line for line in err.splitlines() if line.startswith("detectra train:")]
    assert len(errors) == 1 and "Image file not found" in errors[0] and "gone.png" in errors[0], err[-2000:]
    assert "DataLoader worker" not in err and "Original Traceback" not in err and len(errors[0]) < 500
