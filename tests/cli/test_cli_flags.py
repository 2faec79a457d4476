"""One spelling per option across sub-commands; the old spellings still parse but are not shown."""
from __future__ import annotations

import importlib

import pytest

from detectra.cli._common import split_trailing_overrides


def _parser(command: str):
    return importlib.import_module(f"detectra.cli.{command}").build_parser(f"detectra {command}")


@pytest.mark.parametrize("command", ["train", "eval"])
def test_threshold_flag_and_its_old_spelling(command):
    parser = _parser(command)
    assert parser.parse_args(["--threshold", "0.3"]).threshold == 0.3
    assert parser.parse_args(["--vis-threshold", "0.2"]).threshold == 0.2
    assert "--vis-threshold" not in parser.format_help() and "--threshold" in parser.format_help()


@pytest.mark.parametrize("command", ["predict", "visualize-data"])
def test_output_dir_flag_and_its_old_spellings(command):
    parser = _parser(command.replace("-", "_"))
    extra = ["a.jpg"] if command == "predict" else []
    for flag in ("--output-dir", "-o", "--output"):
        assert parser.parse_args([*extra, flag, "out"]).output == "out"
    text = parser.format_help()
    assert "--output-dir" in text and "--output " not in text


@pytest.mark.parametrize("command", ["train", "eval", "visualize_data", "validate_data"])
def test_one_dataset_name_flag(command):
    parser = _parser(command)
    assert parser.parse_args(["--dataset-name", "mine"]).dataset_name == "mine"
    assert "--dataset-name" in parser.format_help() and "--dataset " not in parser.format_help()


def test_old_dataset_flags_still_parse():
    assert _parser("visualize_data").parse_args(["--dataset", "x_train"]).dataset_name == "x_train"
    assert _parser("validate_data").parse_args(["--dataset", "a", "--dataset", "b"]).dataset == ["a", "b"]


def test_predict_takes_trailing_overrides_among_its_inputs(tmp_path):
    args = _parser("predict").parse_args(["a.jpg", "--run", "r", "b.jpg", "-o", "out", "MODEL.DEVICE", "cpu",
                                          "TEST.DETECTIONS_PER_IMAGE", "5"])  # fmt: skip
    assert split_trailing_overrides(args.inputs) == (["a.jpg", "b.jpg"],
                                                     ["MODEL.DEVICE", "cpu", "TEST.DETECTIONS_PER_IMAGE", "5"])
    # an existing file whose name looks like a key is an input
    odd = tmp_path / "MODEL.JPG"
    odd.write_bytes(b"")
    assert split_trailing_overrides([str(odd)])[0] == [str(odd)]
    assert split_trailing_overrides(["MODEL.JPG"]) == ([], ["MODEL.JPG"])


def test_cli_resolves_model_device_auto(monkeypatch):
    import torch

    from detectra.cli._common import load_config
    from detectra.utils import device as device_module

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)
    args = _parser("analyze").parse_args(["--config-file", "shapes/faster_rcnn_R_18_FPN", "MODEL.DEVICE", "auto"])
    assert load_config(args).MODEL.DEVICE == "cpu"


def test_epochs_set_max_iter_from_the_dataset(tiny_shapes):
    from cli_testlib import shortcut_args

    from detectra.cli._common import load_config
    from detectra.cli.train import epochs_to_iterations

    args = _parser("train").parse_args(["--config-file", "shapes/faster_rcnn_R_18_FPN", *shortcut_args(tiny_shapes),
                                        "SOLVER.IMS_PER_BATCH", "4", "SOLVER.MAX_ITER", "1000",
                                        "SOLVER.STEPS", "(800, 900)", "SOLVER.WARMUP_ITERS", "100"])  # fmt: skip
    cfg = load_config(args)
    assert epochs_to_iterations(cfg, 10) == 15  # 10 x 6 images / 4 per batch
    assert cfg.SOLVER.MAX_ITER == 15 and tuple(cfg.SOLVER.STEPS) == (12, 14) and cfg.SOLVER.WARMUP_ITERS == 1


LAZY = "COCO-Detection/faster_rcnn_R_50_FPN_1x.py"


@pytest.mark.parametrize("command, extra", [
    ("predict", ["img.jpg", "-o", "pred"]), ("export", ["--format", "onnx", "-o", "m.onnx"]), ("visualize-data", ["-o", "vis"]),
    ("validate-data", []), ("benchmark", []), ("analyze", []),
])  # fmt: skip
def test_config_file_help_says_which_configs_the_command_takes(command, extra, tmp_path, monkeypatch, capsys):
    """--config-file's help offers a LazyConfig (.py) only where the command takes one (train, eval); the others
    refuse it with the message their help announces."""
    from detectra.cli import main

    assert "LazyConfig .py files: train and eval only" in " ".join(_parser(command.replace("-", "_")).format_help()
                                                                    .split())  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "img.jpg").write_bytes(b"")
    assert main([command, "--config-file", LAZY, *extra]) == 1
    assert "is a LazyConfig; this command takes YAML configs only" in capsys.readouterr().err


def test_eval_help_offers_a_lazy_config_and_says_its_defaults():
    text = " ".join(_parser("eval").format_help().split())
    assert "YAML or LazyConfig .py file" in text and "(default 8; 0 = none)" in text


def test_predict_help_states_what_threshold_filters_and_the_video_defaults():
    text = " ".join(_parser("predict").format_help().split())
    assert "--threshold S score threshold of the drawn detections (default 0.5; predictions.json keeps them all)" in text
    assert "(default 1: all)" in text and "(default 0: no limit)" in text
