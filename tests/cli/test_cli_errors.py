"""User mistakes: one line on stderr, a non-zero exit status, no traceback (unless --debug)."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from cli_testlib import shortcut_args

from detectra.cli import main

CONFIG = "shapes/faster_rcnn_R_18_FPN"


def _one_line_error(capsys, expected: str) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert expected in err, err
    return err


@pytest.mark.parametrize(
    "argv, code, expected",
    [
        (["trian"], 2, "unknown command 'trian'. Did you mean 'train'?"),
        (["train", "--config-file", "nope/missing.yaml"], 1, "neither a file nor a model-zoo config"),
        (["train", "--config-file", "shapes/faster_rcnn_R_18"], 1, "Did you mean: shapes/faster_rcnn_R_18_FPN"),
        (["train", "--config-file", CONFIG, "MODEL.NOT_A_KEY", "1"], 1, "MODEL.NOT_A_KEY"),
        (["train", "--config-file", CONFIG, "SOLVER.MAX_ITER"], 1, "KEY VALUE pairs"),
        (["train", "--config-file", CONFIG, "DATASETS.TRAIN", "('my_data',)"], 1,
         "dataset 'my_data' (DATASETS.TRAIN) is not registered"),
        (["train", "--config-file", CONFIG, "--train-json", "missing.json", "--train-images", "."], 1,
         "--train-json 'missing.json' does not exist"),
        (["train", "--config-file", CONFIG, "--train-json", "x.json"], 1, "go together"),
        (["train", "--bogus-flag"], 2, "unrecognized arguments: --bogus-flag"),
        (["eval", "--run", "no/such/dir"], 1, "is not a folder"),
        (["eval", "--config-file", CONFIG, "MODEL.WEIGHTS", "missing.pth"], 1, "MODEL.WEIGHTS 'missing.pth'"),
        (["predict", "missing.jpg", "--config-file", CONFIG, "-o", "x"], 1, "input 'missing.jpg' does not exist"),
        (["predict", "clip.mp4", "--config-file", CONFIG, "-o", "x", "--video-stride", "0"], 1,
         "--video-stride must be >= 1 and --max-frames >= 0 (0: no limit); got 0 and 0."),
        (["visualize-data", "-o", "x", "--dataset", "nope"], 1, "dataset 'nope' is not registered"),
        (["validate-data"], 1, "nothing to check"),
        (["validate-data", "--json", "missing.json", "--images", "."], 1, "--json 'missing.json' does not exist."),
        (["validate-data", "--json", __file__, "--images", "no/such/dir"], 1, "--images 'no/such/dir' is not a folder"),
        (["benchmark", "--config-file", CONFIG, "--iters", "0"], 1, "--iters must be >= 1"),
        (["analyze", "--config-file", CONFIG, "--tasks", "bogus"], 2, "invalid choice: 'bogus'"),
        (["plot", "no/such/dir"], 1, "'no/such/dir' is not a folder; pass the OUTPUT_DIR of a 'detectra train' run"),
        (["plot", "."], 1, "Nothing to plot"),
    ],
)
def test_user_errors_are_one_line(argv, code, expected, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    _one_line_error(capsys, expected)


def test_config_naming_a_missing_dataset_file(tmp_path, capsys, monkeypatch):
    """A registered builtin dataset whose files are absent (COCO here) fails with the loader's message."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DETECTRA_DATASETS", str(tmp_path))
    argv = ["validate-data", "--dataset", "coco_2017_val"]
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 1 and "coco_2017_val" in out


def test_debug_shows_the_traceback(capsys):
    with pytest.raises(Exception, match="MODEL.NOT_A_KEY"):
        main(["--debug", "train", "--config-file", CONFIG, "MODEL.NOT_A_KEY", "1"])


def test_flags_after_overrides_are_still_flags(tiny_shapes, tmp_path, capsys):
    """`detectra train ... KEY VALUE --output-dir x` parses --output-dir (argparse alone would not)."""
    from detectra.cli._common import load_config
    from detectra.cli.train import build_parser

    args = build_parser("detectra train").parse_args(
        ["--config-file", CONFIG, "SOLVER.MAX_ITER", "7", "--output-dir", str(tmp_path), "SOLVER.BASE_LR", "0.5",
         *shortcut_args(tiny_shapes)])  # fmt: skip
    assert args.output_dir == str(tmp_path) and args.opts == ["SOLVER.MAX_ITER", "7", "SOLVER.BASE_LR", "0.5"]
    cfg = load_config(args)
    assert cfg.SOLVER.MAX_ITER == 7 and cfg.DATASETS.TRAIN == ("custom_train",)
    assert cfg.MODEL.ROI_HEADS.NUM_CLASSES == 4


def test_help_lists_every_command(capsys):
    from detectra.cli import COMMANDS

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)
    for name in COMMANDS:
        assert main([name, "--help"]) == 0
        assert f"usage: detectra {name}" in capsys.readouterr().out


def test_console_script_subprocess(tmp_path):
    """The installed `detectra` script (or `python -m detectra`): exit status and one-line error for real."""
    exe = shutil.which("detectra")
    cmd = [exe] if exe else [sys.executable, "-m", "detectra"]
    proc = subprocess.run([*cmd, "train", "--config-file", "missing.yaml"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "detectra train: error: config 'missing.yaml' is neither a file nor a model-zoo config. "
        + proc.stderr.split("model-zoo config. ", 1)[1].strip()
    ]
    assert "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "detectra", "--help"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "visualize-data" in proc.stdout


def test_closed_pipe_is_quiet():
    """`detectra --help | head`: the reader goes away before the usage text is flushed; no traceback, status 141."""
    proc = subprocess.Popen([sys.executable, "-m", "detectra", "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    proc.stdout.close()  # the reader is gone before anything is flushed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141
    assert err == ""


def test_closed_pipe_during_a_command_is_quiet(monkeypatch, capsys):
    """`detectra validate-data ... | head -1`: the reader goes away while a command prints; status 141 and no
    'error: Broken pipe' line (the command's error handler used to catch it as a failure)."""
    import os as os_module

    import detectra.cli.plot as plot

    def reader_gone(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(plot, "run", reader_gone)
    redirected = []  # main points stdout at devnull so that the interpreter's last flush stays quiet
    monkeypatch.setattr(os_module, "dup2", lambda fd, fd2: redirected.append(fd2))
    monkeypatch.setattr(sys.stdout, "fileno", lambda: 1, raising=False)
    assert main(["plot", "some/run"]) == 141
    assert redirected == [1] and capsys.readouterr().err == ""
