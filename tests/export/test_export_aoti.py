"""AOTInductor packages (`export_model(..., "aoti")`, `detectra export --format aoti`): the torch.export program compiled
to C++ for the CPU, with dynamic height / width, run by `ExportedModel` and by `detectra predict --model`.

Compiling even a small Faster R-CNN takes 1.5-2 CPU minutes (inductor's lowering, then gcc), so there is one
compile: its outputs equal the eager model's on the example size and on another size (boxes within 1e-3 px,
scores within 1e-4, same classes, same order)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from detectra.cli import main
from detectra.export import ExportedModel, export_model
from detectra.export.exporters import _cxx_compiler


@pytest.mark.slow
@pytest.mark.skipif(_cxx_compiler() is None, reason="AOTInductor needs a C++ compiler (g++ / clang++)")
def test_aoti_package_matches_eager_and_predicts(tiny_faster_rcnn, tmp_path):
    model, images = tiny_faster_rcnn
    path = tmp_path / "model.pt2"
    # what `detectra export` adds to the sidecar, so `detectra predict --model` resizes as the model was exported
    extra = {"input_format": "BGR", "resize": {"rule": "ResizeShortestEdge", "min_size_test": 96,
                                               "max_size_test": 128}}  # fmt: skip
    with torch.no_grad():
        export_model(model, images[0], path, "aoti", dynamic=True, extra=extra)
    exported = ExportedModel(path)
    assert exported.format == "aoti"
    for image in images:
        with torch.no_grad():
            ref = model([{"image": image}])[0]["instances"]
        ours = exported([{"image": image}])[0]["instances"]
        assert len(ours) == len(ref) == 20 and ours.image_size == ref.image_size == tuple(image.shape[1:])
        torch.testing.assert_close(ours.pred_boxes.tensor, ref.pred_boxes.tensor, atol=1e-3, rtol=0)
        torch.testing.assert_close(ours.scores, ref.scores, atol=1e-4, rtol=0)
        assert torch.equal(ours.pred_classes, ref.pred_classes)

    folder = tmp_path / "images"
    folder.mkdir()
    for i, image in enumerate(images):  # BGR CHW -> an RGB file
        Image.fromarray(image.permute(1, 2, 0).numpy().astype(np.uint8)[:, :, ::-1]).save(folder / f"{i}.png")
    out = tmp_path / "pred"
    assert main(["predict", "--model", str(path), str(folder), "-o", str(out), "--no-images"]) == 0
    predictions = json.loads((out / "predictions.json").read_text())
    assert len(predictions["images"]) == 2 and len(predictions["annotations"]) == 40


def test_aoti_errors_come_before_exporting(tiny_faster_rcnn, tmp_path, monkeypatch):
    model, images = tiny_faster_rcnn
    with pytest.raises(ValueError, match=r"must be named \*.pt2"):
        export_model(model, images[0], tmp_path / "model.so", "aoti")
    monkeypatch.setattr("detectra.export.exporters.shutil.which", lambda name: None)
    with pytest.raises(RuntimeError, match="no C\\+\\+ compiler was found .* --format torch-export"):
        export_model(model, images[0], tmp_path / "model.pt2", "aoti")
