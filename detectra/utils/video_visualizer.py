"""`VideoVisualizer`: draws per-frame predictions of a video with colours that stay with each object.

Each frame's instances are matched to the previous frame's (same class and box IoU > 0.6, or mask IoU > 0.5 when
there are no boxes); a matched instance keeps its colour, a new one gets a palette colour that no tracked instance
uses. An unmatched old instance is remembered for a few frames (its time to live), so that an object the detector
misses once gets its colour back when it reappears.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._draw import as_numpy
from ._panoptic import _PanopticPrediction
from .colormap import class_color
from .visualizer import ColorMode, VisImage, Visualizer, _create_text_labels

__all__ = ["VideoVisualizer"]

_TTL = 8  # frames an unmatched instance is remembered
_BOX_IOU_THRESHOLD = 0.6
_MASK_IOU_THRESHOLD = 0.5


class _DetectedInstance:
    """One instance seen in a frame: what matching needs (class, box or mask RLE) and what it gives (colour)."""

    __slots__ = ["label", "bbox", "mask_rle", "color", "ttl"]

    def __init__(self, label: int | None, bbox: np.ndarray | None, mask_rle: dict | None, color: Any, ttl: int):
        self.label = label
        self.bbox = bbox
        self.mask_rle = mask_rle
        self.color = color
        self.ttl = ttl


def _box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between (M, 4) and (N, 4) XYXY boxes, or (M, 5) and (N, 5) rotated boxes; (M, N)."""
    if a.shape[1] == 5:
        from detectra.layers.rotated_boxes import pairwise_iou_rotated

        ta, tb = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
        return pairwise_iou_rotated(ta, tb).numpy()
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    wh = (np.minimum(a[:, None, 2:], b[None, :, 2:]) - np.maximum(a[:, None, :2], b[None, :, :2])).clip(0)
    inter = wh[..., 0] * wh[..., 1]  # (M, N)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


