import numpy as np
import pytest
import torch

from detectra.structures import (
    Boxes,
    BoxMode,
    matched_pairwise_iou,
    pairwise_intersection,
    pairwise_ioa,
    pairwise_iou,
    pairwise_point_box_distance,
)


def test_convert_round_trip_all_types():
    xywh = [10.0, 20.0, 30.0, 40.0]
    xyxy = BoxMode.convert(xywh, BoxMode.XYWH_ABS, BoxMode.XYXY_ABS)
    assert xyxy == [10.0, 20.0, 40.0, 60.0]
    assert BoxMode.convert(xyxy, BoxMode.XYXY_ABS, BoxMode.XYWH_ABS) == xywh
    assert BoxMode.convert(tuple(xywh), 1, 0) == (10.0, 20.0, 40.0, 60.0)

    arr = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 5.0, 5.0]], dtype=np.float32)
    out = BoxMode.convert(arr, BoxMode.XYWH_ABS, BoxMode.XYXY_ABS)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [[1, 2, 4, 6], [0, 0, 5, 5]])
    np.testing.assert_allclose(arr, [[1, 2, 3, 4], [0, 0, 5, 5]])  # input untouched

    t = torch.rand(7, 4) * 50
    back = BoxMode.convert(BoxMode.convert(t, BoxMode.XYWH_ABS, BoxMode.XYXY_ABS), BoxMode.XYXY_ABS, BoxMode.XYWH_ABS)
    torch.testing.assert_close(back, t)


def test_convert_rotated():
    # a 90-degree rotated 10x20 box centered at (50, 50) encloses 20x10
    out = BoxMode.convert(torch.tensor([[50.0, 50.0, 10.0, 20.0, 90.0]]), BoxMode.XYWHA_ABS, BoxMode.XYXY_ABS)
    torch.testing.assert_close(out, torch.tensor([[40.0, 45.0, 60.0, 55.0]]))
    # 45 degrees: a 10x10 square encloses a 10*sqrt(2) square
    out = BoxMode.convert([0.0, 0.0, 10.0, 10.0, 45.0], BoxMode.XYWHA_ABS, BoxMode.XYXY_ABS)
    s = 5 * 2**0.5
    np.testing.assert_allclose(out, [-s, -s, s, s], rtol=1e-6)
    out = BoxMode.convert(torch.tensor([[0.0, 0.0, 10.0, 4.0]]), BoxMode.XYWH_ABS, BoxMode.XYWHA_ABS)
    torch.testing.assert_close(out, torch.tensor([[5.0, 2.0, 10.0, 4.0, 0.0]]))


def test_convert_relative_unsupported():
    with pytest.raises(NotImplementedError, match="relative"):
        BoxMode.convert([0, 0, 1, 1], BoxMode.XYXY_REL, BoxMode.XYXY_ABS)


def test_boxes_basics():
    b = Boxes(torch.tensor([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 5.0, 8.0], [-5.0, -2.0, 30.0, 40.0]]))
    assert len(b) == 3
    torch.testing.assert_close(b.area(), torch.tensor([200.0, 0.0, 35.0 * 42.0]))
    assert b.nonempty().tolist() == [True, False, True]
    assert b.inside_box((30, 30)).tolist() == [True, True, False]
    torch.testing.assert_close(b.get_centers()[0], torch.tensor([5.0, 10.0]))
    c = b.clone()
    c.clip((25, 28))
    torch.testing.assert_close(c.tensor[2], torch.tensor([0.0, 0.0, 28.0, 25.0]))
    torch.testing.assert_close(b.tensor[2], torch.tensor([-5.0, -2.0, 30.0, 40.0]))
    c.scale(2.0, 0.5)
    torch.testing.assert_close(c.tensor[0], torch.tensor([0.0, 0.0, 20.0, 10.0]))

    assert isinstance(b[0], Boxes) and b[0].tensor.shape == (1, 4)
    assert len(b[1:]) == 2
    assert len(b[b.nonempty()]) == 2
    assert b[torch.tensor([2, 0])].tensor[0, 0] == -5.0
    assert len(Boxes.cat([b, b[:1]])) == 4
    assert len(list(b)) == 3
    assert Boxes(torch.zeros(0)).tensor.shape == (0, 4)
    assert Boxes([[1, 2, 3, 4]]).tensor.dtype == torch.float32
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        Boxes(torch.zeros(3, 5))


def test_pairwise_iou_hand_computed():
    a = Boxes(torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 0.0, 0.0]]))
    b = Boxes(torch.tensor([[5.0, 0.0, 15.0, 10.0], [0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 5.0, 5.0]]))
    iou = pairwise_iou(a, b)
    expected = torch.tensor([[50 / 150, 1.0, 0.0, 25 / 100], [0.0, 0.0, 0.0, 0.0]])
    torch.testing.assert_close(iou, expected)
    torch.testing.assert_close(pairwise_intersection(a, b)[0], torch.tensor([50.0, 100.0, 0.0, 25.0]))
    torch.testing.assert_close(pairwise_ioa(a, b)[0], torch.tensor([0.5, 1.0, 0.0, 1.0]))
    m = matched_pairwise_iou(Boxes(a.tensor[:1]), Boxes(b.tensor[:1]))
    torch.testing.assert_close(m, torch.tensor([1 / 3]))


def test_pairwise_point_box_distance():
    pts = torch.tensor([[2.0, 3.0], [20.0, 0.0]])
    boxes = Boxes(torch.tensor([[0.0, 0.0, 10.0, 10.0]]))
    d = pairwise_point_box_distance(pts, boxes)
    assert d.shape == (2, 1, 4)
    torch.testing.assert_close(d[:, 0], torch.tensor([[2.0, 3.0, 8.0, 7.0], [20.0, 0.0, -10.0, 10.0]]))
