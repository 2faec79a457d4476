"""Parity of the segmentation models with the reference Detectron2 (``shared/fixtures/d2parity``).

Each test builds one model from the fixture's config, loads the fixture's weights through the checkpointer, runs
image 0 (the full R50-FPN at ~800 px: too slow on a shared CPU to run all three images) and compares, within the
fixture README's bounds: detections, masks (IoU of pycocotools RLEs), keypoints (0.5 px), semantic argmax and
panoptic segments.
"""
import pytest
import torch

from .parity_utils import ParityFixture

IMAGE = 0

pytestmark = pytest.mark.slow  # each builds and runs a full R50-FPN on an 800 px image (20-80 s on a shared CPU)


@pytest.fixture(scope="module")
def fixtures_dir(shared_dir):
    root = shared_dir / "fixtures" / "d2parity"
    if not root.is_dir():
        pytest.skip(f"no parity fixtures at {root}")
    return shared_dir


def _run(shared_dir, name: str):
    torch.manual_seed(0)
    fx = ParityFixture(shared_dir, name)
    model = fx.build_model()
    with torch.no_grad():
        return fx, fx.run(model, IMAGE)


def test_mask_rcnn_parity(fixtures_dir):
    fx, run = _run(fixtures_dir, "mask_rcnn_R_50_FPN")
    fx.check_features(run, IMAGE)
    fx.check_proposals(run, IMAGE)
    fx.check_detections(run, IMAGE)
    fx.check_masks(run, IMAGE)


def test_cascade_mask_rcnn_parity(fixtures_dir):
    fx, run = _run(fixtures_dir, "cascade_mask_rcnn_R_50_FPN")
    fx.check_proposals(run, IMAGE)
    fx.check_detections(run, IMAGE)
    fx.check_masks(run, IMAGE)


def test_keypoint_rcnn_parity(fixtures_dir):
    fx, run = _run(fixtures_dir, "keypoint_rcnn_R_50_FPN")
    fx.check_detections(run, IMAGE)
    fx.check_keypoints(run.outputs["instances"], IMAGE)


def test_semantic_fpn_parity(fixtures_dir):
    fx, run = _run(fixtures_dir, "semantic_R_50_FPN")
    fx.check_features(run, IMAGE)
    fx.check_sem_seg(run.outputs["sem_seg"], IMAGE)


def test_panoptic_fpn_parity(fixtures_dir):
    fx, run = _run(fixtures_dir, "panoptic_fpn_R_50")
    fx.check_detections(run, IMAGE)
    fx.check_masks(run, IMAGE)
    fx.check_sem_seg(run.outputs["sem_seg"], IMAGE)
    fx.check_panoptic(run.outputs["panoptic_seg"], IMAGE)
