"""MMDetBackbone wraps any multi-scale module as a detectra backbone; without mmdet, the detector wrapper says
what to install."""
from __future__ import annotations

import importlib.util

import pytest
import torch
from torch import nn

from detectra.layers import ShapeSpec
from detectra.modeling import MMDetBackbone, MMDetDetector


class _TwoScales(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=4, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.trained = 0

    def train(self, mode: bool = True) -> "_TwoScales":
        self.trained += 1
        return super().train(mode)

    def forward(self, x: torch.Tensor) -> tuple:
        a = self.c1(x)
        return a, self.c2(a)


def test_backbone_wrapper_names_and_shapes():
    shapes = [ShapeSpec(channels=8, stride=4), ShapeSpec(channels=16, stride=8)]
    backbone = MMDetBackbone(_TwoScales(), output_shapes=shapes, output_names=["p2", "p3"])
    out = backbone(torch.zeros(1, 3, 64, 64))
    assert {k: tuple(v.shape) for k, v in out.items()} == {"p2": (1, 8, 16, 16), "p3": (1, 16, 8, 8)}
    assert backbone.output_shape()["p3"].stride == 8 and backbone.backbone.trained >= 1
    assert list(MMDetBackbone(_TwoScales(), output_shapes=shapes).output_shape()) == ["out0", "out1"]
    with pytest.raises(ValueError, match="returned 2 feature maps but output_shapes lists 1"):
        MMDetBackbone(_TwoScales(), output_shapes=shapes[:1])(torch.zeros(1, 3, 32, 32))


@pytest.mark.skipif(importlib.util.find_spec("mmdet") is not None, reason="mmdet is installed")
def test_detector_wrapper_without_mmdet_says_what_to_install():
    with pytest.raises(ImportError, match=r"pip install 'mmdet>=3'"):
        MMDetDetector(nn.Linear(1, 1), pixel_mean=[0.0] * 3, pixel_std=[1.0] * 3)
    with pytest.raises(ImportError, match="MMDetection 3.x"):
        MMDetBackbone({"type": "ResNet", "depth": 50}, output_shapes=[ShapeSpec(channels=256, stride=4)])
