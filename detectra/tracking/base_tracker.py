"""Trackers: give each detected instance of a video frame an ``ID`` that persists across frames.

A tracker is fed one frame's ``Instances`` at a time (``update``) and returns them with three list fields added,
as Detectron2's trackers do: ``ID`` (int), ``ID_period`` (frames this ID has been seen in a row) and
``lost_frame_count`` (frames since it was last matched; > 0 for instances carried over from earlier frames).
Trackers are registered in ``TRACKER_HEADS_REGISTRY`` and built from ``cfg.TRACKER_HEADS.TRACKER_NAME``.
"""
from __future__ import annotations

from typing import Any, Iterable

import torch

from detectra.config import configurable
from detectra.structures import Instances
from detectra.utils.registry import Registry

__all__ = ["TRACKER_HEADS_REGISTRY", "BaseTracker", "build_tracker_head"]

TRACKER_HEADS_REGISTRY = Registry("TRACKER_HEADS")
TRACKER_HEADS_REGISTRY.__doc__ = """Trackers, built from ``cfg.TRACKER_HEADS`` (``cls(cfg)``)."""


class BaseTracker:
    """Base of the trackers: subclasses implement :meth:`update` and :meth:`from_config`."""

    @configurable
    def __init__(self, **kwargs: Any) -> None:
        self._prev_instances: Instances | None = None  # the last frame's output
        self._id_count = 0  # the next new ID
        self._matched_idx: set[int] = set()
        self._matched_ID: set[int] = set()
        self._untracked_prev_idx: set[int] = set()

    @classmethod
    def from_config(cls, cfg: Any) -> dict:
        raise NotImplementedError(f"{cls.__name__} cannot be built from a config; construct it with arguments.")

    def update(self, predictions: Instances) -> Instances:
        """Assign IDs to one frame's predictions (``pred_boxes``, ``scores``, ``pred_classes``, ...).

        Returns:
            the predictions with ``ID``, ``ID_period`` and ``lost_frame_count`` fields, possibly followed by
            instances of earlier frames that are kept although unmatched in this one.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update().")


class _BoxTracker(BaseTracker):
    """Shared bookkeeping of the box trackers; subclasses only decide which (current, previous) pairs match."""

    @configurable
    def __init__(
        self,
        *,
        video_height: int,
        video_width: int,
        max_num_instances: int = 200,
        max_lost_frame_count: int = 0,
        min_box_rel_dim: float = 0.02,
        min_instance_period: int = 1,
        track_iou_threshold: float = 0.5,
        **kwargs: Any,
    ) -> None:
        """
        Args:
            video_height, video_width: frame size, in pixels.
            max_num_instances: kept for Detectron2 compatibility (its trackers do not use it either).
            max_lost_frame_count: for how many frames an unmatched instance is still reported (0: never).
            min_box_rel_dim: unmatched instances whose box is narrower or shorter than this fraction of the frame
                are dropped at once.
            min_instance_period: unmatched instances are only carried over once their ID has been seen in more
                than this many frames.
            track_iou_threshold: pairs with a lower box IoU never match.
        """
        super().__init__(**kwargs)
        self._video_height = video_height
        self._video_width = video_width
        self._max_num_instances = max_num_instances
        self._max_lost_frame_count = max_lost_frame_count
        self._min_box_rel_dim = min_box_rel_dim
        self._min_instance_period = min_instance_period
        self._track_iou_threshold = track_iou_threshold

    @classmethod
    def from_config(cls, cfg: Any) -> dict:
        heads = cfg.TRACKER_HEADS
        missing = [k for k in ("VIDEO_HEIGHT", "VIDEO_WIDTH") if k not in heads]
        if missing:
            raise KeyError(f"{cls.__name__} needs cfg.TRACKER_HEADS.{' and '.join(missing)} (the video frame size).")
        return {
            "video_height": heads.VIDEO_HEIGHT,
            "video_width": heads.VIDEO_WIDTH,
            "max_num_instances": heads.get("MAX_NUM_INSTANCES", 200),
            "max_lost_frame_count": heads.get("MAX_LOST_FRAME_COUNT", 0),
            "min_box_rel_dim": heads.get("MIN_BOX_REL_DIM", 0.02),
            "min_instance_period": heads.get("MIN_INSTANCE_PERIOD", 1),
            "track_iou_threshold": heads.get("TRACK_IOU_THRESHOLD", 0.5),
        }

    def _match(self, instances: Instances, prev: Instances) -> Iterable[tuple[int, int]]:
        """(current index, previous index) pairs that continue a track."""
        raise NotImplementedError

    def update(self, instances: Instances) -> Instances:
        if instances.has("pred_keypoints"):
            raise NotImplementedError(f"{type(self).__name__} tracks boxes; keypoint tracking is not supported.")
        n = len(instances)
        instances.ID, instances.ID_period, instances.lost_frame_count = [None] * n, [None] * n, [None] * n
        prev = self._prev_instances
        self._matched_idx, self._matched_ID = set(), set()
        self._untracked_prev_idx = set(range(len(prev))) if prev is not None else set()
        if prev is not None and n and len(prev):
            for idx, prev_idx in self._match(instances, prev):
                instances.ID[idx] = prev.ID[prev_idx]
                instances.ID_period[idx] = prev.ID_period[prev_idx] + 1
                instances.lost_frame_count[idx] = 0
                self._matched_idx.add(idx)
                self._matched_ID.add(prev.ID[prev_idx])
                self._untracked_prev_idx.discard(prev_idx)
        for idx in range(n):
            if idx not in self._matched_idx:  # a new track
                instances.ID[idx], instances.ID_period[idx], instances.lost_frame_count[idx] = self._id_count, 1, 0
                self._id_count += 1
        if prev is not None:
            instances = self._keep_lost(instances, prev)
        self._prev_instances = instances
        return instances

    def _keep_lost(self, instances: Instances, prev: Instances) -> Instances:
        """Append the previous frame's unmatched instances that are still worth reporting."""
        keep = []
        for idx in sorted(self._untracked_prev_idx):
            x0, y0, x1, y1 = prev.pred_boxes.tensor[idx].tolist()
            if (
                (x1 - x0) / self._video_width >= self._min_box_rel_dim
                and (y1 - y0) / self._video_height >= self._min_box_rel_dim
                and prev.lost_frame_count[idx] < self._max_lost_frame_count
                and prev.ID_period[idx] > self._min_instance_period
            ):
                keep.append(idx)
        if not keep:
            return instances
        lost = prev[torch.as_tensor(keep)]
        lost.lost_frame_count = [c + 1 for c in lost.lost_frame_count]
        lost = Instances(instances.image_size, **lost.get_fields())
        return Instances.cat([instances, lost])


def build_tracker_head(cfg: Any) -> BaseTracker:
    """The tracker named ``cfg.TRACKER_HEADS.TRACKER_NAME``, built from ``cfg``."""
    return TRACKER_HEADS_REGISTRY.get(cfg.TRACKER_HEADS.TRACKER_NAME)(cfg)
