import torch
import torch.nn.functional as F
import torchvision

from detectra.layers import (
    DeformConv,
    ModulatedDeformConv,
    ROIAlign,
    ROIAlignRotated,
    ROIPool,
    batched_nms,
    nms,
    paste_masks_in_image,
)
from detectra.structures import Boxes


def _rois():
    return torch.tensor([[0, 3.2, 4.1, 15.5, 12.3], [1, 0, 0, 23, 19], [1, -3, 5, 8, 30], [0, 5, 5, 5.5, 6]])


def test_roi_align_matches_torchvision():
    x = torch.randn(2, 3, 20, 24)
    out = ROIAlign((4, 5), 0.5, 0)(x, _rois())
    ref = torchvision.ops.roi_align(x, _rois(), (4, 5), 0.5, 0, aligned=True)
    torch.testing.assert_close(out, ref)
    # a constant feature map pools to that constant inside the image
    const = ROIAlign(2, 1.0, 2)(torch.full((1, 1, 10, 10), 3.0), torch.tensor([[0.0, 1.0, 1.0, 8.0, 8.0]]))
    torch.testing.assert_close(const, torch.full((1, 1, 2, 2), 3.0))
    assert ROIPool(2, 1.0)(torch.arange(16.0).view(1, 1, 4, 4), torch.tensor([[0.0, 0, 0, 3, 3]])).flatten().tolist() == [
        5.0, 7.0, 13.0, 15.0]


def test_roi_align_rotated_zero_angle_equals_roi_align():
    x = torch.randn(2, 3, 20, 24)
    r = _rois()
    rotated = torch.cat([r[:, :1], (r[:, 1:3] + r[:, 3:5]) / 2, r[:, 3:5] - r[:, 1:3], torch.zeros(len(r), 1)], dim=1)
    for ratio in (0, 2):
        ref = ROIAlign((4, 5), 0.5, ratio)(x, r)
        out = ROIAlignRotated((4, 5), 0.5, ratio)(x, rotated)
        torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_roi_align_rotated_90_degrees_transposes():
    x = torch.randn(1, 2, 16, 16)
    x = x + x.transpose(-1, -2)  # symmetric content around the diagonal, which passes through the ROI center
    roi = torch.tensor([[0.0, 8.0, 8.0, 8.0, 4.0, 0.0]])
    roi90 = roi.clone()
    roi90[0, 5] = 90.0
    a = ROIAlignRotated((4, 4), 1.0, 2)(x, roi)
    b = ROIAlignRotated((4, 4), 1.0, 2)(x, roi90)
    # at 90 degrees, sample (yy, xx) of the box frame reads the map at (y, x) = (-xx, yy); with the map symmetric
    # about the diagonal through the center that is (yy, -xx): the same grid mirrored along the box's width
    torch.testing.assert_close(b[0], a[0].flip(-1), atol=1e-5, rtol=1e-5)
    assert (a[0] - a[0].flip(-1)).abs().max() > 1e-2  # the check above is not trivially true


def test_nms_and_batched_nms():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    assert nms(boxes, scores, 0.5).tolist() == [3, 2]
    assert batched_nms(boxes, scores, torch.tensor([0, 0, 0, 1]), 0.5).tolist() == [3, 0, 2]
    assert batched_nms(boxes.half(), scores.half(), torch.tensor([0, 0, 0, 1]), 0.5).tolist() == [3, 0, 2]


def test_deform_conv_zero_offset_is_conv():
    torch.manual_seed(0)
    x = torch.randn(2, 4, 9, 9)
    dc = DeformConv(4, 6, 3, padding=1)
    offset = torch.zeros(2, 18, 9, 9)
    torch.testing.assert_close(dc(x, offset), F.conv2d(x, dc.weight, None, padding=1), atol=1e-5, rtol=1e-5)
    mdc = ModulatedDeformConv(4, 6, 3, padding=1, deformable_groups=1)
    out = mdc(x, offset, torch.full((2, 9, 9, 9), 0.5))
    torch.testing.assert_close(out, 0.5 * F.conv2d(x, mdc.weight, None, padding=1) + mdc.bias[:, None, None], atol=1e-5, rtol=1e-5)
    assert dc(torch.zeros(0, 4, 9, 9), torch.zeros(0, 18, 9, 9)).shape == (0, 6, 9, 9)


