"""VideoVisualizer: an object keeps its colour from frame to frame; new objects get other colours."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detectra.data import Metadata
from detectra.structures import Boxes, Instances
from detectra.utils.video_visualizer import VideoVisualizer
from detectra.utils.visualizer import ColorMode

GREY = 100
H, W = 64, 96


def _frame():
    return np.full((H, W, 3), GREY, dtype=np.uint8)


def _meta():
    return Metadata(name="_video_vis_test").set(thing_classes=["a", "b"], stuff_classes=["sky"])


def _boxes(boxes, classes):
    return Instances(
        (H, W),
        pred_boxes=Boxes(torch.tensor(boxes, dtype=torch.float32)),
        scores=torch.full((len(boxes),), 0.9),
        pred_classes=torch.tensor(classes),
    )


def _masks(rects, classes):
    masks = torch.zeros(len(rects), H, W, dtype=torch.bool)
    for i, (x0, y0, x1, y1) in enumerate(rects):
        masks[i, y0:y1, x0:x1] = True
    return Instances((H, W), pred_masks=masks, pred_classes=torch.tensor(classes))


def _box_color(img, x, y):
    """The instance colour behind a box edge pixel drawn at alpha 0.5 over grey, in [0, 255]."""
    return tuple(int(v) for v in np.clip(2 * img[y, x].astype(int) - GREY, 0, 255))


def test_box_tracking_keeps_colour_and_gives_new_instances_new_colours():
    video = VideoVisualizer(_meta())
    f1 = video.draw_instance_predictions(_frame(), _boxes([[10, 10, 30, 40], [50, 10, 70, 40]], [0, 0])).get_image()
    a1, b1 = _box_color(f1, 30, 25), _box_color(f1, 70, 25)  # right edges
    assert a1 != b1  # two objects of one class: two colours

    # A moved by 2 px (IoU 0.82), B gone, C new (and far from everything)
    f2 = video.draw_instance_predictions(_frame(), _boxes([[12, 11, 32, 41], [40, 45, 90, 60]], [0, 0])).get_image()
    a2, c2 = _box_color(f2, 32, 25), _box_color(f2, 90, 52)
    assert a2 == a1
    assert c2 not in (a1, b1)  # B is still remembered (TTL), so C cannot take its colour

    # B reappears where it was: it gets its old colour back
    f3 = video.draw_instance_predictions(_frame(), _boxes([[12, 11, 32, 41], [50, 10, 70, 40]], [0, 0])).get_image()
    assert _box_color(f3, 32, 25) == a1 and _box_color(f3, 70, 25) == b1


def test_class_change_or_large_jump_breaks_the_track():
    video = VideoVisualizer(_meta())
    f1 = video.draw_instance_predictions(_frame(), _boxes([[10, 10, 30, 40]], [0])).get_image()
    f2 = video.draw_instance_predictions(_frame(), _boxes([[10, 10, 30, 40]], [1])).get_image()  # same place, class b
    assert _box_color(f2, 30, 25) != _box_color(f1, 30, 25)
    f3 = video.draw_instance_predictions(_frame(), _boxes([[20, 10, 40, 40]], [1])).get_image()  # IoU 0.33 < 0.6
    assert _box_color(f3, 40, 25) not in (_box_color(f1, 30, 25), _box_color(f2, 30, 25))


def test_mask_tracking_uses_mask_iou():
    video = VideoVisualizer(_meta())
    f1 = video.draw_instance_predictions(_frame(), _masks([(10, 10, 30, 30), (50, 10, 80, 40)], [0, 1])).get_image()
    f2 = video.draw_instance_predictions(_frame(), _masks([(52, 11, 81, 40), (11, 10, 31, 30)], [1, 0])).get_image()
    # inside both masks, away from the labels at their centres (alpha 0.5 fill, no boxes drawn with masks)
    assert tuple(f2[12, 15]) == tuple(f1[12, 15]) and tuple(f2[15, 55]) == tuple(f1[15, 55])
    assert tuple(f1[12, 15]) != tuple(f1[15, 55]) and tuple(f1[12, 15]) != (GREY,) * 3
    assert tuple(f2[50, 5]) == (GREY,) * 3


def test_track_ids_colours_and_hidden_short_tracks():
    meta = _meta().set(period_threshold=2)
    video = VideoVisualizer(meta)
    inst = _boxes([[10, 10, 30, 40], [50, 10, 70, 40]], [0, 0])
    inst.ID = torch.tensor([7, 9])
    inst.ID_period = torch.tensor([5, 1])  # track 9 too young: not drawn
    f1 = video.draw_instance_predictions(_frame(), inst).get_image()
    assert tuple(f1[25, 70]) == (GREY,) * 3 and tuple(f1[25, 30]) != (GREY,) * 3
    inst2 = _boxes([[60, 20, 80, 50]], [0])  # track 7 far away: same colour by ID, not by overlap
    inst2.ID = torch.tensor([7])
    inst2.ID_period = torch.tensor([6])
    f2 = video.draw_instance_predictions(_frame(), inst2).get_image()
    assert _box_color(f2, 80, 35) == _box_color(f1, 30, 25)


def test_panoptic_things_keep_colours_and_bw_mode():
    video = VideoVisualizer(_meta().set(stuff_colors=[[0, 255, 0]]), instance_mode=ColorMode.IMAGE_BW)
    info = [{"id": 1, "category_id": 0, "isthing": False}, {"id": 2, "category_id": 0, "isthing": True}]
    frames = []
    for shift in (0, 2):
        pan = np.ones((H, W), dtype=np.int64)
        pan[20 + shift : 50 + shift, 20:50] = 2
        frame = _frame()
        frame[:, :, 0] = 200  # colourful input, to see the grey-out
        frames.append(video.draw_panoptic_seg(frame, torch.from_numpy(pan), info).get_image())
    assert tuple(frames[0][22, 22]) == tuple(frames[1][24, 22])  # the thing keeps its colour
    assert tuple(frames[0][22, 22]) != tuple(frames[0][5, 5])  # and differs from the stuff around it

    sem = np.zeros((H, W), dtype=np.int64)
    out = VideoVisualizer(_meta()).draw_sem_seg(_frame(), sem).get_image()
    assert tuple(out[60, 90]) != (GREY,) * 3


def test_empty_predictions_and_bad_mode():
    video = VideoVisualizer(_meta())
    out = video.draw_instance_predictions(_frame(), _boxes(np.zeros((0, 4)), [])).get_image()
    assert (out == GREY).all()
    with pytest.raises(ValueError, match="IMAGE_BW"):
        VideoVisualizer(_meta(), instance_mode=ColorMode.SEGMENTATION)
