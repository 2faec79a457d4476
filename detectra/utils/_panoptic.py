"""`_PanopticPrediction`: a panoptic map split into its stuff and thing segment masks, largest first."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import torch

__all__ = ["_PanopticPrediction"]


class _PanopticPrediction:
    """Walks the segments of an (H, W) panoptic id map in order of decreasing area.

    `segments_info` entries are dicts with "id", "category_id" (contiguous thing or stuff index), "isthing" and
    optionally "score"; each gets an "area" key. When `segments_info` is None, ids are read as
    `category * metadata.label_divisor + instance`, and categories among the values of
    `metadata.thing_dataset_id_to_contiguous_id` are things.
    """

    def __init__(self, panoptic_seg: Any, segments_info: list[dict] | None, metadata: Any = None):
        if isinstance(panoptic_seg, torch.Tensor):
            panoptic_seg = panoptic_seg.detach().cpu().numpy()
        seg = np.asarray(panoptic_seg).astype(np.int64)
        if seg.ndim != 2:
            raise ValueError(f"A panoptic map must be (H, W) segment ids, got shape {seg.shape}.")
        if segments_info is None:
            if metadata is None:
                raise ValueError("Without segments_info the metadata (label_divisor, thing ids) must be given.")
            divisor = metadata.get("label_divisor", None) or 1000
            thing_ids = set((metadata.get("thing_dataset_id_to_contiguous_id", None) or {}).values())
            segments_info = []
            for label in np.unique(seg):
                if label < 0:  # -1 marks pixels without a prediction
                    continue
                category = int(label) // divisor
                segments_info.append({"id": int(label), "category_id": category, "isthing": category in thing_ids})
        self._seg = seg
        self._sinfo = {int(s["id"]): s for s in segments_info}
        ids, areas = np.unique(seg, return_counts=True)
        order = np.argsort(-areas, kind="stable")
        self._seg_ids = ids[order].tolist()
        for sid, area in zip(self._seg_ids, areas[order]):
            if sid in self._sinfo:
                self._sinfo[sid]["area"] = float(area)

    def non_empty_mask(self) -> np.ndarray:
        """(H, W) bool: pixels that belong to a segment listed in segments_info."""
        empty_ids = [sid for sid in self._seg_ids if sid not in self._sinfo]
        if not empty_ids:
            return np.ones(self._seg.shape, dtype=bool)
        return ~np.isin(self._seg, empty_ids)

    def semantic_masks(self) -> Iterator[tuple[np.ndarray, dict]]:
        """(mask (H, W) bool, segment info) of each stuff segment."""
        for sid in self._seg_ids:
            sinfo = self._sinfo.get(sid)
            if sinfo is None or sinfo.get("isthing", False):
                continue
            yield self._seg == sid, sinfo

    def instance_masks(self) -> Iterator[tuple[np.ndarray, dict]]:
        """(mask (H, W) bool, segment info) of each non-empty thing segment."""
        for sid in self._seg_ids:
            sinfo = self._sinfo.get(sid)
            if sinfo is None or not sinfo.get("isthing", False):
                continue
            mask = self._seg == sid
            if mask.any():
                yield mask, sinfo
