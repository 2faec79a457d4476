"""torch's torch.export-based ONNX exporter (``dynamo=True``, opset 18) on a small Faster R-CNN: the onnxruntime
outputs on an image of another size equal the eager model's. About 20 s on 2 cores (torch.export, then the ONNX
translation): the CI case for this exporter; the fixture models with it run under ``DETECTRA_EXPORT_PARITY=all``
(test_export_parity.py)."""
import pytest
import torch

from detectra import model_zoo
from detectra.export import ExportedModel, export_model
from detectra.modeling import build_model

pytestmark = pytest.mark.slow


def test_dynamo_onnx_matches_eager_on_another_size(tmp_path):
    pytest.importorskip("onnxruntime", reason="needs onnxruntime (pip install 'detectra[export]')")
    pytest.importorskip("onnxscript", reason="torch's dynamo ONNX exporter needs onnxscript")
    cfg = model_zoo.get_config("shapes/faster_rcnn_R_18_FPN.yaml")
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0  # every detection counts
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    gen = torch.Generator().manual_seed(0)
    example = torch.randint(0, 256, (3, 96, 128), generator=gen).float()
    other = torch.randint(0, 256, (3, 112, 96), generator=gen).float()
    path = tmp_path / "model.onnx"
    with torch.no_grad():
        export_model(model, example, path, "onnx-dynamo", dynamic=True)
        ref = model([{"image": other}])[0]["instances"]
    import onnx

    assert onnx.load(str(path)).opset_import[0].version >= 18
    ours = ExportedModel(path)([{"image": other}])[0]["instances"]
    assert len(ours) == len(ref) > 0 and ours.image_size == ref.image_size == (112, 96)
    torch.testing.assert_close(ours.pred_boxes.tensor, ref.pred_boxes.tensor, atol=1e-3, rtol=0)
    torch.testing.assert_close(ours.scores, ref.scores, atol=1e-4, rtol=0)
    assert torch.equal(ours.pred_classes, ref.pred_classes)
