"""Convolution + bias + residual add + ReLU fused at float32 CPU inference (detectra/layers/conv_fusion.py)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from detectra.config import get_cfg
from detectra.layers import Conv2d, FrozenBatchNorm2d, ShapeSpec
from detectra.layers import wrappers
from detectra.modeling.backbone.fpn import build_resnet_fpn_backbone

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="needs PyTorch built with oneDNN")

CL = torch.channels_last


@pytest.fixture
def fused_calls(monkeypatch):
    """Counts the calls that took the fused path."""
    calls, real = [], wrappers.fused_conv2d

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(wrappers, "fused_conv2d", counting)
    return calls


def _plain(module: nn.Module, *args, **kwargs):
    """The same call with the separate ops (folding still on)."""
    Conv2d.fuse_at_inference = False
    try:
        return module(*args, **kwargs)
    finally:
        Conv2d.fuse_at_inference = True


def _frozen_bn(channels: int) -> FrozenBatchNorm2d:
    g = torch.Generator().manual_seed(5)
    norm = FrozenBatchNorm2d(channels)
    norm.weight.copy_(torch.rand(channels, generator=g) + 0.5)
    norm.bias.copy_(torch.rand(channels, generator=g) - 0.5)
    norm.running_mean.copy_(torch.rand(channels, generator=g) - 0.5)
    norm.running_var.copy_(torch.rand(channels, generator=g) + 0.5)
    return norm


@pytest.mark.parametrize(
    "kernel, stride, dilation, groups", [(1, 1, 1, 1), (3, 1, 1, 1), (3, 2, 1, 1), (3, 1, 2, 4), (1, 2, 1, 1)]
)
@pytest.mark.parametrize("norm", [True, False])
@pytest.mark.parametrize("add, relu", [(False, True), (True, True), (True, False), (False, False)])
def test_fused_equals_separate_ops(fused_calls, kernel, stride, dilation, groups, norm, add, relu):
    torch.manual_seed(0)
    conv = Conv2d(
        16, 32, kernel, stride=stride, padding=dilation * (kernel // 2), dilation=dilation, groups=groups,
        bias=not norm, norm=_frozen_bn(32) if norm else None,
    ).eval()  # fmt: skip
    x = torch.randn(2, 16, 23, 30).contiguous(memory_format=CL)
    out_hw = ((23 - 1) // stride + 1, (30 - 1) // stride + 1)
    residual = torch.randn(2, 32, *out_hw).contiguous(memory_format=CL) if add else None
    with torch.no_grad():
        fused = conv(x, add=residual, relu=relu)
        assert len(fused_calls) == 1
        plain = _plain(conv, x, add=residual, relu=relu)
    assert len(fused_calls) == 1
    assert fused.is_contiguous(memory_format=CL)
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-5)
    if relu:
        assert (fused >= 0).all() and (fused == 0).any()


def test_result_written_into_add(fused_calls):
    torch.manual_seed(0)
    conv = Conv2d(16, 32, 1, stride=2, bias=False, norm=_frozen_bn(32)).eval()
    x = torch.randn(1, 16, 20, 24).contiguous(memory_format=CL)
    residual = torch.randn(1, 32, 10, 12).contiguous(memory_format=CL)
    with torch.no_grad():
        expected = conv(x, add=residual, relu=True)
        plain = _plain(conv, x, add=residual.clone(), relu=True, into_add=True)
        out = conv(x, add=residual, relu=True, into_add=True)
    assert out.data_ptr() == residual.data_ptr()  # no new tensor
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    torch.testing.assert_close(plain, expected, rtol=1e-5, atol=1e-5)
    assert [c["into_add"] for c in fused_calls] == [False, True]


def test_relu_activation_is_fused(fused_calls):
    torch.manual_seed(0)
    conv = Conv2d(8, 8, 3, padding=1, activation=nn.ReLU()).eval()
    x = torch.randn(1, 8, 17, 19).contiguous(memory_format=CL)
    with torch.no_grad():
        fused = conv(x)
        assert fused_calls == [{"add": None, "relu": True, "into_add": False}]
        torch.testing.assert_close(fused, _plain(conv, x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="must not have an activation"):
        conv(x, add=x)


def test_not_fused_where_plain_ops_are_needed(fused_calls):
    torch.manual_seed(0)
    conv = Conv2d(8, 8, 3, padding=1, norm=_frozen_bn(8)).eval()
    x = torch.randn(1, 8, 12, 12)
    x_cl = x.contiguous(memory_format=CL)
    residual = torch.randn(1, 8, 12, 12)
    with torch.no_grad():
        conv(x, add=residual, relu=True)  # NCHW: oneDNN would reorder around the call
        with torch.autocast("cpu", dtype=torch.bfloat16):
            conv(x_cl, relu=True)
        with FlopCounterMode(display=False) as counter:  # must see aten.convolution to count it
            conv(x_cl, add=residual, relu=True)
        assert counter.get_total_flops() == 2 * 8 * 8 * 9 * 12 * 12
        Conv2d(8, 8, 3, padding=1, activation=torch.tanh).eval()(x_cl)  # not a ReLU
    conv.train()
    conv(x_cl, add=residual, relu=True)  # training
    conv.eval()
    kept = residual.clone()
    out = conv(x_cl.requires_grad_(), add=residual, relu=True, into_add=True)  # a gradient is wanted (saliency)
    assert fused_calls == []
    assert torch.equal(residual, kept)  # the plain path never writes into `add`
    out.sum().backward()
    assert x_cl.grad is not None


def test_training_add_relu_matches_reference():
    torch.manual_seed(0)
    conv = Conv2d(4, 6, 3, padding=1, norm=nn.BatchNorm2d(6))
    x, residual = torch.randn(2, 4, 9, 9), torch.randn(2, 6, 9, 9)
    out = conv(x, add=residual, relu=True)
    torch.testing.assert_close(out, F.relu(conv.norm(F.conv2d(x, conv.weight, None, padding=1)) + residual))
    out.sum().backward()
    assert conv.weight.grad.abs().sum() > 0


def test_resnet_fpn_fused_equals_separate_ops(fused_calls):
    cfg = get_cfg()
    cfg.MODEL.RESNETS.DEPTH = 50
    cfg.MODEL.RESNETS.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
    cfg.MODEL.FPN.IN_FEATURES = ["res2", "res3", "res4", "res5"]
    torch.manual_seed(0)
    backbone = build_resnet_fpn_backbone(cfg, ShapeSpec(channels=3)).eval()
    for m in backbone.modules():
        if isinstance(m, FrozenBatchNorm2d):  # realistic statistics keep activations in range
            m.running_var.fill_(64.0)
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        fused = backbone(x)
        assert len(fused_calls) == 53 + 8  # every ResNet-50 conv, the FPN's lateral and output convs
        plain = _plain(backbone, x)
    for name in plain:
        scale = plain[name].abs().max()
        torch.testing.assert_close(fused[name], plain[name], rtol=0, atol=1e-5 * scale, msg=name)
