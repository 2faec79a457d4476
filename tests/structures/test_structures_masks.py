import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch

from detectra.structures import BitMasks, Boxes, PolygonMasks, ROIMasks, polygons_to_bitmask

# a triangle and an L-shaped hexagon in a 60 x 80 image
TRIANGLE = [np.array([10.0, 10.0, 50.0, 12.0, 20.0, 45.0])]
L_SHAPE = [np.array([30.0, 20.0, 70.0, 20.0, 70.0, 30.0, 45.0, 30.0, 45.0, 55.0, 30.0, 55.0])]
H, W = 60, 80


def _iou(a, b):
    a, b = a.bool(), b.bool()
    return ((a & b).sum(dim=(1, 2)).float() / (a | b).sum(dim=(1, 2)).float())


def test_polygon_area_matches_pycocotools():
    poly = PolygonMasks([TRIANGLE, L_SHAPE])
    area = poly.area()
    for i, p in enumerate([TRIANGLE, L_SHAPE]):
        # pycocotools' polygon area is that of its rasterisation: equal up to the boundary pixels
        rle = mask_util.merge(mask_util.frPyObjects([x.tolist() for x in p], H, W))
        assert area[i].item() == pytest.approx(float(mask_util.area(rle)), rel=0.05)
    assert area[1].item() == pytest.approx(40 * 10 + 15 * 25)
    assert area[0].item() == pytest.approx(0.5 * abs(40 * 35 - 10 * 2))


def test_bitmask_from_polygons_and_boxes():
    poly = PolygonMasks([TRIANGLE, L_SHAPE, []])
    bm = BitMasks.from_polygon_masks(poly, H, W)
    assert bm.tensor.shape == (3, H, W) and bm.tensor.dtype == torch.bool
    assert bm.nonempty().tolist() == [True, True, False]
    assert poly.nonempty().tolist() == [True, True, False]
    np.testing.assert_array_equal(bm.tensor[1].numpy(), polygons_to_bitmask(L_SHAPE, H, W))
    assert bm.area()[1].item() == pytest.approx(775, rel=0.05)
    pb = poly.get_bounding_boxes().tensor
    torch.testing.assert_close(pb[1], torch.tensor([30.0, 20.0, 70.0, 55.0]))
    torch.testing.assert_close(pb[2], torch.zeros(4))
    bb = bm.get_bounding_boxes().tensor
    # the rasterised mask's box is within a pixel of the polygon's
    assert (bb[:2] - pb[:2]).abs().max() <= 1.0
    torch.testing.assert_close(bb[2], torch.zeros(4))


def test_bitmask_bounding_box_exact():
    t = torch.zeros(2, 10, 12, dtype=torch.bool)
    t[0, 2:5, 3:9] = True
    bm = BitMasks(t)
    torch.testing.assert_close(bm.get_bounding_boxes().tensor[0], torch.tensor([3.0, 2.0, 9.0, 5.0]))
    assert bm.get_bounding_boxes().tensor[1].abs().sum() == 0


def test_crop_and_resize_consistent():
    poly = PolygonMasks([TRIANGLE, L_SHAPE])
    bm = BitMasks.from_polygon_masks(poly, H, W)
    boxes = torch.tensor([[8.0, 8.0, 52.0, 47.0], [28.0, 18.0, 72.0, 57.0]])
    a = poly.crop_and_resize(boxes, 28)
    b = bm.crop_and_resize(boxes, 28)
    assert a.shape == b.shape == (2, 28, 28) and a.dtype == b.dtype == torch.bool
    assert (_iou(a, b) > 0.9).all()
    # a box around the vertical bar of the L only: the crop is (nearly) full
    full = poly[1:].crop_and_resize(torch.tensor([[30.0, 30.0, 45.0, 55.0]]), 14)
    assert full.float().mean() > 0.95
    assert PolygonMasks([]).crop_and_resize(torch.zeros(0, 4), 7).shape == (0, 7, 7)


def test_polygon_indexing_and_cat():
    poly = PolygonMasks([TRIANGLE, L_SHAPE, TRIANGLE])
    assert len(poly[1]) == 1 and len(poly[0:2]) == 2
    assert len(poly[[2, 0]]) == 2
    sub = poly[torch.tensor([False, True, True])]
    assert len(sub) == 2 and np.array_equal(sub.polygons[0][0], L_SHAPE[0])
    assert len(poly[torch.tensor([1])]) == 1
    assert len(PolygonMasks.cat([poly, sub])) == 5
    with pytest.raises(ValueError, match="at least 3 points"):
        PolygonMasks([[np.array([1.0, 2.0, 3.0, 4.0])]])
    with pytest.raises(ValueError, match="list of lists"):
        PolygonMasks(np.zeros((2, 6)))


