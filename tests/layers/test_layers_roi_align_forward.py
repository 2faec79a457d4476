"""The dense CPU RoIAlign forward (detectra/layers/roi_align_forward.py) against torchvision's kernel."""
import pytest
import torch
from torchvision.ops import roi_align

from detectra.layers import ROIAlign
from detectra.layers.roi_align_forward import roi_align_separable_forward, use_separable_forward


def _rois(num: int, images: int, hw, stride: float, sides, seed: int, dtype=torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    h, w = hw
    ctr = torch.rand(num, 2, generator=g, dtype=dtype) * torch.tensor([w * stride, h * stride], dtype=dtype)
    side = torch.rand(num, 2, generator=g, dtype=dtype) * (sides[1] - sides[0]) + sides[0]
    boxes = torch.cat([ctr - side / 2, ctr + side / 2], 1)
    index = torch.randint(0, images, (num, 1), generator=g).to(dtype)
    rois = torch.cat([index, boxes], 1)
    rois[0, 1:] = torch.tensor([-3 * stride, -2 * stride, (w + 4) * stride, (h + 3) * stride])  # beyond the map
    rois[1, 1:] = torch.tensor([5.0, 5.0, 5.0, 5.0])  # empty box
    return rois


@pytest.mark.parametrize("hw", [(21, 30), (33, 14)])  # both contraction orders of the whole-map path
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("sampling_ratio", [0, 2])
@pytest.mark.parametrize("aligned", [True, False])
def test_equals_torchvision_in_float64(hw, channels_last, sampling_ratio, aligned):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, *hw, generator=g, dtype=torch.float64)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    # small boxes (windows), boxes larger than the map (whole-map products) and everything between
    rois = torch.cat([_rois(40, 3, hw, 8, (1, 60), 1), _rois(20, 3, hw, 8, (60, 400), 2)])
    ours = roi_align_separable_forward(x, rois, (7, 6), 1 / 8, sampling_ratio, aligned)
    ref = roi_align(x, rois, (7, 6), 1 / 8, sampling_ratio, aligned)
    assert ours.shape == ref.shape == (60, 5, 7, 6)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-12)


def test_float32_and_bf16_within_float_tolerance():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 64, 50, 67, generator=g).contiguous(memory_format=torch.channels_last)
    rois = _rois(300, 2, (50, 67), 16, (16, 500), 3, dtype=torch.float32)
    ref = roi_align(x.double(), rois.double(), (7, 7), 1 / 16, 0, True)
    ours32 = roi_align_separable_forward(x, rois, (7, 7), 1 / 16, 0, True)
    assert ours32.dtype == torch.float32
    torch.testing.assert_close(ours32.double(), ref, rtol=0, atol=1e-4)

    xb = x.bfloat16()
    ref_b = roi_align(xb.double(), rois.double(), (7, 7), 1 / 16, 0, True)  # the same bf16 values, exactly pooled
    ours_b = roi_align_separable_forward(xb, rois, (7, 7), 1 / 16, 0, True)
    assert ours_b.dtype == torch.bfloat16
    # bf16 weights and one bf16 intermediate: a few bf16 ulps of the largest value
    assert (ours_b.double() - ref_b).abs().max() <= 0.02 * ref_b.abs().max()


def test_roi_align_module_chooses_per_call():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(1, 32, 40, 60, generator=g)
    rois = _rois(100, 1, (40, 60), 8, (8, 120), 4, dtype=torch.float32)
    pool = ROIAlign((7, 7), 1 / 8, 0, aligned=True)
    assert use_separable_forward(x, rois, (7, 7), 1 / 8, 0)
    assert not use_separable_forward(x.requires_grad_(), rois, (7, 7), 1 / 8, 0)  # training: torchvision's forward
    assert not use_separable_forward(x.detach(), rois[:0], (7, 7), 1 / 8, 0)
    with torch.no_grad():
        out = pool(x.detach(), rois)
        out_bf16 = pool(x.detach().bfloat16(), rois.bfloat16())  # bf16 boxes are pooled from float32 boxes
    torch.testing.assert_close(out, roi_align(x.detach(), rois, (7, 7), 1 / 8, 0, True), rtol=0, atol=1e-4)
    assert out_bf16.dtype == torch.bfloat16
    out_grad = pool(x, rois)  # with autograd: torchvision's forward, gradient still flows
    out_grad.sum().backward()
    assert x.grad is not None


def test_float32_features_under_bf16_autocast_stay_float32():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 8, 30, 40, generator=g)
    rois = _rois(50, 1, (30, 40), 8, (8, 100), 6, dtype=torch.float32)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = ROIAlign((7, 7), 1 / 8, 0, aligned=True)(x, rois)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, roi_align(x, rois, (7, 7), 1 / 8, 0, True), rtol=0, atol=1e-4)
