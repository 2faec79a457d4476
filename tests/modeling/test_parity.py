"""Parity with the reference Detectron2 on R-50 models (fixtures in shared/fixtures/d2parity).

Each test builds an R-50 model from the fixture's config, loads the fixture's weights through
`DetectionCheckpointer`'s Detectron2 path and runs one 800-px image: a CPU-heavy check (seconds to a minute on 2
cores; C4 runs res5 on 1000 ROIs), hence `slow`. Each model uses a different fixture image so that together they
cover all three (landscape, portrait-ish, square).
"""
import pytest

from .parity_utils import ParityFixture, float32_determinism  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.slow


def test_faster_rcnn_R_50_FPN(shared_dir):
    fx = ParityFixture(shared_dir, "faster_rcnn_R_50_FPN")
    run = fx.run(fx.build_model(), 0)
    fx.check_features(run, 0)
    fx.check_proposals(run, 0)
    fx.check_detections(run, 0)


def test_faster_rcnn_R_50_C4(shared_dir):
    fx = ParityFixture(shared_dir, "faster_rcnn_R_50_C4")
    run = fx.run(fx.build_model(), 1)
    fx.check_features(run, 1)  # res4
    fx.check_proposals(run, 1)
    fx.check_detections(run, 1)


def test_retinanet_R_50_FPN(shared_dir):
    fx = ParityFixture(shared_dir, "retinanet_R_50_FPN")
    run = fx.run(fx.build_model(), 2)
    fx.check_features(run, 2)  # p3..p7
    fx.check_detections(run, 2)


def test_rpn_R_50_FPN(shared_dir):
    fx = ParityFixture(shared_dir, "rpn_R_50_FPN")
    run = fx.run(fx.build_model(), 1)
    fx.check_features(run, 1)
    fx.check_final_proposals(run, 1)  # rescaled to the original image
