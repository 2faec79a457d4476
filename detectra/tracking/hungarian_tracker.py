"""Trackers that match a whole frame at once: the assignment of least total cost (Hungarian algorithm)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from detectra.structures import Instances

from .base_tracker import _BoxTracker
from .utils import LARGE_COST_VALUE

__all__ = ["BaseHungarianTracker"]


def _linear_sum_assignment() -> Any:
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError as e:
        raise ImportError(
            "The Hungarian trackers need scipy: pip install scipy (or pip install 'detectra[tracking]')."
        ) from e
    return linear_sum_assignment


class BaseHungarianTracker(_BoxTracker):
    """Solves the assignment problem on :meth:`build_cost_matrix` with scipy's ``linear_sum_assignment``.

    Unlike Detectron2's, a pair that the optimal assignment can only fill at ``LARGE_COST_VALUE`` (e.g. IoU below
    the threshold) does not match: that instance starts a new track. Arguments: see ``_BoxTracker.__init__``.
    """

    @classmethod
    def from_config(cls, cfg: Any) -> dict:
        if cls is BaseHungarianTracker:
            raise NotImplementedError("BaseHungarianTracker is abstract; build one of its subclasses.")
        return super().from_config(cfg)

    def build_cost_matrix(self, instances: Instances, prev_instances: Instances) -> np.ndarray:
        """ndarray[N, M]: the cost of continuing previous instance j with current instance i."""
        raise NotImplementedError(f"{type(self).__name__} must implement build_cost_matrix().")

    def _match(self, instances: Instances, prev: Instances) -> Iterable[tuple[int, int]]:
        cost = self.build_cost_matrix(instances, prev)
        rows, cols = _linear_sum_assignment()(cost)
        return [(int(i), int(j)) for i, j in zip(rows, cols) if cost[i, j] < LARGE_COST_VALUE]
