import importlib
import math

import pytest
import torch

from detectra.layers import batched_nms_rotated, nms_rotated
from detectra.structures import BoxMode, RotatedBoxes, pairwise_iou_rotated


def _grid_iou(b1: torch.Tensor, b2: torch.Tensor, n: int = 200) -> torch.Tensor:
    """Reference IoU by counting samples of a dense grid inside each box (no polygon clipping)."""
    out = []
    for p, q in zip(b1, b2):
        r = float(max(p[2:4].norm(), q[2:4].norm())) / 2 + 1
        lo = torch.minimum(p[:2], q[:2]) - r
        hi = torch.maximum(p[:2], q[:2]) + r
        xs = lo[0] + (torch.arange(n, dtype=torch.float64) + 0.5) * (hi[0] - lo[0]) / n
        ys = lo[1] + (torch.arange(n, dtype=torch.float64) + 0.5) * (hi[1] - lo[1]) / n
        gy, gx = torch.meshgrid(ys.float(), xs.float(), indexing="ij")

        def inside(b):
            t = b[4] * math.pi / 180
            dx, dy = gx - b[0], gy - b[1]
            # local coordinates: invert x' = dx cos + dy sin, y' = -dx sin + dy cos
            lx = dx * torch.cos(t) - dy * torch.sin(t)
            ly = dx * torch.sin(t) + dy * torch.cos(t)
            return (lx.abs() <= b[2] / 2) & (ly.abs() <= b[3] / 2)

        a, b = inside(p), inside(q)
        out.append((a & b).sum() / (a | b).sum())
    return torch.stack(out).float()


def test_rotated_iou_analytic_cases():
    b = torch.tensor(
        [
            [0.0, 0.0, 10.0, 10.0, 0.0],
            [0.0, 0.0, 10.0, 10.0, 90.0],  # same square rotated by 90 degrees
            [5.0, 0.0, 10.0, 10.0, 0.0],  # half overlap: 50 / 150
            [100.0, 100.0, 3.0, 3.0, 30.0],  # disjoint
            [0.0, 0.0, 10.0, 10.0, 45.0],  # octagon: IoU = 1 / sqrt(2)
            [0.0, 0.0, 20.0, 10.0, 0.0],
            [0.0, 0.0, 10.0, 20.0, 90.0],  # the same rectangle as the previous one
        ]
    )
    iou = pairwise_iou_rotated(RotatedBoxes(b), RotatedBoxes(b))
    assert iou.shape == (7, 7)
    torch.testing.assert_close(iou.diagonal(), torch.ones(7))
    assert iou[0, 1].item() == pytest.approx(1.0, abs=1e-6)
    assert iou[0, 2].item() == pytest.approx(1 / 3, abs=1e-6)
    assert iou[0, 3].item() == 0.0
    assert iou[0, 4].item() == pytest.approx(1 / math.sqrt(2), abs=1e-5)
    assert iou[5, 6].item() == pytest.approx(1.0, abs=1e-6)
    torch.testing.assert_close(iou, iou.T)


def test_rotated_iou_matches_sampled_reference():
    g = torch.Generator().manual_seed(0)
    n = 10
    b1 = torch.cat([torch.rand(n, 2, generator=g) * 20, 5 + torch.rand(n, 2, generator=g) * 20,
                    torch.rand(n, 1, generator=g) * 360 - 180], dim=1)
    b2 = torch.cat([b1[:, :2] + torch.randn(n, 2, generator=g) * 4, 5 + torch.rand(n, 2, generator=g) * 20,
                    torch.rand(n, 1, generator=g) * 360 - 180], dim=1)
    fast = pairwise_iou_rotated(RotatedBoxes(b1), RotatedBoxes(b2)).diagonal()
    ref = _grid_iou(b1, b2)
    assert (ref > 0.05).sum() >= 6  # the cases genuinely overlap
    torch.testing.assert_close(fast, ref, atol=0.01, rtol=0)


def test_rotated_iou_zero_angle_equals_axis_aligned():
    from detectra.structures import Boxes, pairwise_iou

    xyxy = torch.tensor([[0.0, 0.0, 10.0, 10.0], [3.0, 4.0, 17.0, 9.0], [8.0, -2.0, 12.0, 30.0]])
    xywha = BoxMode.convert(BoxMode.convert(xyxy, BoxMode.XYXY_ABS, BoxMode.XYWH_ABS), BoxMode.XYWH_ABS, BoxMode.XYWHA_ABS)
    torch.testing.assert_close(
        pairwise_iou_rotated(RotatedBoxes(xywha), RotatedBoxes(xywha)), pairwise_iou(Boxes(xyxy), Boxes(xyxy))
    )


