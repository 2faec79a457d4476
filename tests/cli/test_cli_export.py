"""`detectra export` end to end: train a few iterations of a shapes Mask R-CNN, export it, then `detectra predict
--model` and `detectra eval --model` must give what the eager model gives (same detections, same AP)."""
from __future__ import annotations

import json

import pytest
import torch
from cli_testlib import TINY_OPTS, shortcut_args
from torchvision.ops import box_iou

from detectra.cli import main

pytest.importorskip("onnxruntime", reason="the export tests need onnxruntime (pip install 'detectra[export]')")

CONFIG = "shapes/mask_rcnn_R_18_FPN_shapes"
# every detection counts, so the comparison is not decided by a threshold
OPTS = [*TINY_OPTS, "MODEL.ROI_HEADS.SCORE_THRESH_TEST", "0.0"]


@pytest.fixture(scope="module")
def run_dir(tiny_shapes, tmp_path_factory):
    out = tmp_path_factory.mktemp("export_run")
    code = main(["train", "--config-file", CONFIG, "--output-dir", str(out), "--num-vis", "0",
                 *shortcut_args(tiny_shapes), *OPTS])  # fmt: skip
    assert code == 0
    return out


@pytest.fixture(scope="module")
def eager_predictions(run_dir, tiny_shapes, tmp_path_factory):
    out = tmp_path_factory.mktemp("eager_pred")
    assert main(["predict", str(tiny_shapes["val_images"]), "--run", str(run_dir), "-o", str(out), "--no-images"]) == 0
    return json.loads((out / "predictions.json").read_text())


def _same_detections(ours: dict, ref: dict) -> None:
    assert [im["file_name"] for im in ours["images"]] == [im["file_name"] for im in ref["images"]]
    assert ours["categories"] == ref["categories"]
    assert len(ours["annotations"]) == len(ref["annotations"]) > 0
    for image in ref["images"]:
        r = [a for a in ref["annotations"] if a["image_id"] == image["id"]]
        o = [a for a in ours["annotations"] if a["image_id"] == image["id"]]
        assert len(o) == len(r)
        if not r:
            continue
        xyxy = lambda anns: torch.tensor([[x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in anns)])  # noqa
        ok = box_iou(xyxy(r), xyxy(o)) >= 0.99
        scores = lambda anns: torch.tensor([a["score"] for a in anns])  # noqa: E731
        ok &= (scores(r)[:, None] - scores(o)[None]).abs() <= 1e-3
        ok &= torch.tensor([a["category_id"] for a in r])[:, None] == torch.tensor([a["category_id"] for a in o])[None]
        assert ok.any(dim=1).float().mean() >= 0.99


# torch.export of the small Mask R-CNN takes ~100 s on a busy 2-core machine: slow
@pytest.mark.parametrize("fmt, suffix", [
    ("onnx", ".onnx"), pytest.param("torch-export", ".pt2", marks=pytest.mark.slow),
])
def test_export_predict_eval_match_eager(fmt, suffix, run_dir, tiny_shapes, eager_predictions, tmp_path, capsys):
    model = tmp_path / f"model{suffix}"
    assert main(["export", "--run", str(run_dir), "--format", fmt, "--output", str(model), "--dynamic"]) == 0
    printed = capsys.readouterr().out
    assert f"detectra predict --model {model}" in printed
    sidecar = json.loads((tmp_path / f"model{suffix}.json").read_text())
    assert sidecar["classes"]["thing_classes"] == ["circle", "square", "triangle", "star"]
    assert sidecar["input_format"] == "BGR" and sidecar["resize"]["min_size_test"] == 96
    assert len(sidecar["pixel_mean"]) == 3 and sidecar["meta_architecture"] == "GeneralizedRCNN"

    pred = tmp_path / "pred"
    assert main(["predict", "--model", str(model), str(tiny_shapes["val_images"]), "-o", str(pred)]) == 0
    _same_detections(json.loads((pred / "predictions.json").read_text()), eager_predictions)
    assert len(list(pred.glob("*.jpg"))) == 3  # the annotated images, as the eager path writes them

    ev = tmp_path / "eval"
    assert main(["eval", "--run", str(run_dir), "--model", str(model), "--output-dir", str(ev), "--num-vis", "0"]) == 0
    ours = json.loads((ev / "eval_results.json").read_text())["custom_val"]
    eager = json.loads((run_dir / "eval_results.json").read_text())["custom_val"]
    for task in ("bbox", "segm"):
        assert ours[task]["AP"] == pytest.approx(eager[task]["AP"], abs=0.1), task


def test_export_errors(tiny_shapes, tmp_path, capsys):
    images = str(tiny_shapes["val_images"])
    assert main(["predict", "--model", str(tmp_path / "missing.onnx"), images, "-o", str(tmp_path / "p")]) == 1
    assert "missing.onnx not found" in capsys.readouterr().err
    lone = tmp_path / "lone.onnx"
    lone.write_bytes(b"")
    assert main(["predict", "--model", str(lone), images, "-o", str(tmp_path / "p")]) == 1
    assert "json sidecar that `detectra export` writes" in capsys.readouterr().err
    # checked before the model is built: no weights needed to get the message
    args = ["export", "--config-file", CONFIG, "--format", "onnx", "--precision", "bf16", "--output", str(lone)]
    assert main(args) == 1
    assert "bfloat16 exports: torch-export, aoti, torchscript" in capsys.readouterr().err
