"""Inference-time folding of FrozenBN / eval-mode BN into `Conv2d` (detectra/layers/fold_norm.py)."""
import pytest
import torch
from torch import nn

from detectra.layers import Conv2d, FrozenBatchNorm2d, get_norm


def _randomise(norm: nn.Module) -> nn.Module:
    g = torch.Generator().manual_seed(3)
    c = norm.num_features
    norm.running_mean.copy_(torch.rand(c, generator=g) * 2 - 1)
    norm.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
    with torch.no_grad():
        norm.weight.copy_(torch.rand(c, generator=g) + 0.5)
        norm.bias.copy_(torch.rand(c, generator=g) - 0.5)
    return norm


def _conv(norm: nn.Module, bias: bool = False) -> Conv2d:
    torch.manual_seed(0)
    return Conv2d(6, 8, 3, padding=1, bias=bias, norm=_randomise(norm), activation=torch.relu)


def _unfolded(conv: Conv2d, x: torch.Tensor) -> torch.Tensor:
    Conv2d.fold_norm_at_inference = False
    try:
        return conv(x)
    finally:
        Conv2d.fold_norm_at_inference = True


@pytest.mark.parametrize("norm", ["FrozenBN", "BN"])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_folded_equals_conv_then_norm(norm, channels_last, bias):
    conv = _conv(get_norm(norm, 8), bias=bias).eval()
    x = torch.randn(2, 6, 11, 13)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        folded, reference = conv(x), _unfolded(conv, x)
    assert "_folded_norm" in conv.__dict__  # the folded path ran
    torch.testing.assert_close(folded, reference, rtol=1e-5, atol=1e-5)
    assert conv.__dict__["_folded_norm"][1].is_contiguous(
        memory_format=torch.channels_last if channels_last else torch.contiguous_format
    )


def test_new_weights_refold_and_state_dict_untouched():
    conv = _conv(FrozenBatchNorm2d(8)).eval()
    state = {k: v.clone() for k, v in conv.state_dict().items()}
    x = torch.randn(1, 6, 9, 9)
    with torch.no_grad():
        conv(x)
    for k, v in conv.state_dict().items():
        assert torch.equal(v, state[k]), k  # folding never writes into the module's tensors
    new = {k: v * 1.5 if k.endswith("weight") else v for k, v in state.items()}
    conv.load_state_dict(new)  # e.g. a checkpoint loaded after eval(), as the predictors do
    with torch.no_grad():
        torch.testing.assert_close(conv(x), _unfolded(conv, x), rtol=1e-5, atol=1e-5)


def test_no_folding_in_training_or_when_weight_gradients_are_wanted():
    conv = _conv(nn.BatchNorm2d(8))
    x = torch.randn(2, 6, 9, 9)
    conv.eval()
    with torch.no_grad():
        conv(x)
    conv.train()
    assert "_folded_norm" not in conv.__dict__  # dropped on train()
    conv(x).sum().backward()
    assert "_folded_norm" not in conv.__dict__
    assert conv.weight.grad is not None and conv.norm.weight.grad is not None
    # eval mode with autograd on (e.g. input-gradient analysis): the weights still get their gradient
    conv.eval()
    conv.zero_grad()
    conv(x).sum().backward()
    assert conv.weight.grad.abs().sum() > 0
    assert "_folded_norm" not in conv.__dict__


def test_group_norm_is_not_folded():
    torch.manual_seed(0)
    conv = Conv2d(6, 64, 3, padding=1, bias=False, norm=get_norm("GN", 64)).eval()
    with torch.no_grad():
        conv(torch.randn(1, 6, 5, 5))
    assert "_folded_norm" not in conv.__dict__


def test_bf16_autocast_folds_in_bf16():
    conv = _conv(FrozenBatchNorm2d(8)).eval()
    x = torch.randn(2, 6, 12, 12)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        folded = conv(x)
        reference = _unfolded(conv, x)
    assert folded.dtype == torch.bfloat16
    assert conv.__dict__["_folded_norm"][1].dtype == torch.bfloat16  # cast once, not at every call
    scale = reference.float().abs().max()
    assert (folded.float() - reference.float()).abs().max() <= 0.02 * scale
