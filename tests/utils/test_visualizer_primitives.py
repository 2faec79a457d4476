"""Visualizer primitives and GenericMask: polygons, soft masks, rotated boxes, line styles, traced contours."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_util

from detectra.data import Metadata
from detectra.structures import BoxMode, Instances, RotatedBoxes
from detectra.utils.visualizer import ColorMode, GenericMask, Visualizer, _PanopticPrediction

GREY = 100


def _vis(h=60, w=80, **meta):
    return Visualizer(np.full((h, w, 3), GREY, dtype=np.uint8), Metadata(name="_vis_prim_test").set(**meta))


def _changed(img):
    return np.abs(img.astype(int) - GREY).sum(axis=2) > 0


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


# ---- drawing primitives -----------------------------------------------------------------------------------


def test_draw_polygon_fill_and_edge():
    img = _vis().draw_polygon(np.array([[10, 10], [30, 10], [30, 30], [10, 30]]), (1.0, 0.0, 0.0)).get_image()
    assert tuple(img[20, 20]) == (178, 50, 50)  # interior: 0.5 * grey + 0.5 * red
    assert tuple(img[10, 20]) == (255, 0, 0)  # top edge: opaque, same colour at alpha <= 0.8
    assert tuple(img[40, 40]) == (GREY,) * 3 and tuple(img[20, 35]) == (GREY,) * 3
    # alpha > 0.8: the edge is the colour darkened by 70% in lightness (0.5 -> 0.15): 0.3 * 255 = 76.5
    img = _vis().draw_polygon([10, 10, 30, 10, 30, 30, 10, 30], "red", alpha=0.9).get_image()
    assert tuple(img[10, 20]) == (77, 0, 0)
    with pytest.raises(ValueError, match="3 vertices"):
        _vis().draw_polygon(np.zeros((2, 2)), "red")


def test_draw_soft_mask_weights_by_probability():
    soft = np.zeros((60, 80), dtype=np.float32)
    soft[10:20, 10:20] = 1.0
    soft[30:40, 30:40] = 0.5
    img = _vis().draw_soft_mask(soft, (0.0, 0.0, 1.0), alpha=0.5).get_image()
    assert tuple(img[15, 15]) == (50, 50, 178)  # weight 0.5
    assert tuple(img[35, 35]) == (75, 75, 139)  # weight 0.25: 0.75 * 100 + 0.25 * 255 = 138.75
    assert tuple(img[50, 70]) == (GREY,) * 3
    # with a label: text appears inside the confident region, nothing outside the two regions changes
    img = _vis().draw_soft_mask(torch.from_numpy(soft), (0.0, 0.0, 1.0), text="dog").get_image()
    assert _changed(img)[14:30, :].sum() > 20 and tuple(img[55, 5]) == (GREY,) * 3


def test_rotated_box_edges_and_dashed_front():
    red = (255, 0, 0)
    # angle 0: corners x 20..60, y 20..40; the top edge (k = 1) is dashed
    img = _vis().draw_rotated_box_with_label([40, 30, 40, 20, 0], edge_color="red").get_image()
    assert tuple(img[30, 60]) == red and tuple(img[30, 20]) == red and tuple(img[40, 40]) == red
    assert tuple(img[30, 40]) == (GREY,) * 3 and tuple(img[30, 70]) == (GREY,) * 3 and tuple(img[10, 40]) == (GREY,) * 3
    top = (img[20, 22:59] == red).all(axis=1)
    assert 0.3 < top.mean() < 0.95  # dashes and gaps
    # angle 90 (counter-clockwise): the 40 x 20 box stands upright, x 30..50, y 10..50; the dashed edge is x = 30
    img = _vis().draw_rotated_box_with_label([40, 30, 40, 20, 90], edge_color=(1.0, 0.0, 0.0)).get_image()
    assert tuple(img[30, 50]) == red and tuple(img[10, 40]) == red and tuple(img[50, 40]) == red
    assert tuple(img[30, 40]) == (GREY,) * 3 and tuple(img[30, 58]) == (GREY,) * 3
    assert 0.3 < (img[12:49, 30] == red).all(axis=1).mean() < 0.95
    # 45 degrees: the midpoint of edge k = 3 (from corner (w/2, h/2)) lies at centre + R(45) * (w/2, 0)
    img = _vis().draw_rotated_box_with_label([40, 30, 30, 20, 45], edge_color="red").get_image()
    x, y = 40 + 15 * np.cos(np.pi / 4), 30 - 15 * np.sin(np.pi / 4)
    assert tuple(img[int(round(y)), int(round(x))]) == red
    assert tuple(img[30, 40]) == (GREY,) * 3


def test_rotated_label_and_rotated_instances():
    plain = _vis().draw_rotated_box_with_label([40, 30, 40, 20, 30], edge_color="red").get_image()
    labelled = _vis().draw_rotated_box_with_label([40, 30, 40, 20, 30], edge_color="red", label="car").get_image()
    assert (_changed(labelled) & ~_changed(plain)).sum() > 20

    inst = Instances(
        (60, 80),
        pred_boxes=RotatedBoxes(torch.tensor([[40.0, 30.0, 40.0, 20.0, 0.0]])),
        scores=torch.tensor([0.9]),
        pred_classes=torch.tensor([0]),
    )
    img = _vis(thing_classes=["car"], thing_colors=[[0, 0, 255]]).draw_instance_predictions(inst).get_image()
    assert tuple(img[30, 60]) == (0, 0, 255)  # right edge of the rotated outline, opaque
    assert tuple(img[37, 40]) == (GREY,) * 3  # inside, below the label at the top-left corner

    dic = {"annotations": [{"bbox": [40, 30, 20, 40, 90], "bbox_mode": BoxMode.XYWHA_ABS, "category_id": 0}]}
    img = _vis(thing_colors=[[0, 255, 0]]).draw_dataset_dict(dic).get_image()
    assert tuple(img[30, 60]) == (0, 255, 0)  # upright 40 x 20: x 20..60
    assert tuple(img[30, 40]) == (GREY,) * 3

    vis = _vis()
    vis.overlay_rotated_instances(boxes=np.array([[20, 20, 10, 10, 0], [60, 40, 20, 10, 0]]), labels=None,
                                  assigned_colors=[(1, 0, 0), (0, 1, 0)])  # fmt: skip
    img = vis.get_output().get_image()
    assert tuple(img[20, 25]) == (255, 0, 0) and tuple(img[40, 70]) == (0, 255, 0)
    with pytest.raises(ValueError, match="1 labels for 2 boxes"):
        vis.overlay_rotated_instances(boxes=np.zeros((2, 5)), labels=["a"])


def test_lines_circles_boxes_and_text():
    vis = _vis()
    vis.draw_line([5, 75], [5, 5], color="blue")
    vis.draw_line([5, 75], [55, 55], color=(0, 1, 0), linestyle=":")
    vis.draw_circle((40, 30), color="red", radius=3)
    img = vis.get_output().get_image()
    assert (img[5, 5:75] == (0, 0, 255)).all()
    dotted = (img[55, 5:75] == (0, 255, 0)).all(axis=1)
    assert 0.2 < dotted.mean() < 0.8
    assert tuple(img[30, 40]) == (255, 0, 0) and tuple(img[30, 42]) == (255, 0, 0)
    assert tuple(img[30, 45]) == (GREY,) * 3

    img = _vis().draw_box([10, 10, 50, 40], alpha=1.0, edge_color="r", line_style="--").get_image()
    assert tuple(img[10, 11]) == (255, 0, 0) and 0.3 < (img[10, 10:50] == (255, 0, 0)).all(axis=1).mean() < 0.95

    flat = _changed(_vis().draw_text("HELLO", (40, 20), rotation=0).get_image())
    upright = _changed(_vis().draw_text("HELLO", (40, 20), rotation=90).get_image())
    ys, xs = np.nonzero(flat)
    assert np.ptp(xs) > np.ptp(ys) and abs((xs.min() + xs.max()) / 2 - 40) <= 2  # centred horizontally on x = 40
    ys, xs = np.nonzero(upright)
    assert np.ptp(ys) > np.ptp(xs)
    with pytest.raises(ValueError, match="line style"):
        _vis().draw_line([0, 10], [0, 10], "red", linestyle="~~")


def test_binary_mask_with_hole_and_area_threshold():
    ring = np.zeros((60, 80), dtype=bool)
    ring[10:40, 10:40] = True
    ring[20:30, 20:30] = False
    img = _vis().draw_binary_mask(ring, (0.0, 1.0, 0.0), alpha=0.5).get_image()
    assert tuple(img[15, 15]) == (50, 178, 50)
    assert tuple(img[25, 25]) == (GREY,) * 3  # the hole stays untouched
    tiny = np.zeros((60, 80), dtype=bool)
    tiny[0:2, 0:2] = True
    assert not _changed(_vis().draw_binary_mask(tiny, "red", area_threshold=10).get_image()).any()
    # small regions are dropped one by one: the 4-pixel speck goes, the big region and a speck in its hole stay
    ring[0:2, 70:72] = True
    ring[24:27, 24:27] = True  # 9 pixels inside the hole
    img = _vis().draw_binary_mask(ring, (0.0, 1.0, 0.0), area_threshold=5).get_image()
    assert tuple(img[15, 15]) == (50, 178, 50) and tuple(img[25, 25]) == (50, 178, 50)
    assert not _changed(img)[0:2, 70:72].any() and tuple(img[21, 21]) == (GREY,) * 3


# ---- GenericMask ------------------------------------------------------------------------------------------


def _disk(h=60, w=80, cx=40.0, cy=30.0, r=18.0):
    yy, xx = np.mgrid[:h, :w]
    return ((yy - cy) ** 2 + (xx - cx) ** 2 <= r**2).astype(np.uint8)


def test_generic_mask_polygons_rerasterise_to_the_mask():
    disk = _disk()
    gm = GenericMask(disk, 60, 80)
    assert not gm.has_holes and len(gm.polygons) == 1
    back = gm.polygons_to_mask(gm.polygons).astype(bool)
    assert _iou(back, disk.astype(bool)) > 0.95
    assert np.array_equal(back, disk.astype(bool))  # crack-following contours are exact
    assert gm.area() == int(disk.sum())
    assert np.allclose(gm.bbox(), [22, 12, 59, 49])  # x in [22, 58], y in [12, 48] -> XYXY to the far pixel edge

    # an L shape plus a pixel touching it diagonally: one 8-connected contour, still exact
    shape = np.zeros((20, 20), dtype=np.uint8)
    shape[2:10, 2:5] = 1
    shape[7:10, 5:12] = 1
    shape[10, 12] = 1
    gm = GenericMask(shape, 20, 20)
    assert len(gm.polygons) == 1
    assert np.array_equal(gm.polygons_to_mask(gm.polygons), shape)


def test_generic_mask_with_hole():
    ring = np.zeros((50, 50), dtype=np.uint8)
    ring[5:45, 5:45] = 1
    ring[20:24, 20:24] = 0
    gm = GenericMask(ring, 50, 50)
    assert gm.has_holes and len(gm.polygons) == 2
    # Detectron2's rasterisation unions all contours (the hole gets filled): still IoU > 0.95 here
    assert _iou(gm.polygons_to_mask(gm.polygons).astype(bool), ring.astype(bool)) > 0.95
    # outer boundaries run clockwise on screen, holes counter-clockwise: outer minus holes is the mask exactly
    def signed_area(p):
        x, y = p[0::2], p[1::2]
        return 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))

    outer = [p for p in gm.polygons if signed_area(p) > 0]
    holes = [p for p in gm.polygons if signed_area(p) < 0]
    assert [signed_area(p) for p in outer] == [1600.0] and [signed_area(p) for p in holes] == [-16.0]
    rebuilt = gm.polygons_to_mask(outer).astype(bool) & ~gm.polygons_to_mask(holes).astype(bool)
    assert np.array_equal(rebuilt, ring.astype(bool))
    assert not GenericMask(np.zeros((5, 5)), 5, 5).polygons
    # GenericMasks go straight into overlay_instances; the hole stays unpainted
    img = Visualizer(np.full((50, 50, 3), GREY, np.uint8)).overlay_instances(
        masks=[gm], assigned_colors=[(0.0, 0.0, 1.0)]
    ).get_image()
    assert tuple(img[10, 10]) == (50, 50, 178) and tuple(img[21, 21]) == (GREY,) * 3


def test_generic_mask_from_polygons_and_rle():
    gm = GenericMask([[10, 10, 30, 10, 30, 20, 10, 20]], 40, 40)
    assert not gm.has_holes
    assert gm.area() == 200 and np.allclose(gm.bbox(), [10, 10, 30, 20])
    assert gm.mask.shape == (40, 40) and gm.mask[15, 20] == 1 and gm.mask[25, 20] == 0

    m = np.zeros((40, 40), dtype=np.uint8)
    m[5:15, 8:28] = 1
    compressed = mask_util.encode(np.asfortranarray(m))
    gm = GenericMask(compressed, 40, 40)
    assert gm.area() == 200 and np.allclose(gm.bbox(), [8, 5, 28, 15])
    uncompressed = {"size": [40, 40], "counts": [int(c) for c in _rle_counts(m)]}
    assert np.array_equal(GenericMask(uncompressed, 40, 40).mask, m)
    assert GenericMask(torch.from_numpy(m), 40, 40).area() == 200

    with pytest.raises(ValueError, match="image's shape"):
        GenericMask(m, 30, 40)
    with pytest.raises(ValueError, match="does not match"):
        GenericMask(uncompressed, 30, 40)
    with pytest.raises(ValueError, match="GenericMask takes"):
        GenericMask(3.0, 40, 40)


def _rle_counts(m):
    """Uncompressed COCO counts: run lengths of the column-major flattening, starting with zeros."""
    flat = m.ravel(order="F")
    change = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
    return np.diff(np.concatenate([[0], change]))


# ---- panoptic ---------------------------------------------------------------------------------------------


def test_panoptic_prediction_from_label_divisor_and_bw_mode():
    pan = np.full((60, 80), 1 * 1000, dtype=np.int64)  # stuff category 1
    pan[10:30, 10:30] = 0 * 1000 + 1  # thing category 0, instance 1
    pan[40:50, 50:70] = -1  # no prediction
    meta = Metadata(name="_vis_prim_pan").set(label_divisor=1000, thing_dataset_id_to_contiguous_id={7: 0})
    pred = _PanopticPrediction(torch.from_numpy(pan), None, meta)
    stuff = list(pred.semantic_masks())
    things = list(pred.instance_masks())
    assert [s["category_id"] for _, s in stuff] == [1] and [s["category_id"] for _, s in things] == [0]
    assert things[0][1]["area"] == 400.0 and things[0][0].sum() == 400
    assert pred.non_empty_mask().sum() == 60 * 80 - 200

    img = np.zeros((60, 80, 3), dtype=np.uint8)
    img[:, :, 0] = 200
    vis = Visualizer(img, meta.set(thing_classes=["a"], stuff_classes=["x", "y"]), instance_mode=ColorMode.IMAGE_BW)
    out = vis.draw_panoptic_seg(pan, None, alpha=0.5).get_image()
    r, g, b = out[45, 60]
    assert r == g == b  # unpredicted pixels go grey
    assert out[55, 5, 0] != out[55, 5, 1]  # stuff keeps colour
