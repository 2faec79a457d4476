"""Visualizer: drawn pixels land where the boxes, masks, keypoints and segments are, with the right colours."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from detectra.data import Metadata
from detectra.structures import Boxes, BoxMode, Instances
from detectra.utils.colormap import class_color, colormap, random_colors
from detectra.utils.visualizer import ColorMode, VisImage, Visualizer

GREY = 100


def _image(h=60, w=80):
    return np.full((h, w, 3), GREY, dtype=np.uint8)


def _meta(**kw):
    return Metadata(name="_vis_test").set(**kw)


def _predictions():
    masks = torch.zeros(1, 60, 80, dtype=torch.bool)
    masks[0, 20:30, 20:40] = True
    return Instances(
        (60, 80),
        pred_boxes=Boxes(torch.tensor([[10.0, 10.0, 50.0, 40.0]])),
        scores=torch.tensor([0.9]),
        pred_classes=torch.tensor([0]),
        pred_masks=masks,
    )


def test_instance_box_and_mask_pixels(tmp_path):
    vis = Visualizer(_image(), _meta(thing_classes=["thing"], thing_colors=[[255, 0, 0]]))
    out = vis.draw_instance_predictions(_predictions())
    img = out.get_image()
    assert img.shape == (60, 80, 3) and img.dtype == np.uint8
    # box outlines are drawn at Detectron2's alpha 0.5: 0.5 * grey + 0.5 * red
    assert tuple(img[25, 50]) == (178, 50, 50)  # right edge of the box
    assert tuple(img[40, 30]) == (178, 50, 50)  # bottom edge
    assert tuple(img[25, 30]) == (178, 50, 50)  # mask interior: 0.5 * grey + 0.5 * red
    assert tuple(img[29, 30]) == (153, 0, 0)  # mask outline (last mask row): darker red
    assert tuple(img[5, 5]) == (GREY,) * 3 and tuple(img[50, 70]) == (GREY,) * 3  # untouched
    assert tuple(img[35, 45]) == (GREY,) * 3  # inside the box, outside the mask
    # the label text is drawn near the box's top-left corner
    assert (np.abs(img[10:25, 10:50].astype(int) - GREY).sum(axis=2) > 0).sum() > 30

    out.save(tmp_path / "vis.png")
    out.save(tmp_path / "sub/vis.jpg")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "vis.png")), img)
    assert Image.open(tmp_path / "sub/vis.jpg").format == "JPEG"


def test_scale_and_palette_colours_are_stable():
    pred = _predictions()
    pred.remove("pred_masks")
    meta = _meta(thing_classes=["thing"])
    a = Visualizer(_image(), meta, scale=2.0).draw_instance_predictions(pred).get_image()
    b = Visualizer(_image(), meta, scale=2.0).draw_instance_predictions(pred).get_image()
    assert a.shape == (120, 160, 3)
    assert np.array_equal(a, b)
    expected = tuple(int(round(0.5 * GREY + 0.5 * round(c * 255))) for c in class_color(0))
    assert np.abs(a[50, 100].astype(int) - expected).max() <= 1  # right edge at x = 50 * 2, alpha 0.5
    assert colormap(rgb=True).shape == (80, 3) and len(random_colors(5)) == 5


def test_image_bw_mode_greys_out_background():
    img = _image()
    img[:, :, 0] = 200  # reddish image
    vis = Visualizer(img, _meta(thing_classes=["thing"]), instance_mode=ColorMode.IMAGE_BW)
    out = vis.draw_instance_predictions(_predictions()).get_image()
    r, g, b = out[55, 75]
    assert r == g == b  # grey outside the masks
    assert out[25, 30, 0] != out[25, 30, 1] or out[25, 30, 1] != out[25, 30, 2]  # colour kept inside


def test_keypoints_and_skeleton():
    meta = _meta(keypoint_names=["a", "b", "c"], keypoint_connection_rules=[("a", "b", (0, 0, 255))])
    kpts = torch.tensor([[[10.0, 30.0, 0.9], [60.0, 30.0, 0.8], [70.0, 50.0, 0.01]]])
    inst = Instances((60, 80), pred_keypoints=kpts)
    out = Visualizer(_image(), meta).draw_instance_predictions(inst).get_image()
    assert tuple(out[30, 10]) == (255, 0, 0)  # keypoint a: red disc
    assert tuple(out[30, 35]) == (0, 0, 255)  # midway on the a-b skeleton line
    assert tuple(out[50, 70]) == (GREY,) * 3  # keypoint c is below the score threshold


def test_sem_seg_colours_and_ignore_label():
    sem = np.zeros((60, 80), dtype=np.int64)
    sem[:, 40:] = 1
    sem[:10, :10] = 255  # ignored
    meta = _meta(stuff_classes=["sky", "road"], stuff_colors=[[0, 0, 255], [0, 255, 0]])
    out = Visualizer(_image(), meta).draw_sem_seg(torch.from_numpy(sem), alpha=0.5).get_image()
    assert tuple(out[55, 12]) == (50, 50, 178)  # sky: 0.5 * grey + 0.5 * blue
    assert tuple(out[55, 70]) == (50, 178, 50)  # road
    assert tuple(out[5, 5]) == (GREY,) * 3  # ignore label left alone


def test_panoptic_things_and_stuff():
    pan = np.zeros((60, 80), dtype=np.int64)
    pan[:, :40] = 1  # stuff segment
    pan[10:30, 50:70] = 2  # thing segment
    info = [
        {"id": 1, "category_id": 0, "isthing": False},
        {"id": 2, "category_id": 0, "isthing": True, "score": 0.7},
    ]
    meta = _meta(
        thing_classes=["car"], thing_colors=[[255, 0, 0]], stuff_classes=["grass"], stuff_colors=[[0, 255, 0]]
    )
    out = Visualizer(_image(), meta).draw_panoptic_seg(torch.from_numpy(pan), info, alpha=0.5).get_image()
    assert tuple(out[55, 5]) == (50, 178, 50)  # stuff
    assert tuple(out[12, 52]) == (178, 50, 50)  # thing (its label sits at the segment centre)
    assert tuple(out[50, 75]) == (GREY,) * 3  # id 0: no segment


def test_draw_dataset_dict_polygon_and_box():
    dic = {
        "file_name": "x.jpg",
        "height": 60,
        "width": 80,
        "annotations": [
            {
                "bbox": [10, 10, 40, 30],
                "bbox_mode": BoxMode.XYWH_ABS,
                "category_id": 0,
                "segmentation": [[20, 20, 40, 20, 40, 30, 20, 30]],
                "keypoints": [30, 25, 2],
                "iscrowd": 0,
            }
        ],
    }
    out = Visualizer(_image(), _meta(thing_classes=["thing"], thing_colors=[[0, 0, 255]])).draw_dataset_dict(dic)
    img = out.get_image()
    assert tuple(img[25, 50]) == (50, 50, 178)  # box right edge (x0 + w = 50), alpha 0.5
    assert tuple(img[27, 37]) == (50, 50, 178)  # inside the polygon
    assert tuple(img[25, 30]) == (255, 0, 0)  # the keypoint
    assert tuple(img[45, 70]) == (GREY,) * 3


def test_mismatched_lengths_and_bad_image():
    vis = Visualizer(_image(), _meta())
    with pytest.raises(ValueError, match="different lengths"):
        vis.overlay_instances(boxes=np.zeros((2, 4)), labels=["a"])
    with pytest.raises(ValueError, match="RGB"):
        VisImage(np.zeros((4, 4, 4), np.uint8))


def test_jittering_is_detectron2s_default_and_varies_colours_in_segmentation_mode_only():
    import inspect

    assert inspect.signature(Visualizer.draw_instance_predictions).parameters["jittering"].default is True
    masks = torch.zeros(2, 60, 80, dtype=torch.bool)
    masks[0, 5:25, 5:35] = True
    masks[1, 35:55, 45:75] = True
    pred = Instances(
        (60, 80),
        pred_boxes=Boxes(torch.tensor([[5.0, 5.0, 35.0, 25.0], [45.0, 35.0, 75.0, 55.0]])),
        scores=torch.tensor([0.9, 0.8]),
        pred_classes=torch.tensor([0, 0]),
        pred_masks=masks,
    )
    meta = _meta(thing_classes=["thing"], thing_colors=[[255, 0, 0]])

    def draw(mode, jittering):
        return Visualizer(_image(), meta, instance_mode=mode).draw_instance_predictions(pred, jittering).get_image()

    # IMAGE mode: both instances in the class colour whatever the flag, so pictures repeat exactly
    assert np.array_equal(draw(ColorMode.IMAGE, True), draw(ColorMode.IMAGE, False))
    seg_plain, seg_jittered = draw(ColorMode.SEGMENTATION, False), draw(ColorMode.SEGMENTATION, True)
    # SEGMENTATION mode: the two same-class masks get different colours, and the same ones on every call
    centres = [(15, 20), (45, 60)]
    assert tuple(seg_plain[centres[0]]) == tuple(seg_plain[centres[1]])
    assert tuple(seg_jittered[centres[0]]) != tuple(seg_jittered[centres[1]])
    assert np.array_equal(seg_jittered, draw(ColorMode.SEGMENTATION, True))
