"""A new user's path through the `detectra` command: what it prints when their data or their run is broken
(each problem with its file, its record and the fix; an interrupted training and how to continue it)."""
from __future__ import annotations

import json
import shutil

import pytest
from cli_testlib import TINY_OPTS, shortcut_args

from detectra.cli import main


@pytest.fixture
def broken_copy(tiny_shapes, tmp_path):
    """A copy of the tiny train split with one missing image, one box outside its image, one unknown category id,
    plus the same json cut in half."""
    images = tmp_path / "images"
    shutil.copytree(tiny_shapes["train_images"], images)
    data = json.loads(tiny_shapes["train_json"].read_text())
    first, second, third = data["images"][:3]
    (images / first["file_name"]).unlink()
    by_image = {a["image_id"]: a for a in data["annotations"]}
    by_image[second["id"]]["bbox"] = [second["width"] + 10, 5, 20, 20]
    by_image[third["id"]]["category_id"] = 77
    bad, cut = tmp_path / "bad.json", tmp_path / "cut.json"
    bad.write_text(json.dumps(data))
    cut.write_text(json.dumps(data)[: len(json.dumps(data)) // 2])
    ids = {"missing": first["id"], "outside": by_image[second["id"]]["id"], "category": by_image[third["id"]]["id"]}
    return {"images": images, "bad": bad, "cut": cut, "ids": ids, "missing_file": first["file_name"]}


def _line(out: str, tag: str) -> str:
    lines = [line for line in out.splitlines() if line.strip().startswith(f"[{tag}]")]
    assert len(lines) == 1, out
    return lines[0]


def test_validate_data_names_file_record_and_fix(broken_copy, capsys):
    assert main(["validate-data", "--json", str(broken_copy["bad"]), "--images", str(broken_copy["images"])]) == 1
    out = capsys.readouterr().out
    assert f"{broken_copy['bad']}: 3 problem(s)" in out
    ids = broken_copy["ids"]
    missing = _line(out, "missing_image")
    assert f"image {ids['missing']}:" in missing and broken_copy["missing_file"] in missing
    assert "Fix: check --images" in missing
    outside = _line(out, "box_entirely_outside")
    assert f"annotation {ids['outside']}:" in outside and "Fix: a COCO bbox is [x, y, width, height]" in outside
    category = _line(out, "unknown_category")
    assert f"annotation {ids['category']}: category_id 77" in category and "the loader refuses it" in category
    assert "Fix: add the id to the json's 'categories'" in category


def test_validate_data_truncated_json_says_what_to_do(broken_copy, capsys):
    assert main(["validate-data", "--json", str(broken_copy["cut"]), "--images", str(broken_copy["images"])]) == 1
    line = _line(capsys.readouterr().out, "unreadable_json")
    assert "JSONDecodeError" in line and "Fix: the file is cut short or not JSON" in line


CONFIG = "shapes/faster_rcnn_R_18_FPN"


def _interrupt_at(monkeypatch, step: int) -> None:
    """Ctrl-C during training's ``step``-th iteration (counting from 1), as the terminal would deliver it."""
    from detectra.engine.trainer import Trainer

    calls = {"n": 0}
    run_step = Trainer.run_step

    def interrupted_step(self):
        calls["n"] += 1
        if calls["n"] == step:
            raise KeyboardInterrupt
        return run_step(self)

    monkeypatch.setattr(Trainer, "run_step", interrupted_step)


def _train(tiny, out, *extra):
    return main(["train", "--config-file", CONFIG, "--output-dir", str(out), *shortcut_args(tiny), "--num-vis", "0",
                 "--no-plots", *extra, *TINY_OPTS, "SOLVER.MAX_ITER", "4"])  # fmt: skip


def test_interrupted_training_says_how_to_resume(tiny_shapes, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    _interrupt_at(monkeypatch, 4)
    assert _train(tiny_shapes, out, "SOLVER.CHECKPOINT_PERIOD", "2") == 130
    err = capsys.readouterr().err
    assert f"detectra train: interrupted at iteration 3; the last checkpoint is {out / 'model_0000001.pth'}: " \
           "rerun the same command with --resume" in err
    monkeypatch.undo()
    assert _train(tiny_shapes, out, "--resume", "SOLVER.CHECKPOINT_PERIOD", "2") == 0
    assert (out / "last_checkpoint").read_text() == "model_final.pth"
    summary = capsys.readouterr().out.split("Everything is in")[1]
    assert "datasets.json" in summary and "model_final.pth" in summary  # every file --run reads is listed
    assert "Starting training from iteration 2" in (out / "log.txt").read_text()


def test_interrupted_before_first_checkpoint_is_not_mixed_with_the_next_run(tiny_shapes, tmp_path, monkeypatch,
                                                                              capsys):  # fmt: skip
    out = tmp_path / "run"
    _interrupt_at(monkeypatch, 3)
    assert _train(tiny_shapes, out, "SOLVER.CHECKPOINT_PERIOD", "100") == 130
    err = capsys.readouterr().err
    assert "interrupted at iteration 2, before its first checkpoint (one every SOLVER.CHECKPOINT_PERIOD = 100 " \
           "iterations): nothing to resume from; rerun with --overwrite" in err
    assert (out / "metrics.json").is_file() and not (out / "last_checkpoint").exists()
    monkeypatch.undo()
    # the same command again would append a second run's metrics to the first one's: refused, naming the fix
    assert _train(tiny_shapes, out, "SOLVER.CHECKPOINT_PERIOD", "100") == 1
    assert "stopped before its first checkpoint" in capsys.readouterr().err
    # --resume has nothing to continue from: it starts over, without the interrupted run's metrics
    assert _train(tiny_shapes, out, "--resume", "SOLVER.CHECKPOINT_PERIOD", "100") == 0
    iterations = [json.loads(line)["iteration"] for line in (out / "metrics.json").read_text().splitlines()]
    assert iterations == sorted(iterations) and len(iterations) == len(set(iterations)), iterations


def test_missing_image_during_training_is_one_line_on_the_console(tiny_shapes, tmp_path, capsys):
    """The loader reads images lazily, so a missing one fails in the first step: one line on the console, the
    traceback in log.txt only."""
    data = json.loads(tiny_shapes["train_json"].read_text())
    for image in data["images"]:
        image["file_name"] = "gone_" + image["file_name"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    out = tmp_path / "run"
    code = main(["train", "--config-file", CONFIG, "--output-dir", str(out), "--train-json", str(bad),
                 "--train-images", str(tiny_shapes["train_images"]), "SOLVER.MAX_ITER", "2",
                 "DATALOADER.NUM_WORKERS", "0"])  # fmt: skip
    assert code == 1
    captured = capsys.readouterr()
    console = captured.out + captured.err
    assert "detectra train: error: Image file not found:" in console and "gone_" in console
    assert "Traceback" not in console
    assert "Exception during training:\nTraceback" in (out / "log.txt").read_text()


def test_sparse_category_ids_warn_once_per_json(tmp_path, caplog):
    """A run loads its datasets several times (training, evaluation, plots, pictures): the id mapping of a json
    whose category ids are not 1..K (COCO's 1-90) is announced once, not at every load."""
    from detectra.data.datasets.coco import load_coco_json

    data = {"images": [{"id": 1, "file_name": "a.jpg", "width": 8, "height": 8}],
            "annotations": [{"id": 1, "image_id": 1, "bbox": [1, 1, 4, 4], "category_id": 18, "iscrowd": 0}],
            "categories": [{"id": 18, "name": "dog"}, {"id": 90, "name": "toothbrush"}]}  # fmt: skip
    json_file = tmp_path / "sparse.json"
    json_file.write_text(json.dumps(data))
    with caplog.at_level("WARNING", logger="detectra.data.datasets.coco"):
        for _ in range(3):
            dicts = load_coco_json(str(json_file), str(tmp_path), "mine_sparse")
    assert dicts[0]["annotations"][0]["category_id"] == 0
    assert sum("are not in [1, #categories]" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("change, message", [
    ("rename", "the train and val jsons have different categories: ['circle', 'square', 'triangle', 'star'] in "
               "--train-json, ['square', 'circle', 'triangle', 'star'] in --val-json"),
    ("drop", "the train and val datasets have different classes: 4 in the training data, 3 in --val-json"),
    ("truncate", "is not valid json (Unterminated string"),
])  # fmt: skip
def test_val_json_that_does_not_fit_the_train_json_is_refused(change, message, tiny_shapes, tmp_path, capsys):
    """Evaluation maps the val json's category ids onto the model's classes by rank: the same number of classes
    with other names would be scored against the wrong classes, silently."""
    data = json.loads(tiny_shapes["val_json"].read_text())
    names = [c["name"] for c in sorted(data["categories"], key=lambda c: c["id"])]
    assert names == ["circle", "square", "triangle", "star"]
    if change == "rename":
        data["categories"][0]["name"], data["categories"][1]["name"] = names[1], names[0]
    elif change == "drop":
        data["categories"] = data["categories"][:3]
    text = json.dumps(data)
    val = tmp_path / "val.json"
    val.write_text(text[:50] if change == "truncate" else text)
    code = main(["train", "--config-file", CONFIG, "--output-dir", str(tmp_path / "run"),
                 "--train-json", str(tiny_shapes["train_json"]), "--train-images", str(tiny_shapes["train_images"]),
                 "--val-json", str(val), "--val-images", str(tiny_shapes["val_images"]), "--num-vis", "0",
                 "--no-plots", *TINY_OPTS])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert "export or download it again" in err if change == "truncate" else "Use jsons with the same" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command, dest", [("train", "output_dir"), ("eval", "output_dir"), ("predict", "output"),
                                           ("visualize-data", "output")])  # fmt: skip
def test_dash_o_is_the_output_folder_of_every_command(command, dest):
    """The README: options are spelled the same in every sub-command, `--output-dir` (`-o`), also after the
    trailing KEY VALUE overrides; a negative config value is not taken for a flag."""
    from detectra.cli import PARSERS

    inputs = ["img.jpg"] if command == "predict" else []
    args = PARSERS[command](f"detectra {command}").parse_args(
        ["--config-file", CONFIG, *inputs, "MODEL.RETINANET.NUM_CONVS", "-1", "-o", "out/dir"])
    assert getattr(args, dest) == "out/dir"
    if command != "predict":  # predict sorts its trailing words into inputs and overrides itself
        assert args.opts == ["MODEL.RETINANET.NUM_CONVS", "-1"]


def test_eval_run_on_a_json_with_other_categories_names_both(tiny_shapes, tmp_path, capsys):
    """`eval --run DIR --val-json other.json`: a json with other classes than the run's is refused by name (not by
    the weight shapes that would not fit)."""
    run = tmp_path / "run"
    (run).mkdir()
    (run / "config.yaml").write_text("MODEL:\n  ROI_HEADS:\n    NUM_CLASSES: 2\n")
    (run / "model_final.pth").write_bytes(b"")
    (run / "classes.json").write_text(json.dumps({"thing_classes": ["raccoon", "dog"], "thing_dataset_ids": [1, 2]}))
    code = main(["eval", "--run", str(run), "--val-json", str(tiny_shapes["val_json"]),
                 "--val-images", str(tiny_shapes["val_images"]), "-o", str(tmp_path / "eval")])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert f"--val-json '{tiny_shapes['val_json']}' has the categories ['circle', 'square', 'triangle', 'star'], " \
           f"but the run '{run}' was trained on ['raccoon', 'dog'] (its classes.json)" in err, err


@pytest.mark.parametrize("command", ["train", "benchmark"])
def test_val_json_without_train_json_is_refused_before_training(command, tiny_shapes, tmp_path, monkeypatch,
                                                                  capsys):  # fmt: skip
    """Only --val-json: training would run on the config's shapes_train (4 classes) with the json's class count
    (here 1), and failed in the loss with "unexpected IndexError: Target 2 is out of bounds" after generating the
    shapes dataset in the current folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DETECTRA_DATASETS", str(tmp_path / "datasets"))
    data = json.loads(tiny_shapes["val_json"].read_text())
    data["categories"] = data["categories"][:1]
    data["annotations"] = [a for a in data["annotations"] if a["category_id"] == data["categories"][0]["id"]]
    val = tmp_path / "val.json"
    val.write_text(json.dumps(data))
    out = ["--output-dir", str(tmp_path / "run")] if command == "train" else []
    assert main([command, "--config-file", CONFIG, *out, "--val-json", str(val), "--val-images",
                 str(tiny_shapes["val_images"]), *TINY_OPTS]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "only validation data was given (custom_val, 1 class), so training would run on the config's " \
           "DATASETS.TRAIN ('shapes_train',) (made for 4 classes). Pass the training data too" in err, err
    assert not (tmp_path / "datasets").exists() and not (tmp_path / "run").exists()
