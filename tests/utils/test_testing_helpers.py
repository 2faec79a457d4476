"""detectra.utils.testing: the helpers that Detectron2-style test suites import."""
from __future__ import annotations

import unittest

import numpy as np
import pytest
import torch

from detectra.config import LazyCall as L
from detectra.structures import Boxes, Instances
from detectra.utils import testing


def test_random_boxes_are_valid():
    torch.manual_seed(0)
    boxes = testing.random_boxes(50, max_coord=40)
    assert boxes.shape == (50, 4)
    assert (boxes[:, 2:] > boxes[:, :2]).all() and boxes.min() >= 1 and boxes.max() <= 40


def test_sample_image_is_fixed_and_offline():
    image = testing.get_sample_coco_image()
    assert image.shape == (3, 480, 640) and image.dtype == torch.uint8
    array = testing.get_sample_coco_image(tensor=False)
    assert array.shape == (480, 640, 3) and np.array_equal(array.transpose(2, 0, 1), image.numpy())
    assert len(np.unique(array.reshape(-1, 3), axis=0)) > 100  # a textured scene, not a flat fill


def test_model_without_weights_runs_on_the_sample_image():
    model = testing.get_model_no_weights("shapes/faster_rcnn_R_18_FPN.yaml").eval()
    with torch.no_grad():
        out = model([{"image": testing.get_sample_coco_image()[:, :200, :240]}])
    assert out[0]["instances"].image_size == (200, 240)


def _instances(scale: float = 1.0) -> Instances:
    inst = Instances((10, 20))
    inst.pred_boxes = Boxes(torch.tensor([[1.0, 2.0, 5.0, 6.0]]) * scale)
    inst.scores = torch.tensor([0.5])
    inst.names = ["a"]
    return inst


def test_assert_instances_allclose():
    testing.assert_instances_allclose(_instances(), _instances(1 + 1e-7))
    with pytest.raises(AssertionError, match="field 'pred_boxes' differs"):
        testing.assert_instances_allclose(_instances(), _instances(1.1))
    other = _instances()
    other.names = ["b"]
    with pytest.raises(AssertionError, match="check: field 'names'"):
        testing.assert_instances_allclose(_instances(), other, msg="check:")
    with pytest.raises(AssertionError, match="image_size differs"):
        testing.assert_instances_allclose(_instances(), Instances((3, 3), **_instances().get_fields()))
    testing.assert_instances_allclose(_instances(), testing.convert_scripted_instances(_instances()))


def test_round_trips_and_skips():
    scripted = torch.jit.script(torch.nn.Linear(3, 2))
    x = torch.randn(4, 3)
    with pytest.warns(FutureWarning):  # TorchScript still loads on torch 2.11, deprecated
        reloaded = testing.reload_script_model(scripted)
    torch.testing.assert_close(reloaded(x), scripted(x))
    from omegaconf import OmegaConf

    cfg = testing.reload_lazy_config(OmegaConf.create({"model": L(torch.nn.Linear)(in_features=3, out_features=2)}))
    assert cfg.model.in_features == 3 and cfg.model._target_ in ("torch.nn.Linear", "torch.nn.modules.linear.Linear")

    class T(unittest.TestCase):
        @testing.skipIfUnsupportedMinTorchVersion("99.0")
        def test_new(self):
            pass

        @testing.skipIfUnsupportedMinOpsetVersion(18, current_opset_version=17)
        def test_opset(self):
            pass

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(T).run(result)
    assert len(result.skipped) == 2 and "torch >= 99.0" in result.skipped[0][1] + result.skipped[1][1]
