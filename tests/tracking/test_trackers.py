"""Trackers keep IDs across a scripted sequence of frames: moving boxes, a disappearing and a new object."""
from __future__ import annotations

import pytest
import torch

from detectra.config import CfgNode
from detectra.structures import Boxes, Instances
from detectra.tracking import (
    BBoxIOUTracker,
    IOUWeightedHungarianBBoxIOUTracker,
    VanillaHungarianBBoxIOUTracker,
    build_tracker_head,
)

pytest.importorskip("scipy", reason="the Hungarian trackers need scipy")


def _frame(boxes: list[list[float]]) -> Instances:
    inst = Instances((100, 200))
    inst.pred_boxes = Boxes(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4))
    inst.scores = torch.linspace(0.9, 0.5, len(boxes))
    inst.pred_classes = torch.zeros(len(boxes), dtype=torch.int64)
    return inst


# Object A moves right 4 px per frame, B moves down; B is missed in frame 3; C appears in frame 4.
A = lambda t: [10.0 + 4 * t, 10.0, 40.0 + 4 * t, 40.0]  # noqa: E731
B = lambda t: [120.0, 20.0 + 3 * t, 160.0, 60.0 + 3 * t]  # noqa: E731
C = [60.0, 60.0, 90.0, 90.0]
FRAMES = [[A(0), B(0)], [B(1), A(1)], [A(2), B(2)], [A(3)], [C, A(4), B(4)]]

TRACKERS = [BBoxIOUTracker, VanillaHungarianBBoxIOUTracker, IOUWeightedHungarianBBoxIOUTracker]


@pytest.mark.parametrize("cls", TRACKERS)
def test_ids_follow_objects(cls):
    tracker = cls(video_height=100, video_width=200, max_lost_frame_count=0)
    ids = [tracker.update(_frame(f)).ID for f in FRAMES]
    assert ids[:3] == [[0, 1], [1, 0], [0, 1]]  # A is 0, B is 1, whatever their order in the frame
    assert ids[3] == [0]  # B not seen and not carried over (max_lost_frame_count=0)
    assert ids[4] == [2, 0, 3]  # C is new; B, lost for a frame, comes back under a new ID


@pytest.mark.parametrize("cls", TRACKERS)
def test_lost_instances_are_carried_over(cls):
    tracker = cls(video_height=100, video_width=200, max_lost_frame_count=1, min_instance_period=1)
    outs = [tracker.update(_frame(f)) for f in FRAMES]
    # frame 3: B (seen in 3 frames) is reported once more from frame 2, with lost_frame_count 1
    assert outs[3].ID == [0, 1] and outs[3].lost_frame_count == [0, 1] and outs[3].ID_period == [4, 3]
    assert outs[3].pred_boxes.tensor[1].tolist() == B(2)
    # frame 4: B's carried box (frame 2) still overlaps its new position, so B keeps its ID
    assert outs[4].ID == [2, 0, 1]


def test_hungarian_continues_more_tracks_than_greedy():
    # 10x10 boxes shifted along x. IoU(C0, P0) = 0.6 is the single best pair, but taking it leaves C1 with P1 only
    # (IoU 0.026, below the threshold); C0-P1 and C1-P0 (0.48 each) continue both tracks.
    prev = [[20.0, 0.0, 30.0, 10.0], [26.0, 0.0, 36.0, 10.0]]
    cur = [[22.5, 0.0, 32.5, 10.0], [16.5, 0.0, 26.5, 10.0]]
    ids = {}
    for cls in TRACKERS:
        tracker = cls(video_height=100, video_width=200, track_iou_threshold=0.3)
        tracker.update(_frame(prev))
        ids[cls] = tracker.update(_frame(cur)).ID
    assert ids[BBoxIOUTracker] == [0, 2]  # greedy: C0 continues P0, C1 starts a new track
    assert ids[VanillaHungarianBBoxIOUTracker] == [1, 0]
    assert ids[IOUWeightedHungarianBBoxIOUTracker] == [1, 0]


def test_build_from_config_and_errors():
    cfg = CfgNode({"TRACKER_HEADS": {"TRACKER_NAME": "VanillaHungarianBBoxIOUTracker", "VIDEO_HEIGHT": 100,
                                     "VIDEO_WIDTH": 200, "TRACK_IOU_THRESHOLD": 0.7}})  # fmt: skip
    tracker = build_tracker_head(cfg)
    assert isinstance(tracker, VanillaHungarianBBoxIOUTracker) and tracker._track_iou_threshold == 0.7
    del cfg.TRACKER_HEADS["VIDEO_WIDTH"]
    with pytest.raises(KeyError, match="VIDEO_WIDTH"):
        build_tracker_head(cfg)
    empty = BBoxIOUTracker(video_height=100, video_width=200).update(_frame([]))
    assert len(empty) == 0 and empty.ID == []
