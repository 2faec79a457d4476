"""FLOP / activation / parameter counts on layers whose costs are known in closed form."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from detectra.utils.analysis import (
    FlopCountAnalysis,
    activation_count_operators,
    flop_count_operators,
    parameter_count,
    parameter_count_table,
)


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 8 * 8, 10))
        self.unused = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)))


def test_flops_of_known_layers():
    analysis = FlopCountAnalysis(_Net(), (torch.zeros(2, 3, 8, 8),))
    conv = 2 * 16 * 8 * 8 * (3 * 3 * 3)  # batch x Cout x H x W outputs, one multiply-add per input weight each
    linear = 2 * 10 * 1024  # batch x outputs x inputs
    assert analysis.by_module()["conv"] == conv == 55296
    assert analysis.total() == conv + linear
    assert analysis.by_operator() == {"convolution": conv, "addmm": linear}
    assert analysis.by_module_and_operator()["head.1"] == {"addmm": linear}
    assert analysis.total("head") == linear and analysis.by_module()["unused"] == 0
    assert analysis.uncalled_modules() == {"unused"} and not analysis.unsupported_ops()
    with pytest.raises(KeyError, match="not a submodule"):
        analysis.total("nope")

    # a custom formula (torch's units: 2 per multiply-add), and None to leave an op out
    custom = analysis.copy().set_op_handle("aten::addmm", lambda *args, out_shape, **kw: 2 * 7)
    assert custom.total() == conv + 7
    assert analysis.copy().set_op_handle("aten::convolution", None).total() == linear


def test_detector_operator_counts():
    from detectra import model_zoo
    from detectra.modeling import build_model

    cfg = model_zoo.get_config("shapes/faster_rcnn_R_18_FPN.yaml")
    cfg.MODEL.DEVICE = "cpu"
    model = build_model(cfg)
    model.train()
    inputs = [{"image": torch.rand(3, 64, 96) * 255}]
    gflops = flop_count_operators(model, inputs)
    assert model.training  # put back in its mode
    assert gflops["convolution"] > 0.1 and set(gflops) <= {"convolution", "addmm", "mm", "bmm"}
    # the stem's 7x7 stride-2 conv alone: 64 channels x (32 x 48) outputs x 3*7*7 weights
    assert FlopCountAnalysis(model.eval(), inputs).total("backbone.bottom_up.stem") == 64 * 32 * 48 * 147
    acts = activation_count_operators(model, inputs)
    assert acts["convolution"] > 0
    with pytest.raises(TypeError, match="'image' tensor"):
        flop_count_operators(model, [torch.zeros(3, 8, 8)])


def test_parameter_count_and_table():
    net = _Net()
    counts = parameter_count(net)
    assert counts["conv.weight"] == 432 and counts["conv"] == 448
    assert counts[""] == sum(p.numel() for p in net.parameters()) == 448 + 10250 + 6
    table = parameter_count_table(net, max_depth=1)
    assert "| model" in table and "10.7K" in table and "conv.weight" not in table
    assert "(16, 3, 3, 3)" in parameter_count_table(net)
