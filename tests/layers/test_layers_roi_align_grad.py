"""The separable CPU backward of RoIAlign against torchvision's own backward."""
import pytest
import torch
from torchvision.ops import roi_align

from detectra.layers import ROIAlign
from detectra.layers.roi_align_grad import roi_align_separable_grad, use_separable_backward


def _random_rois(num_images: int, num_rois: int, image_hw, max_size: float, gen: torch.Generator):
    h, w = image_hw
    span = torch.tensor([w, h], dtype=torch.float64)
    # centres reach 15% past every border, so some boxes are partly or wholly outside the map
    ctr = torch.rand(num_rois, 2, generator=gen, dtype=torch.float64) * span * 1.3 - 0.15 * span
    size = torch.rand(num_rois, 2, generator=gen, dtype=torch.float64) * max_size
    boxes = torch.cat([ctr - size / 2, ctr + size / 2], 1)
    index = torch.randint(0, num_images, (num_rois, 1), generator=gen).to(torch.float64)
    return torch.cat([index, boxes], 1)


@pytest.mark.parametrize(
    "feature_hw, scale, sampling_ratio, aligned, output_size",
    [
        ((24, 36), 1 / 8, 0, True, (7, 7)),  # Faster R-CNN box head (ROIAlignV2, adaptive sampling)
        ((24, 36), 1 / 8, 0, False, (7, 7)),  # the original, misaligned RoIAlign
        ((24, 36), 1 / 8, 2, True, (7, 7)),  # a fixed sample grid
        ((36, 20), 1 / 16, 0, True, (7, 7)),  # taller than wide: the columns are contracted first
        ((24, 36), 1 / 8, 0, True, (14, 14)),  # mask head
        ((5, 5), 1.0, 3, False, (7, 5)),  # rectangular output, boxes much larger than the map
    ],
)
def test_gradient_equals_torchvision(feature_hw, scale, sampling_ratio, aligned, output_size):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, *feature_hw, generator=gen, dtype=torch.float64, requires_grad=True)
    image_hw = (feature_hw[0] / scale, feature_hw[1] / scale)
    rois = _random_rois(3, 60, image_hw, max(image_hw), gen)
    grad_out = torch.randn(60, 4, *output_size, generator=gen, dtype=torch.float64)

    expected_out = roi_align(x, rois, output_size, scale, sampling_ratio, aligned)
    (expected,) = torch.autograd.grad(expected_out, x, grad_out)
    out = roi_align_separable_grad(x, rois, output_size, scale, sampling_ratio, aligned)
    (grad,) = torch.autograd.grad(out, x, grad_out)

    assert torch.equal(out, expected_out)  # the forward is torchvision's
    assert expected.abs().sum() > 0
    torch.testing.assert_close(grad, expected, rtol=0, atol=1e-12)


def test_float32_gradient_and_empty_rois():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 8, 24, 36, generator=gen, requires_grad=True)
    rois = _random_rois(2, 100, (192, 288), 150, gen).float()
    grad_out = torch.randn(100, 8, 7, 7, generator=gen)
    (expected,) = torch.autograd.grad(roi_align(x, rois, (7, 7), 1 / 8, 0, True), x, grad_out)
    (grad,) = torch.autograd.grad(roi_align_separable_grad(x, rois, (7, 7), 1 / 8, 0, True), x, grad_out)
    torch.testing.assert_close(grad, expected, rtol=1e-5, atol=1e-5)

    out = roi_align_separable_grad(x, torch.zeros(0, 5), (7, 7), 1 / 8, 0, True)
    (grad,) = torch.autograd.grad(out.sum(), x, allow_unused=True)
    assert out.shape == (0, 8, 7, 7) and (grad is None or not grad.any())


def test_module_takes_the_fast_path_only_where_it_is_cheaper():
    gen = torch.Generator().manual_seed(3)
    small = torch.zeros(8, 64, 24, 36, requires_grad=True)  # the shapes main job's P3 (192x288 input)
    rois = _random_rois(8, 1024, (192, 288), 150, gen).float()
    assert use_separable_backward(small, rois, (7, 7), 1 / 8, 0)
    assert not use_separable_backward(small.detach(), rois, (7, 7), 1 / 8, 0)  # inference: nothing to speed up
    assert not use_separable_backward(small, rois[:0], (7, 7), 1 / 8, 0)
    # COCO-sized P2 map (800x1333 input) with boxes of <= 112 px, the ones FPN sends to P2: the windowed backward
    # only touches each box's window, 5x faster than torchvision's kernel there (bench_roi_align.py)
    coco_p2 = torch.zeros(2, 256, 200, 336, requires_grad=True)
    coco_rois = _random_rois(2, 1000, (800, 1344), 112, gen).float()
    assert use_separable_backward(coco_p2, coco_rois, (7, 7), 1 / 4, 0)
    assert not use_separable_backward(coco_p2.half(), coco_rois, (7, 7), 1 / 4, 0)  # no half kernel here

    pooler = ROIAlign((7, 7), spatial_scale=1 / 8, sampling_ratio=0, aligned=True)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 4, 24, 36, generator=gen, requires_grad=True)
    rois = _random_rois(2, 30, (192, 288), 150, gen).float()
    out = pooler(x, rois)
    assert out.grad_fn is not None and "ROIAlignSeparableGrad" in type(out.grad_fn).__name__
    assert torch.equal(out, roi_align(x, rois, (7, 7), 1 / 8, 0, True))
