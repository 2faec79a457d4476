"""Greedy box-IoU tracker: the best-overlapping (current, previous) pairs match first."""
from __future__ import annotations

from typing import Iterable

from detectra.structures import Instances, pairwise_iou

from .base_tracker import TRACKER_HEADS_REGISTRY, _BoxTracker
from .utils import create_prediction_pairs

__all__ = ["BBoxIOUTracker"]


@TRACKER_HEADS_REGISTRY.register()
class BBoxIOUTracker(_BoxTracker):
    """Matches each instance to the previous frame's instance it overlaps most (box IoU >= ``track_iou_threshold``),
    in decreasing IoU order, each previous instance at most once. Arguments: see ``_BoxTracker.__init__``."""

    def _match(self, instances: Instances, prev: Instances) -> Iterable[tuple[int, int]]:
        iou_all = pairwise_iou(instances.pred_boxes, prev.pred_boxes).numpy()  # (N, M)
        pairs = create_prediction_pairs(instances, prev, iou_all, threshold=self._track_iou_threshold)
        used_idx, used_prev = set(), set()
        for pair in sorted(pairs, key=lambda p: -p["IoU"]):
            if pair["idx"] not in used_idx and pair["prev_idx"] not in used_prev:
                used_idx.add(pair["idx"])
                used_prev.add(pair["prev_idx"])
                yield pair["idx"], pair["prev_idx"]