def test_bitmask_indexing_and_cat():
    bm = BitMasks(torch.rand(4, 6, 7) > 0.5)
    assert len(bm[0]) == 1 and bm[0].tensor.shape == (1, 6, 7)
    assert len(bm[bm.nonempty()]) == int(bm.nonempty().sum())
    assert len(BitMasks.cat([bm, bm[1:3]])) == 6
    assert bm.image_size == (6, 7)


def test_roimasks_to_bitmasks():
    roi = ROIMasks(torch.ones(2, 14, 14))
    boxes = Boxes(torch.tensor([[2.0, 3.0, 10.0, 8.0], [0.0, 0.0, 20.0, 20.0]]))
    bm = roi.to_bitmasks(boxes, 16, 20)
    assert bm.tensor.shape == (2, 16, 20)
    expected = torch.zeros(16, 20, dtype=torch.bool)
    expected[3:8, 2:10] = True
    assert torch.equal(bm.tensor[0], expected)
    assert bm.tensor[1].all()
    full = BitMasks.from_roi_masks(roi, 16, 20)
    assert full.tensor.all()


def test_masks_and_boxes_in_instances_cat():
    from detectra.structures import Instances, RotatedBoxes

    a = Instances((H, W), gt_masks=PolygonMasks([TRIANGLE]), rb=RotatedBoxes(torch.ones(1, 5)),
                  bm=BitMasks(torch.zeros(1, H, W)))
    b = Instances((H, W), gt_masks=PolygonMasks([L_SHAPE, TRIANGLE]), rb=RotatedBoxes(torch.zeros(2, 5)),
                  bm=BitMasks(torch.ones(2, H, W)))
    c = Instances.cat([a, b])
    assert len(c) == 3 and isinstance(c.gt_masks, PolygonMasks) and isinstance(c.rb, RotatedBoxes)
    assert c.bm.area().tolist() == [0, H * W, H * W]
    assert np.array_equal(c[torch.tensor([False, True, False])].gt_masks.polygons[0][0], L_SHAPE[0])


def test_far_out_polygon_rasterizes_in_bounded_memory():
    """pycocotools steps along every edge, off the canvas too: 1e6 coordinates cost ~0.5 GB, 1e8 was OOM-killed."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import resource
        import numpy as np
        from detectra.structures.masks import polygons_to_bitmask
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        mask = polygons_to_bitmask([np.array([-1e6, -1e6, 1e6, -1e6, 1e6, 1e6, -1e6, 1e6])], 30, 40)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024, int(mask.sum()))
    """)
    grown_mb, pixels = map(int, subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                               check=True).stdout.split())  # fmt: skip
    assert pixels == 30 * 40 and grown_mb < 50


def test_clipping_a_far_out_polygon_keeps_its_pixels():
    # a concave star reaching ~12 canvas sizes out: rasterized directly and after clipping to the canvas
    angles = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    radius = np.where(np.arange(14) % 2, 15.0, 500.0)
    star = np.stack([40 + radius * np.cos(angles), 30 + radius * np.sin(angles)], 1).reshape(-1)
    direct = mask_util.decode(mask_util.frPyObjects([star], H, W)[0]).astype(bool)
    clipped = polygons_to_bitmask([star], H, W)
    assert direct.sum() > 1000 and (direct != clipped).sum() <= 0.01 * direct.sum()  # edge pixels' rounding


def test_polygon_far_beyond_a_tiny_box_is_rasterized_not_refused():
    # a tiny proposal inside a large object: scaled by 28 / 0.5, the polygon reaches ~5600 mask pixels
    from detectra.structures.masks import rasterize_polygons_within_box

    square = [np.array([0.0, 0.0, 100.0, 0.0, 100.0, 100.0, 0.0, 100.0])]
    assert rasterize_polygons_within_box(square, np.array([50.0, 50.0, 50.5, 50.5]), 28).all()
    half = rasterize_polygons_within_box(square, np.array([99.75, 40.0, 100.25, 40.5]), 28)  # its right edge
    assert half[:, :14].all() and not half[:, 14:].any()


def test_visualizer_rasterizes_polygons_through_the_bounded_path(monkeypatch):
    import detectra.structures.masks as masks
    from detectra.utils._generic_mask import GenericMask

    clipped, clip = [], masks._clip_to_canvas
    monkeypatch.setattr(masks, "_clip_to_canvas", lambda *args: clipped.append(1) or clip(*args))
    square = [[-1e6, -1e6, 1e6, -1e6, 1e6, 1e6, -1e6, 1e6]]  # pycocotools directly: ~0.5 GB (1e8: OOM-killed)
    assert GenericMask(square, 30, 40).mask.all() and clipped == [1]
