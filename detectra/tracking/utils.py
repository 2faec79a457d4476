"""Helpers shared by the trackers."""
from __future__ import annotations

import numpy as np

from detectra.structures import Instances

__all__ = ["LARGE_COST_VALUE", "create_prediction_pairs"]

# Cost of a (current, previous) pair that must not match; Hungarian matches at this cost are discarded.
LARGE_COST_VALUE = 100000


def create_prediction_pairs(
    instances: Instances, prev_instances: Instances, iou_all: np.ndarray, threshold: float = 0.5
) -> list[dict]:
    """The (current, previous) pairs whose box IoU reaches ``threshold``.

    Args:
        instances, prev_instances: this frame's and the previous frame's predictions (the latter with ``ID`` and
            ``ID_period``).
        iou_all (ndarray[N, M]): IoU between this frame's N and the previous frame's M boxes.

    Returns:
        dicts with ``idx``, ``prev_idx``, ``prev_id``, ``IoU`` and ``prev_period``, in row-major order.
    """
    iou_all = np.asarray(iou_all)
    rows, cols = np.nonzero(iou_all >= threshold)
    return [
        {
            "idx": int(i),
            "prev_idx": int(j),
            "prev_id": prev_instances.ID[j],
            "IoU": float(iou_all[i, j]),
            "prev_period": prev_instances.ID_period[j],
        }
        for i, j in zip(rows, cols)
    ]
