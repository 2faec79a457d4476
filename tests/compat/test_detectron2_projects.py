"""``detectron2.projects.point_rend.point_features`` and ``detectron2.projects.deeplab``, as Mask2Former-style
libraries import them: point sampling in [0, 1] coordinates, uncertain-point selection, DeepLab's config keys and
its warmup + poly schedule."""

from __future__ import annotations

import pytest
import torch

from detectra.config import get_cfg
from detectra.projects.deeplab import WarmupPolyLR, add_deeplab_config, build_lr_scheduler
from detectra.projects.point_rend.point_features import (
    generate_regular_grid_point_coords,
    get_uncertain_point_coords_on_grid,
    get_uncertain_point_coords_with_randomness,
    point_sample,
    point_sample_fine_grained_features,
)
from detectra.structures import Boxes


def test_point_sample_reads_pixel_centres_and_grids():
    maps = torch.arange(2 * 3 * 4, dtype=torch.float32).view(2, 1, 3, 4)
    centres = torch.tensor([[[0.5 / 4, 0.5 / 3], [3.5 / 4, 2.5 / 3]]]).repeat(2, 1, 1)  # pixels (0, 0) and (2, 3)
    out = point_sample(maps, centres, align_corners=False)
    assert out.shape == (2, 1, 2)
    assert torch.allclose(out[:, 0], torch.tensor([[0.0, 11.0], [12.0, 23.0]]), atol=1e-5)
    grid = generate_regular_grid_point_coords(2, 2, "cpu")
    assert grid.shape == (2, 4, 2) and grid[1].tolist() == [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]
    # A (N, Hg, Wg, 2) grid of points gives (N, C, Hg, Wg); the 3x3 grid of centres reads a 3x3 map back.
    square = maps[:, :, :, :3]
    full = point_sample(square, generate_regular_grid_point_coords(2, 3, "cpu").reshape(2, 3, 3, 2), align_corners=False)
    assert full.shape == (2, 1, 3, 3) and torch.allclose(full, square, atol=1e-5)


def test_uncertain_points_on_grid_are_the_most_uncertain_cells():
    uncertainty = torch.zeros(1, 1, 4, 5)
    uncertainty[0, 0, 1, 3] = 2.0
    uncertainty[0, 0, 3, 0] = 1.0
    indices, coords = get_uncertain_point_coords_on_grid(uncertainty, 2)
    assert indices.tolist() == [[8, 15]]
    assert torch.allclose(coords, torch.tensor([[[3.5 / 5, 1.5 / 4], [0.5 / 5, 3.5 / 4]]]))
    assert get_uncertain_point_coords_on_grid(uncertainty, 100)[0].shape == (1, 20)  # at most H * W


def test_uncertain_points_with_randomness_concentrate_on_the_mask_boundary():
    torch.manual_seed(0)
    # The logit is 0 on the vertical line x = 0.5 and grows away from it: the most uncertain points hug that line.
    xs = (torch.arange(64, dtype=torch.float32) + 0.5) / 64
    logits = (xs - 0.5).abs().mul(20).expand(64, 64).reshape(1, 1, 64, 64).repeat(3, 1, 1, 1)
    coords = get_uncertain_point_coords_with_randomness(logits, lambda x: -x.abs(), 100, 4, 0.75)
    assert coords.shape == (3, 100, 2) and coords.min() >= 0 and coords.max() <= 1
    uncertain, random = coords[:, :75, 0], coords[:, 75:, 0]
    # The 75 best of 400 uniform candidates lie within ~0.1 of the line; uniform points are 0.25 from it on average.
    assert (uncertain - 0.5).abs().mean() < 0.06 and (uncertain - 0.5).abs().max() < 0.2
    assert (random - 0.5).abs().mean() > 0.15
    with pytest.raises(ValueError, match="importance_sample_ratio"):
        get_uncertain_point_coords_with_randomness(logits, lambda x: -x.abs(), 10, 2, 1.5)


