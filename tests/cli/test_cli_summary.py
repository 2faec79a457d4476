"""The end of `detectra train` / `eval` / `predict`: the evaluation table, the summary lines and the list of files,
as the functions that write them format them (no training here; `test_cli_commands.py` checks a real run's
summary)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from detectra.cli._outputs import format_results, headline
from detectra.cli._timing import RunClock, format_duration, process_start
from detectra.cli.predict import detections_line
from detectra.cli.train import plots_description

_IMPORTED = time.perf_counter()

RESULTS = {"bbox": {"AP": 0.04, "AP50": 12.3456, "APs": float("nan"), "AP-raccoon": 0.04, "AP-dog": 65.1234}}


def test_small_ap_is_not_printed_as_zero_and_table_and_summary_agree():
    """AP is in percent, as Detectron2's: 0.04 (a model that barely detects) must not read "0.0"; the table and the
    summary line use Detectron2's 3 decimals both."""
    assert headline(RESULTS, ["val"]) == "box AP 0.040"
    table = format_results(RESULTS, ["val"]).splitlines()
    assert table[1].split() == ["AP", "AP50", "APs"]
    assert table[2].split() == ["0.040", "12.346", "nan"]
    assert table[3].split() == ["AP", "raccoon", "0.040"] and table[4].split() == ["AP", "dog", "65.123"]


def test_headline_names_each_task_with_three_decimals():
    results = {"bbox": {"AP": 65.1234}, "segm": {"AP": 0.0051}, "sem_seg": {"mIoU": 97.06}}
    assert headline(results, ["val"]) == "box AP 65.123, mask AP 0.005, mIoU 97.060"


def test_plots_description_counts_the_files_it_names():
    written = [Path("out/plots/losses.png"), Path("out/plots/lr.png"), Path("out/plots/val_gt_vs_pred.jpg"),
               Path("out/plots/lr.png")]  # a plot drawn twice is one file
    assert plots_description(written) == "3 plots: losses.png, lr.png, val_gt_vs_pred.jpg"
    assert plots_description([Path("p/losses.png")]) == "1 plot: losses.png"


@pytest.mark.parametrize("seconds, text", [(0.4, "0m00s"), (7.6, "0m08s"), (340, "5m40s"), (3723, "1h02m03s")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_finished_line_covers_the_whole_command_and_says_where_the_time_went():
    clock = RunClock(start=100.0, training=312.0, evaluation=5.0, finishing=2.0)
    assert clock.finished_line(now=440.0) == \
        "Finished in 5m40s (start-up 0m21s, training 5m12s, evaluation 0m05s, plots and pictures 0m02s)."
    # --eval-only without plots or pictures: only the phases that ran
    assert RunClock(start=0.0, evaluation=30.0).finished_line(now=45.0) == \
        "Finished in 0m45s (start-up 0m15s, evaluation 0m30s)."


@pytest.mark.skipif(not os.path.isfile("/proc/self/stat"), reason="the process start time is read from /proc")
def test_process_start_is_before_this_module_was_imported():
    """The `detectra` process counts its time from the interpreter's start, so its imports are in "start-up"."""
    start = process_start()
    assert start <= _IMPORTED <= time.perf_counter()


def test_predict_says_how_many_detections_the_json_has_and_how_many_are_drawn():
    """predictions.json keeps every detection the model returns, the pictures only those above --threshold: a user
    who reads "148 detections" and sees empty pictures must be told why."""
    coco = {"images": [{"id": 1}, {"id": 2}], "annotations": [{"score": s} for s in (0.9, 0.5, 0.3, 0.06)]}
    assert detections_line(coco, 0.5) == \
        "2 images, 4 detections in predictions.json; 2 of them drawn (score >= 0.5, --threshold)."
    assert detections_line(coco, None) == "2 images, 4 detections in predictions.json."  # --no-images
    one = {"images": [{"id": 1}], "annotations": [{"score": 0.7}]}
    assert detections_line(one, 0.5) == "1 image, 1 detection in predictions.json; 1 of them drawn (score >= 0.5, " \
                                        "--threshold)."


def test_count_puts_the_noun_in_the_number_that_fits():
    from detectra.cli._common import count

    assert [count(n, "image") for n in (0, 1, 2)] == ["0 images", "1 image", "2 images"]
    assert count(1, "class", "classes") == "1 class" and count(3, "class", "classes") == "3 classes"
