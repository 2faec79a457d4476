import pytest
import torch

from detectra.structures import Keypoints, heatmaps_to_keypoints


def test_to_heatmap_hand_computed():
    # ROI [10, 20, 30, 60] at heatmap_size 4: x cells of 5 px, y cells of 10 px
    kps = Keypoints(
        torch.tensor(
            [
                [
                    [10.0, 20.0, 2.0],  # top-left corner -> (0, 0)
                    [22.0, 45.0, 2.0],  # x: floor(12/5)=2, y: floor(25/10)=2 -> 2*4+2
                    [30.0, 60.0, 1.0],  # exactly on the right/bottom edge -> last cell (3, 3)
                    [25.0, 30.0, 0.0],  # not labeled -> invalid
                    [9.0, 30.0, 2.0],  # left of the ROI -> invalid
                ]
            ]
        )
    )
    heatmaps, valid = kps.to_heatmap(torch.tensor([[10.0, 20.0, 30.0, 60.0]]), 4)
    assert heatmaps.tolist() == [[0, 10, 15, 0, 0]]
    assert valid.tolist() == [[1, 1, 1, 0, 0]]
    h, v = Keypoints(torch.zeros(0, 5, 3)).to_heatmap(torch.zeros(0, 4), 4)
    assert h.numel() == 0 and v.numel() == 0


@pytest.mark.parametrize("roi", [[10.0, 20.0, 66.0, 76.0], [5.0, 7.0, 37.3, 91.9], [3.3, 4.4, 200.1, 150.9]])
def test_heatmaps_to_keypoints_recovers_planted_peak(roi):
    size = 56
    roi_t = torch.tensor([roi])
    x0, y0, x1, y1 = roi
    target = torch.tensor([[x0 + 0.3 * (x1 - x0), y0 + 0.7 * (y1 - y0)], [x0 + 0.81 * (x1 - x0), y0 + 0.12 * (y1 - y0)]])
    # a smooth Gaussian peak in heatmap coordinates (cell centers at i + 0.5)
    ys = torch.arange(size, dtype=torch.float32) + 0.5
    maps = []
    for tx, ty in target.tolist():
        hx = (tx - x0) / (x1 - x0) * size
        hy = (ty - y0) / (y1 - y0) * size
        maps.append(-((ys[None, :] - hx) ** 2 + (ys[:, None] - hy) ** 2) / 8.0)
    maps = torch.stack(maps)[None]  # (1, 2, 56, 56)
    out = heatmaps_to_keypoints(maps, roi_t)
    assert out.shape == (1, 2, 4)
    # decoded at the ROI's pixel resolution: the argmax pixel center is within half a pixel of the true peak
    assert (out[0, :, :2] - target).abs().max() <= 0.5
    # the peak logit is 0 and the score is the normalised softmax value there
    assert out[0, :, 2].abs().max() < 0.05
    assert (out[0, :, 3] > 0).all()


def test_heatmaps_to_keypoints_integer_roi_exact():
    # heatmap at the ROI's own resolution: the argmax pixel center is the keypoint, within 0.5 px
    roi = torch.tensor([[0.0, 0.0, 20.0, 20.0]])
    maps = torch.full((1, 1, 20, 20), -10.0)
    maps[0, 0, 13, 6] = 10.0
    out = heatmaps_to_keypoints(maps, roi)
    torch.testing.assert_close(out[0, 0, :2], torch.tensor([6.5, 13.5]))


def test_keypoints_indexing_and_cat():
    k = Keypoints(torch.rand(3, 17, 3))
    assert len(k[0]) == 1 and len(k[1:]) == 2 and len(k[torch.tensor([True, False, True])]) == 2
    assert len(Keypoints.cat([k, k])) == 6
    with pytest.raises(ValueError, match=r"\(N, K, 3\)"):
        Keypoints(torch.rand(3, 17))
