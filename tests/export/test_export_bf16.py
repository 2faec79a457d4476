"""bfloat16 exports (`export_model(..., precision="bfloat16")`, `detectra export --precision bf16`): the graph computes
what the eager model computes under CPU bfloat16 autocast (``TEST.PRECISION bfloat16``) and returns float32.

Matching rule (a small randomly initialised Faster R-CNN, every detection kept): >= 95 % of the eager bf16 model's
boxes have an exported box of the same class at IoU >= 0.95 with a score within 0.01. Tracing / exporting records
autocast's casts, so the exported graph runs without autocast; the test also checks it is really bfloat16: its
scores differ from the float32 model's by more than float32 rounding (a float32 export agrees to ~1e-6).
"""
from __future__ import annotations

import json

import pytest
import torch
from torchvision.ops import box_iou

from detectra.export import BF16_FORMATS, ExportedModel, check_export_precision, export_model
from detectra.utils.precision import inference_autocast, outputs_to_float32

MATCH_IOU, SCORE_TOL, MIN_MATCHED = 0.95, 0.01, 0.95


def _eager(model, image: torch.Tensor, precision: str):
    with torch.no_grad(), inference_autocast(precision, "cpu"):
        return outputs_to_float32(model([{"image": image}]))[0]["instances"]


def matched_fraction(ref, ours) -> float:
    """The fraction of ``ref``'s boxes that ``ours`` has: same class, IoU >= 0.95, score within 0.01."""
    iou = box_iou(ref.pred_boxes.tensor, ours.pred_boxes.tensor)  # (R, O)
    ok = (iou >= MATCH_IOU) & (ref.pred_classes[:, None] == ours.pred_classes[None])
    ok &= (ref.scores[:, None] - ours.scores[None]).abs() <= SCORE_TOL
    return ok.any(dim=1).float().mean().item()


@pytest.mark.parametrize("fmt, suffix", [
    ("torchscript", ".ts"), pytest.param("torch-export", ".pt2", marks=pytest.mark.slow),
])  # fmt: skip
def test_bf16_export_matches_eager_bf16(fmt, suffix, tiny_faster_rcnn, tmp_path):
    model, images = tiny_faster_rcnn
    path = tmp_path / f"model{suffix}"
    with torch.no_grad():
        sidecar = export_model(model, images[0], path, fmt, dynamic=True, precision="bfloat16")
    assert json.loads(sidecar.read_text())["precision"] == "bfloat16"
    exported = ExportedModel(path)
    assert exported.precision == "bfloat16"
    for image in images:
        ours = exported([{"image": image}])[0]["instances"]
        assert len(ours) == 20
        assert ours.pred_boxes.tensor.dtype == ours.scores.dtype == torch.float32
        matched = matched_fraction(_eager(model, image, "bfloat16"), ours)
        assert matched >= MIN_MATCHED, f"only {matched:.0%} of the eager bf16 boxes matched"
        fp32_scores = _eager(model, image, "float32").scores.sort().values
        assert (ours.scores.sort().values - fp32_scores).abs().max() > 1e-4, "the export computed in float32"


@pytest.mark.parametrize("fmt", ["onnx", "onnx-dynamo"])
def test_bf16_onnx_is_one_clear_error(fmt, tiny_faster_rcnn, tmp_path):
    model, images = tiny_faster_rcnn
    with pytest.raises(ValueError, match="onnxruntime's CPU provider has no bfloat16 Conv") as e:
        export_model(model, images[0], tmp_path / "model.onnx", fmt, precision="bfloat16")
    assert all(f in str(e.value) for f in BF16_FORMATS)
    assert not (tmp_path / "model.onnx").exists()
    with pytest.raises(ValueError, match="Unknown export precision 'fp16'"):
        check_export_precision("torchscript", "fp16")
