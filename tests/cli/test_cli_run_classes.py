"""A run remembers its classes: names and the training json's own category ids reach `predict --run` in a fresh
process (classes.json and the checkpoint), and the console stays quiet unless --verbose."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from cli_testlib import TINY_OPTS, shortcut_args

from detectra.cli import main

# COCO-style sparse ids, as in tiny_coco (ids up to 90) or a json exported from an annotation tool.
SPARSE_IDS = {1: 3, 2: 17, 3: 42, 4: 90}


@pytest.fixture(scope="module")
def sparse_shapes(tiny_shapes, tmp_path_factory) -> dict[str, Path]:
    """tiny_shapes with category ids 3, 17, 42, 90 instead of 1-4."""
    root = tmp_path_factory.mktemp("sparse")
    out = dict(tiny_shapes)
    for split in ("train", "val"):
        data = json.loads(tiny_shapes[f"{split}_json"].read_text())
        for c in data["categories"]:
            c["id"] = SPARSE_IDS[c["id"]]
        for a in data["annotations"]:
            a["category_id"] = SPARSE_IDS[a["category_id"]]
        out[f"{split}_json"] = root / f"{split}.json"
        out[f"{split}_json"].write_text(json.dumps(data))
    return out


@pytest.fixture(scope="module")
def sparse_run(sparse_shapes, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    argv = ["train", "--config-file", "shapes/faster_rcnn_R_18_FPN", "--output-dir", str(out), "--num-vis", "0",
            "--dataset-name", "sparse", *shortcut_args(sparse_shapes), *TINY_OPTS]  # fmt: skip
    return out, argv


def _train(sparse_run, capfd) -> str:
    out, argv = sparse_run
    if not (out / "model_final.pth").is_file():
        assert main(argv) == 0
    return capfd.readouterr().out


def _expected_categories(json_file: Path) -> list[dict]:
    cats = json.loads(json_file.read_text())["categories"]
    return [{"id": c["id"], "name": c["name"]} for c in sorted(cats, key=lambda c: c["id"])]


def test_run_stores_classes_and_console_is_quiet(sparse_run, sparse_shapes, capfd):
    out_text = _train(sparse_run, capfd)
    out, _ = sparse_run
    expected = _expected_categories(sparse_shapes["train_json"])
    classes = json.loads((out / "classes.json").read_text())
    assert classes["thing_classes"] == [c["name"] for c in expected]
    assert classes["thing_dataset_ids"] == [3, 17, 42, 90]
    ckpt = torch.load(out / "model_final.pth", map_location="cpu", weights_only=True)
    assert ckpt["classes"]["thing_dataset_ids"] == [3, 17, 42, 90]
    # the environment table, the full config and the model printout went to log.txt only
    log = (out / "log.txt").read_text()
    for dump in ("Environment info", "Running with full config", "Model:\nGeneralizedRCNN"):
        assert dump in log and dump not in out_text
    assert "detectra.utils.events" in log and "d2." not in log


def test_predict_run_in_a_fresh_process_uses_the_training_classes(sparse_run, sparse_shapes, tmp_path, capfd):
    _train(sparse_run, capfd)
    out, _ = sparse_run
    pred = tmp_path / "pred"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    # a new process: nothing registered in memory, the run's files must carry the classes
    cmd = [sys.executable, "-m", "detectra", "predict", str(sparse_shapes["val_images"]), "--run", str(out), "-o",
           str(pred), "--threshold", "0.0", "--no-images"]  # fmt: skip
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    coco = json.loads((pred / "predictions.json").read_text())
    expected = _expected_categories(sparse_shapes["val_json"])
    assert coco["categories"] == expected
    assert coco["annotations"] and {a["category_id"] for a in coco["annotations"]} <= {3, 17, 42, 90}


def test_checkpoint_alone_names_the_classes(sparse_run, sparse_shapes, tmp_path, capfd):
    from detectra.cli._classes import prediction_metadata
    from detectra.config import get_cfg

    _train(sparse_run, capfd)
    out, _ = sparse_run
    weights = tmp_path / "model_final.pth"  # copied away from classes.json
    shutil.copy(out / "model_final.pth", weights)
    cfg = get_cfg()
    cfg.MODEL.WEIGHTS = str(weights)
    meta = prediction_metadata(cfg)
    assert meta.thing_classes == ["circle", "square", "triangle", "star"]
    assert meta.thing_dataset_id_to_contiguous_id == {3: 0, 17: 1, 42: 2, 90: 3}


def test_eval_run_writes_into_its_own_folder(sparse_run, capfd):
    _train(sparse_run, capfd)
    out, _ = sparse_run
    before = (out / "eval_results.json").read_bytes()
    assert main(["eval", "--run", str(out), "--num-vis", "1"]) == 0
    printed = capfd.readouterr().out
    assert (out / "eval" / "eval_results.json").is_file() and (out / "eval" / "predictions").is_dir()
    assert (out / "eval_results.json").read_bytes() == before
    assert "trained weights" not in printed and f"{out / 'eval'}/" in printed
