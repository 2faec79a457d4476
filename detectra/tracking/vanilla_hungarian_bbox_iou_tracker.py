"""Hungarian tracker on box IoU: every pair above the threshold costs the same, so the most tracks continue."""
from __future__ import annotations

import numpy as np

from detectra.structures import Instances, pairwise_iou

from .base_tracker import TRACKER_HEADS_REGISTRY
from .hungarian_tracker import BaseHungarianTracker
from .utils import LARGE_COST_VALUE, create_prediction_pairs

__all__ = ["VanillaHungarianBBoxIOUTracker"]


@TRACKER_HEADS_REGISTRY.register()
class VanillaHungarianBBoxIOUTracker(BaseHungarianTracker):
    """Maximises the number of (current, previous) pairs with box IoU >= ``track_iou_threshold``."""

    def build_cost_matrix(self, instances: Instances, prev_instances: Instances) -> np.ndarray:
        iou_all = pairwise_iou(instances.pred_boxes, prev_instances.pred_boxes).numpy()  # (N, M)
        pairs = create_prediction_pairs(instances, prev_instances, iou_all, threshold=self._track_iou_threshold)
        cost = np.full((len(instances), len(prev_instances)), LARGE_COST_VALUE, dtype=np.float64)
        return self.assign_cost_matrix_values(cost, pairs)

    def assign_cost_matrix_values(self, cost_matrix: np.ndarray, bbox_pairs: list[dict]) -> np.ndarray:
        """Cost -1 for every pair above the threshold."""
        for pair in bbox_pairs:
            cost_matrix[pair["idx"], pair["prev_idx"]] = -1
        return cost_matrix