def test_fine_grained_features_sample_each_level_at_box_relative_points():
    # Level 0 (stride 4) holds the image x coordinate of each cell centre, level 1 (stride 8) the y coordinate.
    h, w = 16, 20
    x_map = ((torch.arange(w) + 0.5) * 4).expand(h, w)
    y_map = ((torch.arange(h // 2) + 0.5) * 8)[:, None].expand(h // 2, w // 2)
    level0 = torch.stack([x_map, x_map + 1000]).unsqueeze(1).float()  # (2 images, 1, 16, 20)
    level1 = torch.stack([y_map, y_map + 1000]).unsqueeze(1).float()  # (2 images, 1, 8, 10)
    boxes = [Boxes(torch.tensor([[8.0, 16.0, 40.0, 48.0]])), Boxes(torch.tensor([[0.0, 0.0, 80.0, 64.0]] * 2))]
    points = torch.tensor([[[0.5, 0.5]], [[0.25, 0.75]], [[0.75, 0.25]]])  # (3 boxes, 1 point, 2)
    features, in_image = point_sample_fine_grained_features([level0, level1], [1 / 4, 1 / 8], boxes, points)
    assert features.shape == (3, 2, 1)
    assert in_image[:, 0].tolist() == [[24.0, 32.0], [20.0, 48.0], [60.0, 16.0]]
    assert torch.allclose(features[:, 0, 0], torch.tensor([24.0, 1020.0, 1060.0]))
    assert torch.allclose(features[:, 1, 0], torch.tensor([32.0, 1048.0, 1016.0]))


def test_deeplab_config_and_warmup_poly_schedule():
    cfg = get_cfg()
    add_deeplab_config(cfg)
    assert (cfg.SOLVER.POLY_LR_POWER, cfg.SOLVER.POLY_LR_CONSTANT_ENDING) == (0.9, 0.0)
    assert cfg.MODEL.SEM_SEG_HEAD.ASPP_DILATIONS == [6, 12, 18] and cfg.MODEL.RESNETS.STEM_TYPE == "deeplab"
    cfg.SOLVER.merge_from_list(["LR_SCHEDULER_NAME", "WarmupPolyLR", "MAX_ITER", 10, "WARMUP_ITERS", 2,
                                "WARMUP_FACTOR", 0.5, "BASE_LR", 0.1, "POLY_LR_POWER", 1.0])
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = build_lr_scheduler(cfg, optimizer)
    assert isinstance(scheduler, WarmupPolyLR)
    lrs = []
    for _ in range(10):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    # warmup factor 0.5 -> 1 over 2 iterations, times (1 - t / 10)
    expected = [0.1 * 0.5, 0.1 * 0.75 * 0.9] + [0.1 * (1 - t / 10) for t in range(2, 10)]
    assert lrs == pytest.approx(expected)
    floored = WarmupPolyLR(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0), 10, warmup_iters=0,
                           power=1.0, constant_ending=0.3)
    for _ in range(8):
        floored.optimizer.step()
        floored.step()
    assert floored.get_last_lr() == [pytest.approx(0.3)]  # 1 - 8/10 = 0.2 is below the floor
    # Other schedule names go to the standard builder.
    cfg.SOLVER.LR_SCHEDULER_NAME = "WarmupCosineLR"
    assert type(build_lr_scheduler(cfg, optimizer)).__name__ == "LRMultiplier"
    bare = get_cfg()
    bare.SOLVER.LR_SCHEDULER_NAME = "WarmupPolyLR"
    with pytest.raises(KeyError, match="add_deeplab_config"):
        build_lr_scheduler(bare, optimizer)


def test_model_names_of_the_projects_raise_a_clear_import_error():
    with pytest.raises(ImportError, match="PointRend model.*not implement.*point_sample"):
        from detectra.projects.point_rend import add_pointrend_config  # noqa: F401
    with pytest.raises(ImportError, match="DeepLab model.*not implement.*add_deeplab_config"):
        from detectra.projects.deeplab import DeepLabV3PlusHead  # noqa: F401


def test_color_aug_ssd_distorts_pixels_only_and_respects_the_channel_order():
    import random

    import numpy as np

    from detectra.projects.point_rend import ColorAugSSDTransform

    rng = np.random.RandomState(0)
    bgr = (rng.rand(12, 16, 3) * 255).astype(np.uint8)
    seg = rng.randint(0, 5, (12, 16)).astype(np.uint8)
    transform = ColorAugSSDTransform("BGR")
    assert transform.apply_segmentation(seg) is seg
    assert transform.apply_coords(np.array([[1.0, 2.0]])).tolist() == [[1.0, 2.0]]
    changed = 0
    for seed in range(8):
        random.seed(seed)
        out_bgr = transform.apply_image(bgr)
        random.seed(seed)
        out_rgb = ColorAugSSDTransform("RGB").apply_image(np.ascontiguousarray(bgr[:, :, ::-1]))
        assert out_bgr.shape == bgr.shape and out_bgr.dtype == np.uint8
        assert np.array_equal(out_bgr, out_rgb[:, :, ::-1])  # the same distortion, whatever the channel order
        changed += int(np.abs(out_bgr.astype(int) - bgr).mean() > 5)
    assert changed >= 4  # each of the 4 distortions is drawn with probability 1/2
    # Brightness alone: one offset for every pixel, within the delta.
    only_brightness = ColorAugSSDTransform("BGR", 10, 1.0, 1.0, 1.0, 1.0, 0)
    gray = np.full((4, 4, 3), 100, np.uint8)
    for seed in range(6):
        random.seed(seed)
        out = only_brightness.apply_image(gray).astype(int)
        assert len(np.unique(out)) == 1 and abs(out[0, 0, 0] - 100) <= 10
    with pytest.raises(ValueError, match="img_format"):
        ColorAugSSDTransform("HSV")