def test_rotated_boxes_methods():
    rb = RotatedBoxes(torch.tensor([[10.0, 10.0, 4.0, 6.0, 0.5], [50.0, 50.0, 10.0, 2.0, 190.0], [0.0, 0.0, 0.0, 3.0, 0.0]]))
    torch.testing.assert_close(rb.area(), torch.tensor([24.0, 20.0, 0.0]))
    assert rb.nonempty().tolist() == [True, True, False]
    c = rb.clone()
    c.normalize_angles()
    assert c.tensor[1, 4].item() == pytest.approx(-170.0)
    # clip: only the nearly horizontal first box is clipped, to [9, 12] in x
    c = RotatedBoxes(torch.tensor([[10.0, 10.0, 4.0, 6.0, 0.5], [10.0, 10.0, 4.0, 6.0, 45.0]]))
    c.clip((100, 11))
    torch.testing.assert_close(c.tensor[0], torch.tensor([9.5, 10.0, 3.0, 6.0, 0.5]))
    torch.testing.assert_close(c.tensor[1], torch.tensor([10.0, 10.0, 4.0, 6.0, 45.0]))
    s = RotatedBoxes(torch.tensor([[10.0, 10.0, 4.0, 6.0, 90.0]]))
    s.scale(2.0, 3.0)
    # at 90 degrees the width side is vertical (scaled by 3) and the height side horizontal (scaled by 2)
    torch.testing.assert_close(s.tensor[0], torch.tensor([20.0, 30.0, 12.0, 12.0, 90.0]))
    assert rb.inside_box((20, 20)).tolist() == [True, False, False]
    assert isinstance(rb[0], RotatedBoxes) and len(rb[1:]) == 2
    assert len(RotatedBoxes.cat([rb, rb])) == 6
    torch.testing.assert_close(rb.get_centers()[1], torch.tensor([50.0, 50.0]))


def test_nms_rotated():
    boxes = torch.tensor(
        [[0.0, 0.0, 10.0, 10.0, 0.0], [0.5, 0.0, 10.0, 10.0, 5.0], [30.0, 30.0, 10.0, 10.0, 0.0], [0.0, 0.0, 10.0, 10.0, 45.0]]
    )
    scores = torch.tensor([0.9, 0.95, 0.5, 0.3])
    assert nms_rotated(boxes, scores, 0.5).tolist() == [1, 2]
    # the 45-degree square overlaps box 1 with IoU ~0.7: kept at a 0.8 threshold
    assert nms_rotated(boxes, scores, 0.8).tolist() == [1, 2, 3]
    keep = batched_nms_rotated(boxes, scores, torch.tensor([0, 1, 0, 0]), 0.5)
    assert sorted(keep.tolist()) == [0, 1, 2]
    assert nms_rotated(torch.zeros(0, 5), torch.zeros(0), 0.5).numel() == 0


def _random_rotated_boxes(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    centers = torch.rand(n, 2, generator=g) * 100
    sizes = 5 + torch.rand(n, 2, generator=g) * 25
    angles = torch.rand(n, 1, generator=g) * 360 - 180
    return torch.cat([centers, sizes, angles], dim=1)


def test_rotated_iou_and_nms_in_blocks_equal_the_dense_computation(monkeypatch):
    # (the package's `nms` function hides the module of that name from `import ... as`)
    nms_module = importlib.import_module("detectra.layers.nms")
    rotated_module = importlib.import_module("detectra.layers.rotated_boxes")

    pairwise_iou = rotated_module.pairwise_iou_rotated  # on tensors

    boxes1, boxes2 = _random_rotated_boxes(300, 0), _random_rotated_boxes(200, 1)
    scores = torch.rand(300, generator=torch.Generator().manual_seed(2))
    dense_iou = pairwise_iou(boxes1, boxes2)  # one block at the default budget
    order = scores.argsort(descending=True)
    self_iou = pairwise_iou(boxes1[order], boxes1[order])

    # greedy NMS over the whole N x N matrix, the reference
    suppressed, dense_keep = torch.zeros(300, dtype=torch.bool), []
    for i in range(300):
        if not suppressed[i]:
            dense_keep.append(int(order[i]))
            suppressed |= self_iou[i] > 0.3

    # budgets of a few rows (and a ragged last block) instead of everything at once
    monkeypatch.setattr(rotated_module, "_MAX_PAIRS_PER_BLOCK", 7 * 200 + 3)
    monkeypatch.setattr(rotated_module, "_MAX_POINTS_PER_CHUNK", 24 * 50)
    monkeypatch.setattr(nms_module, "_MAX_PAIRS_PER_BLOCK", 13 * 300)
    torch.testing.assert_close(pairwise_iou(boxes1, boxes2), dense_iou, rtol=0, atol=1e-6)
    keep = nms_rotated(boxes1, scores, 0.3)
    assert 20 < len(keep) < 280  # the boxes overlap enough for suppression to matter
    assert keep.tolist() == dense_keep
