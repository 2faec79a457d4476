"""Hungarian tracker on box IoU weighted by the overlap: the assignment of largest total IoU."""
from __future__ import annotations

import numpy as np

from .base_tracker import TRACKER_HEADS_REGISTRY
from .vanilla_hungarian_bbox_iou_tracker import VanillaHungarianBBoxIOUTracker

__all__ = ["IOUWeightedHungarianBBoxIOUTracker"]


@TRACKER_HEADS_REGISTRY.register()
class IOUWeightedHungarianBBoxIOUTracker(VanillaHungarianBBoxIOUTracker):
    """Among the pairs with box IoU >= ``track_iou_threshold``, the assignment maximising the summed IoU."""

    def assign_cost_matrix_values(self, cost_matrix: np.ndarray, bbox_pairs: list[dict]) -> np.ndarray:
        """Cost -IoU for every pair above the threshold."""
        for pair in bbox_pairs:
            cost_matrix[pair["idx"], pair["prev_idx"]] = -pair["IoU"]
        return cost_matrix