def test_paste_full_mask_fills_box():
    masks = torch.ones(2, 28, 28)
    boxes = Boxes(torch.tensor([[2.0, 3.0, 10.0, 8.0], [10.5, 0.0, 19.5, 6.0]]))
    out = paste_masks_in_image(masks, boxes, (12, 20))
    assert out.shape == (2, 12, 20) and out.dtype == torch.bool
    expected = torch.zeros(12, 20, dtype=torch.bool)
    expected[3:8, 2:10] = True
    assert torch.equal(out[0], expected)
    # half-pixel box edges: the centers of pixels 10 and 19 lie exactly on the box edges, where bilinear blending
    # with the zero padding gives exactly 0.5 >= threshold
    assert out[1].sum(dim=1)[:6].tolist() == [10] * 6 and out[1, 6:].sum() == 0
    soft = paste_masks_in_image(masks, boxes.tensor, (12, 20), threshold=-1)
    assert soft.dtype == torch.uint8 and soft[0, 5, 5] == 255
    assert paste_masks_in_image(torch.zeros(0, 28, 28), torch.zeros(0, 4), (12, 20)).shape == (0, 12, 20)


def test_paste_half_mask_left_half():
    masks = torch.zeros(1, 4, 4)
    masks[0, :, :2] = 1.0
    out = paste_masks_in_image(masks, torch.tensor([[0.0, 0.0, 16.0, 16.0]]), (16, 16))
    # the mask edge is at the box's middle, where bilinear blending crosses 0.5
    assert out[0, 1:15, :8].all() and not out[0, :, 8:].any()
    # corners blend with the zero padding on two sides: 0.625 ** 2 < 0.5 (Detectron2 behaves the same)
    assert not out[0, 0, 0] and not out[0, 15, 0] and out[0, 0, 1]


def test_roi_align_bf16_keeps_box_precision():
    x = torch.randn(1, 3, 40, 600)
    r = torch.tensor([[0, 501.3, 3.2, 590.7, 30.1]])
    ref = ROIAlign(2, 1.0, 0)(x.bfloat16().float(), r)
    out = ROIAlign(2, 1.0, 0)(x.bfloat16(), r)
    assert out.dtype == torch.bfloat16
    # only the output rounding differs; bf16 box coordinates near 500 would be off by up to 2 px
    torch.testing.assert_close(out.float(), ref, atol=2e-2, rtol=1e-2)


def test_aspp_shapes():
    from detectra.layers import ASPP

    aspp = ASPP(8, 4, [1, 2, 3], norm="BN", activation=F.relu, dropout=0.1)
    assert aspp(torch.randn(2, 8, 9, 9)).shape == (2, 4, 9, 9)
    aspp = ASPP(8, 4, [1, 2, 3], norm="", activation=F.relu, pool_kernel_size=(4, 4), use_depthwise_separable_conv=True)
    assert aspp(torch.randn(1, 8, 8, 8)).shape == (1, 4, 8, 8)


def test_batched_nms_topk_equals_full_batched_nms_prefix():
    from detectra.layers import batched_nms, batched_nms_topk

    g = torch.Generator().manual_seed(0)
    n = 6000
    xy = torch.rand(n, 2, generator=g) * 300
    boxes = torch.cat([xy, xy + torch.rand(n, 2, generator=g) * 80 + 1], 1)
    classes = torch.randint(0, 20, (n,), generator=g)
    scores = torch.rand(n, generator=g)  # distinct: the order is fully defined
    full = batched_nms(boxes, scores, classes, 0.5)
    for k in (1, 50, 100, 1000, 4000, -1):
        expected = full if k < 0 else full[:k]
        assert torch.equal(batched_nms_topk(boxes, scores, classes, 0.5, k), expected), k
    # many equal scores (bf16 logits): the same scores in the same order; equal-score boxes may swap places
    tied = (scores * 20).round() / 20
    full = batched_nms(boxes, tied, classes, 0.5)
    for k in (10, 100, 700):
        ours = batched_nms_topk(boxes, tied, classes, 0.5, k)
        assert torch.equal(tied[ours], tied[full[:k]]), k
