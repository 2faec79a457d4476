"""A RetinaNet exported to ONNX with --dynamic runs on images smaller than the example it was traced with."""
from __future__ import annotations

import pytest
import torch

from detectra import model_zoo
from detectra.export import ExportedModel, export_model
from detectra.modeling import build_model

pytest.importorskip("onnxruntime", reason="the ONNX export tests need onnxruntime (pip install 'detectra[export]')")


def test_onnx_retinanet_keeps_fewer_candidates_than_topk_on_a_small_image(tmp_path):
    """Each level keeps min(candidates, TOPK_CANDIDATES_TEST) scores. Traced, that min was frozen at the example
    image's value (1000 on a shapes RetinaNet), and onnxruntime failed on any image with fewer candidates on one
    level ("k argument [1000] should not be greater than specified axis dim value [980]")."""
    cfg = model_zoo.get_config("shapes/faster_rcnn_R_18_FPN.yaml")
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.META_ARCHITECTURE = "RetinaNet"
    cfg.MODEL.BACKBONE.NAME = "build_retinanet_resnet_fpn_backbone"
    cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[16], [32], [64], [128], [256]]
    cfg.MODEL.RETINANET.NUM_CLASSES = 4
    cfg.MODEL.RETINANET.SCORE_THRESH_TEST = 0.0  # every anchor x class is a candidate
    cfg.MODEL.RETINANET.TOPK_CANDIDATES_TEST = 100
    cfg.TEST.DETECTIONS_PER_IMAGE = 20
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    torch.nn.init.normal_(model.head.cls_score.weight, std=0.05)  # distinct scores: no ties to order differently
    gen = torch.Generator().manual_seed(0)
    # P5 (stride 32) holds 6 x 8 positions x 3 anchors x 4 classes = 576 candidates on the example, 2 x 2 x 12 = 48
    # on the small image: fewer than TOPK_CANDIDATES_TEST
    example = torch.randint(0, 256, (3, 192, 256), generator=gen).float()
    small = torch.randint(0, 256, (3, 64, 64), generator=gen).float()
    path = tmp_path / "retinanet.onnx"
    with torch.no_grad():
        export_model(model, example, path, "onnx", dynamic=True)
        expected = model([{"image": small}])[0]["instances"]
    ours = ExportedModel(path)([{"image": small}])[0]["instances"]
    assert len(ours) == len(expected) == 20
    assert torch.allclose(ours.scores, expected.scores, atol=1e-4)
    assert torch.allclose(ours.pred_boxes.tensor, expected.pred_boxes.tensor, atol=1e-3)
