"""Happy paths of every sub-command on one tiny training run (generated shapes, a few iterations)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import time

import pytest
from cli_testlib import TINY_OPTS, shortcut_args

from detectra.cli import main

CONFIG = "shapes/faster_rcnn_R_18_FPN"


@pytest.fixture(scope="module")
def train_run(tiny_shapes, tmp_path_factory):
    """A finished `detectra train` run (3 iterations, evaluated, plotted, predictions drawn): its output folder,
    what it printed, and its wall time in seconds."""
    out = tmp_path_factory.mktemp("run")
    console = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(console):
        code = main(["train", "--config-file", CONFIG, "--output-dir", str(out), "--num-vis", "2",
                     *shortcut_args(tiny_shapes), *TINY_OPTS])  # fmt: skip
    seconds = time.perf_counter() - started
    assert code == 0, console.getvalue()
    return out, console.getvalue(), seconds


@pytest.fixture(scope="module")
def run_dir(train_run):
    return train_run[0]


def test_train_summary_counts_the_plots_it_lists_and_the_whole_time(train_run):
    """The summary's plots/ line counts the files it names (all of plots/), no other plot count is printed, and
    "Finished in" covers the whole command (start-up, plots and pictures included)."""
    out, console, seconds = train_run
    summary = console.split("Everything is in")[1]
    line = next(x for x in summary.splitlines() if x.strip().startswith("plots/"))
    count, names = re.fullmatch(r"\s*plots/\s+(\d+) plots: (.*)", line).groups()
    assert sorted(names.split(", ")) == sorted(os.listdir(out / "plots")) and int(count) == len(names.split(", "))
    assert "Wrote" not in console
    finished = re.search(r"Finished in (\d+)m(\d\d)s \(start-up \d+m\d\ds, training \d+m\d\ds, evaluation "
                         r"\d+m\d\ds, plots and pictures \d+m\d\ds\)\. box AP \d+\.\d{3} on custom_val\.", console)
    assert finished, console
    assert int(finished[1]) * 60 + int(finished[2]) >= seconds - 1.5  # all but printing the summary itself


def test_train_writes_everything(run_dir, capsys):
    for name in ("config.yaml", "metrics.json", "model_final.pth", "eval_results.txt", "eval_results.json",
                 "datasets.json", "inference/coco_instances_results.json", "plots/losses.png",
                 "plots/confusion_matrix.png", "plots/prf1_curves.png", "plots/labels.png",
                 "plots/inference_pr_curves_bbox_50-95.png", "plots/val_gt_vs_pred.jpg"):  # fmt: skip
        assert (run_dir / name).is_file(), name
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(run_dir))
    assert len(list((run_dir / "predictions").glob("*.jpg"))) == 2  # JPEG in, JPEG out
    results = json.loads((run_dir / "eval_results.json").read_text())
    assert set(results) == {"custom_val"} and "AP" in results["custom_val"]["bbox"]
    # NUM_CLASSES followed the json's 4 categories
    assert "NUM_CLASSES: 4" in (run_dir / "config.yaml").read_text()
    lines = [json.loads(x) for x in (run_dir / "metrics.json").read_text().splitlines()]
    assert max(r["iteration"] for r in lines if "total_loss" in r) == 2  # the last of 3 iterations


def test_eval_matches_training_eval(run_dir, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["eval", "--run", str(run_dir), "--output-dir", str(out), "--num-vis", "1"]) == 0
    again = json.loads((out / "eval_results.json").read_text())
    first = json.loads((run_dir / "eval_results.json").read_text())
    assert again["custom_val"]["bbox"]["AP"] == pytest.approx(first["custom_val"]["bbox"]["AP"], abs=1e-6)
    out = capsys.readouterr().out
    assert "custom_val / bbox" in out
    assert re.search(r"\(start-up \d+m\d\ds, evaluation \d+m\d\ds, pictures \d+m\d\ds\)", out), out  # no plots


def test_predict_folder_writes_images_and_coco_json(run_dir, tiny_shapes, tmp_path):
    out = tmp_path / "pred"
    images = str(tiny_shapes["val_images"])
    assert main(["predict", images, "--run", str(run_dir), "-o", str(out), "--threshold", "0.0"]) == 0
    coco = json.loads((out / "predictions.json").read_text())
    assert len(coco["images"]) == 3 and len(list(out.glob("*.jpg"))) == 3
    assert [c["name"] for c in coco["categories"]] == ["circle", "square", "triangle", "star"]
    ids = {c["id"] for c in coco["categories"]}
    assert all(a["category_id"] in ids and 0 <= a["score"] <= 1 for a in coco["annotations"])


def test_predict_takes_trailing_overrides(run_dir, tiny_shapes, tmp_path):
    out = tmp_path / "pred"
    argv = ["predict", str(tiny_shapes["val_images"]), "--run", str(run_dir), "--output-dir", str(out),
            "--threshold", "0.0", "--no-images", "TEST.DETECTIONS_PER_IMAGE", "2", "MODEL.DEVICE", "cpu"]  # fmt: skip
    assert main(argv) == 0
    coco = json.loads((out / "predictions.json").read_text())
    assert len(coco["images"]) == 3 and 0 < len(coco["annotations"]) <= 6


def test_predict_video_without_decoder_says_so(run_dir, tmp_path, capsys):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00" * 16)
    try:
        import av  # noqa: F401
    except ImportError:
        try:
            import torchcodec  # noqa: F401
        except ImportError:
            assert main(["predict", str(video), "--run", str(run_dir), "-o", str(tmp_path / "p")]) == 1
            err = capsys.readouterr().err.strip()
            assert "no video decoder is installed" in err and "pip install av" in err and "\n" not in err
            return
    pytest.skip("a video decoder is installed")


@pytest.mark.parametrize("source", ["annotation", "dataloader"])
def test_visualize_data(tiny_shapes, tmp_path, source):
    out = tmp_path / source
    args = ["visualize-data", "--config-file", CONFIG, "--source", source, "-o", str(out), "--num", "3",
            *shortcut_args(tiny_shapes), *TINY_OPTS]  # fmt: skip
    assert main(args) == 0
    assert len(list(out.glob("*.jpg"))) == 3 and not list(out.glob("*.png"))  # JPEG in, JPEG out


def test_validate_data_clean_and_broken(tiny_shapes, tmp_path, capsys):
    args = ["validate-data", "--json", str(tiny_shapes["val_json"]), "--images", str(tiny_shapes["val_images"])]
    assert main(args) == 0
    data = json.loads(tiny_shapes["val_json"].read_text())
    data["annotations"][0]["bbox"] = [-50, 0, 10, 10]  # outside the image
    data["images"][1]["file_name"] = "missing.jpg"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["validate-data", "--json", str(bad), "--images", str(tiny_shapes["val_images"])]) == 1
    report = capsys.readouterr().out
    assert "missing.jpg" in report and "problem" in report


def test_benchmark_train_and_inference_json(run_dir, tiny_shapes, tmp_path, capsys):
    out = tmp_path / "b.json"
    args = ["benchmark", "--config-file", CONFIG, "--task", "train", "--iters", "2", "--warmup", "1",
            "--output", str(out), *shortcut_args(tiny_shapes), *TINY_OPTS]  # fmt: skip
    assert main(args) == 0
    record = json.loads(out.read_text())
    assert record["task"] == "train" and record["seconds_per_iter"] > 0 and record["batch_size"] == 2
    from detectra.utils.env import cpu_info

    assert record["cpu"] == cpu_info()["model"] and isinstance(record["cpu_flags"], list)
    assert record["input_size"] == {"min_size": [96], "max_size": 128} and record["precision"] == "float32"
    assert record["gpu"] is None and record["cpu_capability"]
    capsys.readouterr()
    assert main(["benchmark", "--run", str(run_dir), "--task", "inference", "--iters", "2", "--warmup", "1"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["images"] == 2 and record["seconds_per_image"] > 0


def test_analyze_counts_parameters_and_flops(run_dir, capsys):
    assert main(["analyze", "--run", str(run_dir), "--tasks", "flop", "parameter", "--num-inputs", "1",
                 "--json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    from detectra.config import get_cfg
    from detectra.modeling import build_model

    cfg = get_cfg()
    cfg.merge_from_file(str(run_dir / "config.yaml"))
    expected = sum(p.numel() for p in build_model(cfg).parameters())
    assert report["parameters"]["model"] == expected
    assert report["parameters"]["model.backbone"] + report["parameters"]["model.roi_heads"] < expected
    assert report["gflops_per_image"]["model"] > report["gflops_per_image"].get("model.backbone", 0) > 0


def test_analyze_depth_applies_to_both_tables_and_names_the_unit(run_dir, capsys):
    assert main(["analyze", "--run", str(run_dir), "--num-inputs", "1", "--depth", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for table in ("parameters", "gflops_per_image"):
        assert max(k.count(".") for k in report[table]) == 1, table
        assert "model.backbone" in report[table]
    assert "multiply-add as 2 FLOPs" in report["flop_unit"]
    assert main(["analyze", "--run", str(run_dir), "--num-inputs", "1", "--depth", "0", "--tasks", "flop"]) == 0
    text = capsys.readouterr().out
    assert "model.backbone" not in text and "Unit: FLOPs, counting one multiply-add as 2 FLOPs" in text


def test_plot(run_dir, tmp_path, capsys):
    assert main(["plot", str(run_dir), "--plot-dir", str(tmp_path)]) == 0
    assert (tmp_path / "losses.png").is_file() and "losses.png" in capsys.readouterr().out


def test_predict_video_with_tracker_keeps_ids(run_dir, tiny_shapes, tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    import detectra.cli.predict as predict

    frame = np.asarray(Image.open(sorted(tiny_shapes["val_images"].glob("*"))[0]).convert("RGB"))
    monkeypatch.setattr(predict, "read_video_frames", lambda path, stride, max_frames: [(i, frame) for i in range(3)])
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00")
    out = tmp_path / "track"
    args = [str(video), "--run", str(run_dir), "-o", str(out), "--threshold", "0.0", "--no-images"]
    assert main(["predict", *args, "--track", "BBoxIOUTracker"]) == 0
    anns = json.loads((out / "predictions.json").read_text())["annotations"]
    ids = [sorted(a["track_id"] for a in anns if a["image_id"] == k) for k in (1, 2, 3)]
    assert ids[0] == list(range(len(ids[0]))) and len(ids[0]) > 0
    assert ids[0] == ids[1] == ids[2]  # the same frame three times: every track continues, no new ID
    assert main(["predict", *args, "--track", "NoSuchTracker"]) == 1


def _video_frames(tiny_shapes, n: int):
    import numpy as np
    from PIL import Image

    image = Image.open(sorted(tiny_shapes["val_images"].glob("*"))[0]).convert("RGB")
    image = np.asarray(image)[:95, :127]  # odd height and width: the writer pads them for yuv420p
    return [np.roll(image, 4 * i, axis=1) for i in range(n)]


def test_predict_video_writes_annotated_video(run_dir, tiny_shapes, tmp_path, capsys):
    av = pytest.importorskip("av", reason="the annotated video needs PyAV (pip install 'detectra[video]')")
    import numpy as np

    video = tmp_path / "clip.mp4"
    with av.open(str(video), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        for frame in _video_frames(tiny_shapes, 6):
            padded = np.pad(frame, ((0, 1), (0, 1), (0, 0)), mode="edge")
            container.mux(stream.encode(av.VideoFrame.from_ndarray(padded, format="rgb24")))
        container.mux(stream.encode(None))
    out = tmp_path / "pred"
    assert main(["predict", str(video), "--run", str(run_dir), "-o", str(out), "--video-stride", "2",
                 "--threshold", "0.0"]) == 0  # fmt: skip
    assert f"Annotated video: {out / 'clip.mp4'}" in capsys.readouterr().out
    coco = json.loads((out / "predictions.json").read_text())
    assert [im["frame"] for im in coco["images"]] == [0, 2, 4]
    with av.open(str(out / "clip.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == 5  # 10 fps, every 2nd frame
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 3 and decoded[0].shape == (96, 128, 3)
    assert not (out / "clip").exists()  # no PNG frames next to it


def test_predict_video_without_encoder_writes_png_frames(run_dir, tiny_shapes, tmp_path, monkeypatch, caplog):
    import detectra.cli._video as video_out
    import detectra.cli.predict as predict

    frames = _video_frames(tiny_shapes, 2)
    monkeypatch.setattr(predict, "read_video_frames", lambda path, stride, max_frames: list(enumerate(frames)))
    monkeypatch.setattr(video_out, "av", None)
    video = tmp_path / "clip.avi"
    video.write_bytes(b"\x00")
    out = tmp_path / "pred"
    assert main(["predict", str(video), "--run", str(run_dir), "-o", str(out), "--threshold", "0.0"]) == 0
    assert "instead of a video: PyAV is not installed (pip install 'detectra[video]')" in caplog.text
    assert sorted(p.name for p in (out / "clip").iterdir()) == ["frame_000000.png", "frame_000001.png"]
    assert not (out / "clip.mp4").exists()
    assert len(json.loads((out / "predictions.json").read_text())["images"]) == 2
