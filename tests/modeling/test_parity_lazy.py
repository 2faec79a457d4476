"""Parity with the reference Detectron2 on the LazyConfig fixtures of RegNet and FCOS (``shared/fixtures/d2parity``).

Each model is built from the fixture's ``config.yaml`` (saved by Detectron2's ``LazyConfig.save``, ``detectron2.*``
targets and Python tags included) through ``LazyConfig.load`` + ``instantiate``, gets the fixture's weights through
``DetectionCheckpointer`` and runs one 800-px image (5-10 s each on 2 cores, hence ``slow``).
"""
import pytest

from .parity_utils import ParityFixture, float32_determinism  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.slow
IMAGE = 0  # the landscape image, padded to 800x1216 (images 1 and 2 also match: checked when this test was written)


def test_mask_rcnn_regnetx_4gf_dds_FPN(shared_dir, image=IMAGE):
    fx = ParityFixture(shared_dir, "mask_rcnn_regnetx_4gf_dds_FPN")
    assert fx.is_lazy
    run = fx.run(fx.build_model(), image)
    fx.check_features(run, image)  # p2..p6
    fx.check_proposals(run, image)
    fx.check_detections(run, image)
    fx.check_masks(run, image)


def test_fcos_R_50_FPN(shared_dir, image=IMAGE):
    fx = ParityFixture(shared_dir, "fcos_R_50_FPN")
    run = fx.run(fx.build_model(), image)
    fx.check_features(run, image)  # p3..p7
    fx.check_detections(run, image)  # centerness-weighted scores, per-level top-k, box decoding