class VideoVisualizer:
    """Draws instance, semantic and panoptic predictions frame after frame; one object keeps one colour.

    Call it on consecutive frames of one video; use a new VideoVisualizer per video.
    """

    def __init__(self, metadata: Any, instance_mode: ColorMode = ColorMode.IMAGE):
        """
        Args:
            metadata: dataset metadata (thing_classes, stuff_classes, stuff_colors, ...; optional
                `max_num_instances` (default 74) for ID-tracked predictions and `period_threshold` (default 0)).
            instance_mode: ColorMode.IMAGE or ColorMode.IMAGE_BW (SEGMENTATION colours by class, which would
                defeat per-object colours).
        """
        if instance_mode not in (ColorMode.IMAGE, ColorMode.IMAGE_BW):
            raise ValueError(f"VideoVisualizer supports ColorMode.IMAGE and ColorMode.IMAGE_BW, got {instance_mode}.")
        self.metadata = metadata
        self._instance_mode = instance_mode
        self._old_instances: list[_DetectedInstance] = []
        self._next_color = 0  # palette index tried next for a new instance
        self._max_num_instances = int(metadata.get("max_num_instances", 74))
        self._color_pool = [tuple(float(c) for c in class_color(i)) for i in range(self._max_num_instances)]
        self._color_idx_set = list(range(len(self._color_pool)))  # free pool indices, lowest first
        self._assigned_colors: dict[Any, int] = {}  # track ID -> pool index

    def draw_instance_predictions(self, frame: np.ndarray, predictions: Any) -> VisImage:
        """Draw one frame's Instances (pred_boxes, scores, pred_classes, pred_masks, pred_keypoints).

        Colours come from, in order: a `COLOR` field; an `ID` field (track ids from a tracker, one colour per id,
        instances with `ID_period <= metadata.period_threshold` hidden); else matching to the previous frames.
        Boxes are not drawn when there are masks (they clutter a video).

        Args:
            frame: (H, W, 3) RGB image in [0, 255].
            predictions: Instances of this frame, in the coordinates of `frame`.
        """
        vis = Visualizer(frame, self.metadata)
        num = len(predictions)
        if num == 0:
            return vis.output
        boxes = as_numpy(predictions.pred_boxes.tensor).astype(np.float64) if predictions.has("pred_boxes") else None
        scores = predictions.scores.tolist() if predictions.has("scores") else None
        classes = predictions.pred_classes.tolist() if predictions.has("pred_classes") else None
        keypoints = as_numpy(predictions.pred_keypoints) if predictions.has("pred_keypoints") else None
        masks = None
        if predictions.has("pred_masks"):
            masks = predictions.pred_masks
            masks = as_numpy(masks.tensor if hasattr(masks, "tensor") else masks).astype(bool)
        visible = np.ones(num, dtype=bool)
        if predictions.has("ID_period"):
            visible = as_numpy(predictions.ID_period) > self.metadata.get("period_threshold", 0)

        if predictions.has("COLOR"):
            colors = list(predictions.COLOR)
        elif predictions.has("ID"):
            colors = self._assign_colors_by_id(predictions)
        elif boxes is not None or masks is not None:
            rles = None
            if boxes is None:
                from pycocotools import mask as mask_util

                rles = mask_util.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
            detected = [
                _DetectedInstance(
                    classes[i] if classes is not None else None,
                    boxes[i] if boxes is not None else None,
                    rles[i] if rles is not None else None,
                    color=None,
                    ttl=_TTL,
                )
                for i in range(num)
            ]
            colors = self._assign_colors(detected)
        else:
            colors = [self._color_pool[i % len(self._color_pool)] for i in range(num)]

        labels = _create_text_labels(classes, scores, self.metadata.get("thing_classes", None))
        alpha = 0.5
        if self._instance_mode == ColorMode.IMAGE_BW:
            vis.output.reset_image(vis._create_grayscale_image(masks.any(axis=0) if masks is not None else None))
            alpha = 0.3
        keep = np.nonzero(visible)[0]
        vis.overlay_instances(
            boxes=None if masks is not None or boxes is None else boxes[keep],
            masks=None if masks is None else masks[keep],
            labels=None if labels is None else [labels[i] for i in keep],
            keypoints=None if keypoints is None else keypoints[keep],
            assigned_colors=[colors[i] for i in keep],
            alpha=alpha,
        )
        return vis.output

    def draw_sem_seg(self, frame: np.ndarray, sem_seg: Any, area_threshold: int | None = None) -> VisImage:
        """Draw an (H, W) map of class indices on `frame`; stuff colours are per class, stable by design."""
        vis = Visualizer(frame, self.metadata)
        vis.draw_sem_seg(sem_seg, area_threshold=area_threshold)
        return vis.output

    def draw_panoptic_seg(
        self,
        frame: np.ndarray,
        panoptic_seg: Any,
        segments_info: list[dict] | None,
        area_threshold: int | None = None,
        alpha: float = 0.5,
    ) -> VisImage:
        """Draw a panoptic map on `frame`: stuff in class colours, things in colours tracked by mask IoU."""
        from pycocotools import mask as mask_util

        vis = Visualizer(frame, self.metadata)
        pred = _PanopticPrediction(panoptic_seg, segments_info, self.metadata)
        if self._instance_mode == ColorMode.IMAGE_BW:
            vis.output.reset_image(vis._create_grayscale_image(pred.non_empty_mask()))
        vis._draw_panoptic_stuff(pred, alpha, area_threshold)

        things = list(pred.instance_masks())
        if not things:
            return vis.output
        masks = np.stack([m for m, _ in things])
        categories = [int(s["category_id"]) for _, s in things]
        rles = mask_util.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
        detected = [_DetectedInstance(c, None, rle, color=None, ttl=_TTL) for c, rle in zip(categories, rles)]
        colors = self._assign_colors(detected)
        labels = _create_text_labels(categories, None, self.metadata.get("thing_classes", None))
        vis.overlay_instances(masks=masks, labels=labels, assigned_colors=colors, alpha=alpha)
        return vis.output

    draw_panoptic_seg_predictions = draw_panoptic_seg  # Detectron2's older name

    # ---- colour tracking ----------------------------------------------------------------------------------

    def _assign_colors(self, instances: list[_DetectedInstance]) -> list[tuple[float, float, float]]:
        """Give each new instance the colour of the old instance it overlaps most (same class, IoU over the
        threshold), or a fresh colour; remember the unmatched old ones while their TTL lasts."""
        old = self._old_instances
        if instances[0].bbox is None:
            from pycocotools import mask as mask_util

            threshold = _MASK_IOU_THRESHOLD
            old_rles = [o.mask_rle for o in old if o.mask_rle is not None]
            if old and len(old_rles) == len(old):
                ious = np.asarray(mask_util.iou(old_rles, [x.mask_rle for x in instances], [0] * len(instances)))
            else:  # the previous frame was tracked with boxes: nothing to compare with
                ious = np.zeros((len(old), len(instances)))
        else:
            threshold = _BOX_IOU_THRESHOLD
            old_boxes = [o.bbox for o in old if o.bbox is not None and len(o.bbox) == len(instances[0].bbox)]
            if old and len(old_boxes) == len(old):
                ious = _box_iou(np.stack(old_boxes), np.stack([x.bbox for x in instances]))
            else:
                ious = np.zeros((len(old), len(instances)))
        ious = ious.reshape(len(old), len(instances)).copy()
        for i, o in enumerate(old):  # only instances of one class can be the same object
            for j, new in enumerate(instances):
                if o.label != new.label:
                    ious[i, j] = 0.0

        kept = []
        for i, o in enumerate(old):
            if ious.shape[1] and ious[i].max() > threshold:
                j = int(ious[i].argmax())
                if instances[j].color is None:
                    instances[j].color = o.color
                    continue
            o.ttl -= 1  # missed in this frame: keep it a while in case the detector dropped it once
            if o.ttl > 0:
                kept.append(o)

        in_use = {tuple(x.color) for x in instances + kept if x.color is not None}
        for inst in instances:
            if inst.color is None:
                inst.color = self._fresh_color(in_use)
                in_use.add(inst.color)
        self._old_instances = instances[:] + kept
        return [x.color for x in instances]

    def _fresh_color(self, in_use: set) -> tuple[float, float, float]:
        """The next palette colour that no tracked instance has (cycling, so consecutive objects differ)."""
        n = len(self._color_pool)
        for k in range(n):
            color = self._color_pool[(self._next_color + k) % n]
            if color not in in_use:
                self._next_color = (self._next_color + k + 1) % n
                return color
        self._next_color = (self._next_color + 1) % n  # more objects than colours: reuse
        return self._color_pool[(self._next_color - 1) % n]

    def _assign_colors_by_id(self, instances: Any) -> list[tuple[float, float, float]]:
        """One pool colour per track ID while the ID is present; colours of vanished IDs go back to the pool."""
        colors = []
        untracked = set(self._assigned_colors)
        for track_id in as_numpy(instances.ID).tolist():
            if track_id in self._assigned_colors:
                untracked.discard(track_id)
            else:
                if not self._color_idx_set:
                    raise ValueError(
                        f"More than {self._max_num_instances} track IDs at once; raise metadata.max_num_instances."
                    )
                self._assigned_colors[track_id] = self._color_idx_set.pop(0)
            colors.append(self._color_pool[self._assigned_colors[track_id]])
        for track_id in untracked:
            self._color_idx_set.append(self._assigned_colors.pop(track_id))
            self._color_idx_set.sort()
        return colors
