import pytest
import torch
import torch.nn.functional as F
import torchvision

from detectra.layers import (
    Conv2d,
    cat,
    ciou_loss,
    cross_entropy,
    diou_loss,
    get_norm,
    giou_loss,
    nonzero_tuple,
    shapes_to_tensor,
    sigmoid_focal_loss,
    sigmoid_focal_loss_jit,
    sigmoid_focal_loss_star,
    smooth_l1_loss,
)


def test_conv2d_norm_activation_and_empty_batch():
    conv = Conv2d(3, 8, 3, padding=1, bias=False, norm=get_norm("FrozenBN", 8), activation=F.relu)
    out = conv(torch.randn(2, 3, 6, 6))
    assert out.shape == (2, 8, 6, 6) and (out >= 0).all()
    conv = Conv2d(3, 4, 3, stride=2, norm=torch.nn.BatchNorm2d(4), activation=F.relu).train()
    empty = conv(torch.zeros(0, 3, 9, 9, requires_grad=True))
    assert empty.shape == (0, 4, 4, 4)
    empty.sum().backward()
    assert conv.weight.grad is not None


def test_cross_entropy_empty_is_zero_with_grad():
    logits = torch.zeros(0, 5, requires_grad=True)
    loss = cross_entropy(logits, torch.zeros(0, dtype=torch.long))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert logits.grad.shape == (0, 5)
    x = torch.randn(4, 3)
    y = torch.tensor([0, 2, 1, 2])
    torch.testing.assert_close(cross_entropy(x, y), F.cross_entropy(x, y))


def test_small_helpers():
    a = torch.ones(2)
    assert cat([a]) is a
    assert cat([a, a]).shape == (4,)
    rows, cols = nonzero_tuple(torch.tensor([[0, 1], [1, 0]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    (idx,) = nonzero_tuple(torch.tensor(True))
    assert idx.tolist() == [0]
    assert shapes_to_tensor([3, 4]).tolist() == [3, 4]


def test_smooth_l1():
    x, y = torch.randn(20), torch.randn(20)
    torch.testing.assert_close(smooth_l1_loss(x, y, 0.0), (x - y).abs())
    torch.testing.assert_close(smooth_l1_loss(x, y, 0.5, reduction="mean"), F.smooth_l1_loss(x, y, beta=0.5))
    torch.testing.assert_close(smooth_l1_loss(x, y, 1.0, reduction="sum"), F.smooth_l1_loss(x, y, reduction="sum"))
    assert smooth_l1_loss(torch.tensor([0.5]), torch.tensor([0.0]), 1.0).item() == pytest.approx(0.125)


def test_focal_loss_equals_torchvision():
    x = torch.randn(10, 4)
    t = (torch.rand(10, 4) > 0.7).float()
    for alpha, gamma in [(0.25, 2.0), (-1, 1.5)]:
        ref = torchvision.ops.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma, reduction="sum")
        torch.testing.assert_close(sigmoid_focal_loss(x, t, alpha, gamma, "sum"), ref)
        torch.testing.assert_close(sigmoid_focal_loss_jit(x, t, alpha, gamma, "sum"), ref)
    # gamma = 0, alpha < 0 is plain BCE
    torch.testing.assert_close(
        sigmoid_focal_loss(x, t, gamma=0, reduction="mean"), F.binary_cross_entropy_with_logits(x, t)
    )
    # FL* with gamma = 1 is also BCE
    torch.testing.assert_close(
        sigmoid_focal_loss_star(x, t, reduction="mean"), F.binary_cross_entropy_with_logits(x, t)
    )


def test_box_iou_losses_hand_computed():
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    b = torch.tensor([[5.0, 0.0, 15.0, 10.0]])
    # IoU 1/3, enclosing box 15 x 10 = 150 = union -> GIoU = IoU
    torch.testing.assert_close(giou_loss(a, b), torch.tensor([2 / 3]))
    # DIoU: center distance 5, enclosing diagonal^2 = 15^2 + 10^2
    torch.testing.assert_close(diou_loss(a, b), torch.tensor([2 / 3 + 25 / 325]))
    # same aspect ratio: CIoU = DIoU
    torch.testing.assert_close(ciou_loss(a, b), diou_loss(a, b))
    assert giou_loss(a, a, reduction="sum").item() == pytest.approx(0.0, abs=1e-6)
