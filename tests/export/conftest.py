import pytest
import torch

from detectra import model_zoo
from detectra.modeling import build_model


@pytest.fixture(scope="module")
def tiny_faster_rcnn():
    """(a randomly initialised shapes Faster R-CNN R-18 FPN in eval mode, two images of different sizes): every
    detection is kept (score threshold 0, 20 per image), so comparisons do not hinge on a threshold."""
    cfg = model_zoo.get_config("shapes/faster_rcnn_R_18_FPN.yaml")
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0
    cfg.TEST.DETECTIONS_PER_IMAGE = 20
    cfg.MODEL.RPN.POST_NMS_TOPK_TEST = 50
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    gen = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, h, w), generator=gen).float() for h, w in ((96, 128), (128, 96))]
    return model, images
