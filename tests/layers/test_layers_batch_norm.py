from collections import OrderedDict

import pytest
import torch
from torch import nn

from detectra.layers import CNNBlockBase, Conv2d, FrozenBatchNorm2d, LayerNorm, NaiveSyncBatchNorm, get_norm


def _trained_bn(c=6):
    bn = nn.BatchNorm2d(c)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2.0)
        bn.bias.uniform_(-1, 1)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 3.0)
    return bn.eval()


def test_frozen_bn_equals_eval_bn_with_and_without_grad():
    bn = _trained_bn()
    frozen = FrozenBatchNorm2d(6)
    frozen.load_state_dict(bn.state_dict())  # includes num_batches_tracked, which is ignored
    x = torch.randn(2, 6, 5, 5)
    torch.testing.assert_close(frozen(x), bn(x))
    xg = x.clone().requires_grad_(True)
    out = frozen(xg)
    torch.testing.assert_close(out, bn(x))
    out.sum().backward()
    assert xg.grad is not None and not any(p.requires_grad for p in frozen.buffers())
    assert len(list(frozen.parameters())) == 0
    assert "num_batches_tracked" not in frozen.state_dict()


def test_frozen_bn_old_checkpoint_without_running_stats():
    frozen = FrozenBatchNorm2d(3)
    sd = {"weight": torch.full((3,), 2.0), "bias": torch.ones(3)}
    # version-1 checkpoints had no running statistics: they default to mean 0 / var 1
    sd = OrderedDict(sd)
    sd._metadata = {"": {"version": 1}}
    frozen.load_state_dict(sd)
    torch.testing.assert_close(frozen.running_mean, torch.zeros(3))
    torch.testing.assert_close(frozen.running_var, torch.ones(3))


def test_convert_frozen_batchnorm_recursive():
    model = nn.Sequential(nn.Conv2d(3, 6, 3), _trained_bn(), nn.Sequential(nn.Conv2d(6, 6, 1), _trained_bn()))
    x = torch.randn(1, 3, 8, 8)
    ref = model.eval()(x)
    converted = FrozenBatchNorm2d.convert_frozen_batchnorm(model)
    assert isinstance(converted[1], FrozenBatchNorm2d) and isinstance(converted[2][1], FrozenBatchNorm2d)
    torch.testing.assert_close(converted(x), ref)
    back = FrozenBatchNorm2d.convert_frozenbatchnorm2d_to_batchnorm2d(converted)
    assert isinstance(back[1], nn.BatchNorm2d)
    torch.testing.assert_close(back.eval()(x), ref)


def test_cnn_block_freeze():
    class Block(CNNBlockBase):
        def __init__(self):
            super().__init__(3, 4, 2)
            self.conv = Conv2d(3, 4, 3, stride=2, norm=get_norm("BN", 4))

        def forward(self, x):
            return self.conv(x)

    b = Block().freeze()
    assert (b.in_channels, b.out_channels, b.stride) == (3, 4, 2)
    assert isinstance(b.conv.norm, FrozenBatchNorm2d)
    assert not any(p.requires_grad for p in b.parameters())


@pytest.mark.parametrize(
    "name,cls",
    [("BN", nn.BatchNorm2d), ("SyncBN", nn.SyncBatchNorm), ("FrozenBN", FrozenBatchNorm2d), ("GN", nn.GroupNorm),
     ("naiveSyncBN", NaiveSyncBatchNorm), ("naiveSyncBN_N", NaiveSyncBatchNorm), ("LN", LayerNorm)],
)
def test_get_norm_names(name, cls):
    m = get_norm(name, 64)
    assert isinstance(m, cls)
    if name == "GN":
        assert m.num_groups == 32
    assert get_norm("", 8) is None and get_norm(None, 8) is None
    assert isinstance(get_norm(lambda c: nn.GroupNorm(2, c), 8), nn.GroupNorm)


def test_get_norm_unknown_lists_names():
    with pytest.raises(KeyError, match="FrozenBN"):
        get_norm("BatchNorm", 8)


def test_naive_sync_bn_single_process_is_bn():
    torch.manual_seed(0)
    a, b = NaiveSyncBatchNorm(4), nn.BatchNorm2d(4)
    x = torch.randn(3, 4, 5, 5)
    torch.testing.assert_close(a.train()(x), b.train()(x))
    torch.testing.assert_close(a.running_var, b.running_var)


def test_layer_norm_channels_first():
    ln = LayerNorm(5)
    with torch.no_grad():
        ln.weight.uniform_()
        ln.bias.uniform_()
    x = torch.randn(2, 5, 3, 4)
    ref = torch.nn.functional.layer_norm(x.permute(0, 2, 3, 1), (5,), ln.weight, ln.bias, 1e-6).permute(0, 3, 1, 2)
    torch.testing.assert_close(ln(x), ref, atol=1e-5, rtol=1e-5)


def test_frozen_bn_under_bf16_autocast():
    frozen = FrozenBatchNorm2d.convert_frozen_batchnorm(_trained_bn(3))
    conv = Conv2d(3, 3, 1, norm=frozen)
    x = torch.randn(1, 3, 4, 4)
    ref = conv(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = conv(x.requires_grad_(True))
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), ref, atol=0.1, rtol=0.05)


def test_frozen_bn_exports_on_a_data_dependent_batch():
    """A C4 ROI head runs FrozenBN on a data-dependent number of ROIs: torch.export must not need to know whether
    that number is 0 (F.batch_norm's check on an empty input stopped the export)."""
    frozen = FrozenBatchNorm2d(6)
    frozen.load_state_dict(_trained_bn().state_dict())

    class KeptRois(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = frozen

        def forward(self, rois: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
            return self.norm(rois[scores > 0.5])  # (K, 6, 3, 3), K known only at run time

    rois, scores = torch.randn(8, 6, 3, 3), torch.tensor([0.9, 0.1, 0.7, 0.2, 0.8, 0.6, 0.3, 0.4])
    module = torch.export.export(KeptRois(), (rois, scores), strict=False).module()
    for keep in (scores, torch.zeros(8)):  # some ROIs kept, none kept
        torch.testing.assert_close(module(rois, keep), frozen(rois[keep > 0.5]), atol=1e-6, rtol=1e-5)
