"""Draw predictions and annotations (boxes, masks, keypoints, semantic and panoptic segmentation) on images.

Drawing is done with PIL (no figure, no GUI backend) and numpy alpha blending: fast and headless.
"""

from __future__ import annotations

from enum import Enum, unique
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from ._draw import Color, darker
from ._draw import as_numpy as _as_numpy
from ._generic_mask import GenericMask
from ._panoptic import _PanopticPrediction
from ._vis_image import VisImage
from ._vis_primitives import _SMALL_OBJECT_AREA_THRESH, _PrimitivesMixin
from .colormap import class_color, random_color

__all__ = ["ColorMode", "VisImage", "Visualizer", "GenericMask"]

_KEYPOINT_THRESHOLD = 0.05
_RED = (1.0, 0.0, 0.0)
_OFF_WHITE = (1.0, 1.0, 240.0 / 255)


@unique
class ColorMode(Enum):
    """How instances are coloured.

    IMAGE: one colour per class over the original image. SEGMENTATION: the same class colours with more opaque
    masks (for datasets whose metadata sets `thing_colors`). IMAGE_BW: the image turned grey except inside the
    predicted masks, to make the objects stand out.
    """

    IMAGE = 0
    SEGMENTATION = 1
    IMAGE_BW = 2


def _boxes_to_numpy(boxes: Any) -> np.ndarray:
    """Boxes / RotatedBoxes / tensors / arrays / lists -> (N, 4) float XYXY or (N, 5) XYWHA."""
    if hasattr(boxes, "tensor"):
        boxes = boxes.tensor
    arr = _as_numpy(boxes).astype(np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] not in (4, 5):
        raise ValueError(f"Boxes must be (N, 4) XYXY_ABS or (N, 5) XYWHA_ABS, got shape {arr.shape}.")
    return arr


def _masks_to_numpy(masks: Any, height: int, width: int) -> np.ndarray:
    """BitMasks / PolygonMasks / (N, H, W) tensors or arrays / lists of GenericMasks, polygon lists or RLEs ->
    (N, H, W) bool."""
    from pycocotools import mask as mask_util

    if hasattr(masks, "polygons"):  # PolygonMasks
        masks = masks.polygons
    elif hasattr(masks, "tensor"):  # BitMasks
        masks = masks.tensor
    if isinstance(masks, (torch.Tensor, np.ndarray)):
        arr = _as_numpy(masks)
        return arr.reshape(-1, height, width).astype(bool) if arr.size else np.zeros((0, height, width), bool)
    out = []
    for m in masks:
        if isinstance(m, GenericMask):
            out.append(m.mask.astype(bool))
        elif isinstance(m, (torch.Tensor, np.ndarray)) and _as_numpy(m).ndim == 2:
            out.append(_as_numpy(m).astype(bool))
        elif isinstance(m, dict):  # RLE
            rle = mask_util.frPyObjects(m, height, width) if isinstance(m["counts"], list) else m
            out.append(mask_util.decode(rle).astype(bool))
        else:  # list of polygons, each a flat [x0, y0, x1, y1, ...]
            from detectra.structures.masks import polygons_to_bitmask  # it bounds far-out polygons' memory

            out.append(polygons_to_bitmask([np.asarray(p, dtype=np.float64).ravel() for p in m], height, width))
    return np.stack(out) if out else np.zeros((0, height, width), bool)


def _create_text_labels(
    classes: Sequence[int] | None,
    scores: Sequence[float] | None,
    class_names: Sequence[str] | None,
    is_crowd: Sequence[bool] | None = None,
) -> list[str] | None:
    """"name 87%" per instance (class index when there are no names), "|crowd" for crowd annotations."""
    labels = None
    if classes is not None:
        if class_names is not None and len(class_names) > 0:
            labels = [class_names[i] if 0 <= i < len(class_names) else str(i) for i in classes]
        else:
            labels = [str(i) for i in classes]
    if scores is not None:
        if labels is None:
            labels = [f"{s * 100:.0f}%" for s in scores]
        else:
            labels = [f"{label} {s * 100:.0f}%" for label, s in zip(labels, scores)]
    if labels is not None and is_crowd is not None:
        labels = [label + ("|crowd" if crowd else "") for label, crowd in zip(labels, is_crowd)]
    return labels


class Visualizer(_PrimitivesMixin):
    """Draws on a copy of an RGB image; every `draw_*` returns the `VisImage` (also `get_output()`).

    Coordinates passed to the drawing methods are in the input image; colours are RGB floats in [0, 1] or
    matplotlib colour names ("g", "white", "#ff0000").
    """

    def __init__(
        self,
        img_rgb: np.ndarray,
        metadata: Any = None,
        scale: float = 1.0,
        instance_mode: ColorMode = ColorMode.IMAGE,
    ):
        """
        Args:
            img_rgb: (H, W, 3) RGB image in [0, 255] (convert BGR inputs first: `img[:, :, ::-1]`).
            metadata: dataset metadata (thing_classes, thing_colors, stuff_classes, stuff_colors, keypoint_names,
                keypoint_connection_rules, ...); anything with `.get(key, default)` or None.
            scale: output size relative to the input.
            instance_mode: colouring of instances, see `ColorMode`.
        """
        img = _as_numpy(img_rgb)
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        self.img = np.clip(img, 0, 255).astype(np.uint8)
        if metadata is None:
            from detectra.data import MetadataCatalog

            metadata = MetadataCatalog.get("__nonexist__")
        self.metadata = metadata
        self.output = VisImage(self.img, scale=scale)
        self._scale = scale
        self._instance_mode = instance_mode
        self._default_font_size = max(int(np.sqrt(self.output.height * self.output.width) // 90), 10)
        self._line_width = max(int(round(self._default_font_size / 4)), 1)
        self.keypoint_threshold = _KEYPOINT_THRESHOLD

    # ---- high-level drawing -------------------------------------------------------------------------------

    def draw_instance_predictions(self, predictions: Any, jittering: bool = True) -> VisImage:
        """Draw a model's `Instances` (pred_boxes, scores, pred_classes, pred_masks, pred_keypoints; all optional).

        Rotated boxes (`RotatedBoxes` / (N, 5) pred_boxes) are drawn as rotated outlines with their labels.

        Args:
            predictions: Instances in the coordinates of the input image.
            jittering: in ``ColorMode.SEGMENTATION``, vary the class colour per instance, to tell touching objects
                of one class apart (Detectron2's default and mode). Other modes draw every instance in its class
                colour, so pictures are the same from run to run.
        """
        boxes = predictions.pred_boxes if predictions.has("pred_boxes") else None
        scores = predictions.scores.tolist() if predictions.has("scores") else None
        classes = predictions.pred_classes.tolist() if predictions.has("pred_classes") else None
        labels = _create_text_labels(classes, scores, self.metadata.get("thing_classes", None))
        keypoints = predictions.pred_keypoints if predictions.has("pred_keypoints") else None
        masks = predictions.pred_masks if predictions.has("pred_masks") else None

        colors = None
        if classes is not None:
            colors = [self._thing_color(c) for c in classes]
            if jittering and self._instance_mode == ColorMode.SEGMENTATION:
                colors = [self._jitter(c, i) for i, c in enumerate(colors)]
        alpha = 0.5
        if self._instance_mode == ColorMode.SEGMENTATION:
            alpha = 0.8
        if self._instance_mode == ColorMode.IMAGE_BW:
            alpha = 0.3
            h, w = self.img.shape[:2]
            keep = _masks_to_numpy(masks, h, w).any(axis=0) if masks is not None else None
            self.output.reset_image(self._create_grayscale_image(keep))
        return self.overlay_instances(
            boxes=boxes, labels=labels, masks=masks, keypoints=keypoints, assigned_colors=colors, alpha=alpha
        )

    def draw_dataset_dict(self, dic: dict) -> VisImage:
        """Draw the annotations, semantic map and panoptic map of a dict in Detectron2's dataset format.

        Boxes in `BoxMode.XYWHA_ABS` are drawn as rotated boxes, every other mode as XYXY boxes.
        """
        annos = dic.get("annotations", None)
        if annos:
            from detectra.structures import BoxMode

            boxes = None
            if "bbox" in annos[0]:
                boxes = np.array([
                    a["bbox"] if a.get("bbox_mode") == BoxMode.XYWHA_ABS
                    else BoxMode.convert(list(a["bbox"]), a.get("bbox_mode", BoxMode.XYWH_ABS), BoxMode.XYXY_ABS)
                    for a in annos
                ], dtype=np.float64)  # fmt: skip
            masks = [a["segmentation"] for a in annos] if "segmentation" in annos[0] else None
            keypoints = None
            if "keypoints" in annos[0]:
                keypoints = np.array([a["keypoints"] for a in annos], dtype=np.float64).reshape(len(annos), -1, 3)
            classes = [a["category_id"] for a in annos]
            colors = [self._thing_color(c) for c in classes]
            labels = _create_text_labels(
                classes, None, self.metadata.get("thing_classes", None), [a.get("iscrowd", 0) for a in annos]
            )
            self.overlay_instances(labels=labels, boxes=boxes, masks=masks, keypoints=keypoints, assigned_colors=colors)

        sem_seg = dic.get("sem_seg", None)
        if sem_seg is None and "sem_seg_file_name" in dic:
            sem_seg = np.asarray(Image.open(dic["sem_seg_file_name"]))
        if sem_seg is not None:
            self.draw_sem_seg(sem_seg, area_threshold=0, alpha=0.5)

        pan_seg = dic.get("pan_seg", None)
        if pan_seg is None and "pan_seg_file_name" in dic:
            rgb = np.asarray(Image.open(dic["pan_seg_file_name"]).convert("RGB")).astype(np.int64)
            pan_seg = rgb[:, :, 0] + 256 * rgb[:, :, 1] + 256 * 256 * rgb[:, :, 2]  # COCO panoptic id encoding
        if pan_seg is not None:
            self.draw_panoptic_seg(pan_seg, dic.get("segments_info"), area_threshold=0, alpha=0.5)
        return self.output

    def draw_sem_seg(self, sem_seg: Any, area_threshold: int | None = None, alpha: float = 0.8) -> VisImage:
        """Draw an (H, W) map of class indices, largest regions first, each with its class name.

        Labels outside `stuff_classes` (such as an ignore label of 255) are not drawn.
        """
        sem_seg = _as_numpy(sem_seg).astype(np.int64)
        labels, areas = np.unique(sem_seg, return_counts=True)
        stuff_classes = self.metadata.get("stuff_classes", None)
        for label in labels[np.argsort(-areas)]:
            if stuff_classes is not None and not 0 <= label < len(stuff_classes):
                continue
            text = stuff_classes[label] if stuff_classes is not None else str(label)
            self.draw_binary_mask(
                sem_seg == label, self._stuff_color(label), edge_color=_OFF_WHITE, text=text, alpha=alpha,
                area_threshold=area_threshold,
            )  # fmt: skip
        return self.output

    def draw_panoptic_seg(
        self,
        panoptic_seg: Any,
        segments_info: list[dict] | None,
        area_threshold: int | None = None,
        alpha: float = 0.7,
    ) -> VisImage:
        """Draw an (H, W) map of segment ids with its `segments_info` (id, category_id, isthing, score).

        `category_id` is the contiguous thing or stuff index, as panoptic models predict it. When
        `segments_info` is None, each id is read as `category * label_divisor + instance` (metadata's
        `label_divisor`, default 1000) and ids of `thing_dataset_id_to_contiguous_id` values are things.
        """
        pred = _PanopticPrediction(panoptic_seg, segments_info, self.metadata)
        if self._instance_mode == ColorMode.IMAGE_BW:
            self.output.reset_image(self._create_grayscale_image(pred.non_empty_mask()))

        self._draw_panoptic_stuff(pred, alpha, area_threshold, edge_color=_OFF_WHITE)

        things = list(pred.instance_masks())
        if things:
            masks = np.stack([m for m, _ in things])
            infos = [s for _, s in things]
            classes = [int(s["category_id"]) for s in infos]
            scores = [s["score"] for s in infos] if all("score" in s for s in infos) else None
            labels = _create_text_labels(
                classes, scores, self.metadata.get("thing_classes", None), [s.get("iscrowd", 0) for s in infos]
            )
            colors = [self._thing_color(c) for c in classes]
            self.overlay_instances(masks=masks, labels=labels, assigned_colors=colors, alpha=alpha)
        return self.output

    draw_panoptic_seg_predictions = draw_panoptic_seg  # Detectron2's older name

    def _draw_panoptic_stuff(
        self, pred: _PanopticPrediction, alpha: float, area_threshold: int | None, edge_color: Color | None = None
    ) -> None:
        """The stuff segments of a panoptic prediction, in their class colours and labelled with their class."""
        stuff_classes = self.metadata.get("stuff_classes", None)
        for mask, sinfo in pred.semantic_masks():
            cat = int(sinfo["category_id"])
            text = stuff_classes[cat] if stuff_classes and cat < len(stuff_classes) else str(cat)
            self.draw_binary_mask(
                mask, self._stuff_color(cat), edge_color=edge_color, text=text, alpha=alpha,
                area_threshold=area_threshold,
            )  # fmt: skip

    def overlay_instances(
        self,
        *,
        boxes: Any = None,
        labels: Sequence[str] | None = None,
        masks: Any = None,
        keypoints: Any = None,
        assigned_colors: Sequence[Color] | None = None,
        alpha: float = 0.5,
    ) -> VisImage:
        """Draw instances given as plain parts; every argument is optional but all given ones have length N.

        Args:
            boxes: Boxes, or (N, 4) XYXY_ABS tensor / array, in input-image coordinates; RotatedBoxes or (N, 5)
                XYWHA_ABS boxes are handed to `overlay_rotated_instances` (with labels and colours only).
            labels: N strings.
            masks: BitMasks, PolygonMasks, (N, H, W) tensor / array, or N polygon lists / RLE dicts / GenericMasks.
            keypoints: Keypoints or (N, K, 3) tensor / array of (x, y, score).
            assigned_colors: N colours; palette colours when None.
            alpha: mask opacity.
        """
        h, w = self.img.shape[:2]
        boxes_np = _boxes_to_numpy(boxes) if boxes is not None else None
        if boxes_np is not None and boxes_np.shape[1] == 5:
            return self.overlay_rotated_instances(boxes=boxes_np, labels=labels, assigned_colors=assigned_colors)
        masks_np = _masks_to_numpy(masks, h, w) if masks is not None else None
        if keypoints is not None and hasattr(keypoints, "tensor"):
            keypoints = keypoints.tensor
        kpts_np = _as_numpy(keypoints) if keypoints is not None else None
        if kpts_np is not None:  # (N, K, 3); N = 0 (nothing detected) has no K to infer
            kpts_np = kpts_np.reshape(len(kpts_np), -1, 3) if len(kpts_np) else kpts_np.reshape(0, 0, 3)
        counts = {len(x) for x in (boxes_np, masks_np, kpts_np, labels, assigned_colors) if x is not None}
        if len(counts) > 1:
            raise ValueError(f"overlay_instances got parts of different lengths {sorted(counts)}; all must be N.")
        num = counts.pop() if counts else 0
        if num == 0:
            return self.output
        colors = list(assigned_colors) if assigned_colors is not None else [class_color(i) for i in range(num)]

        # Largest first, so that small objects stay visible on top of large ones.
        if boxes_np is not None:
            areas = (boxes_np[:, 2] - boxes_np[:, 0]) * (boxes_np[:, 3] - boxes_np[:, 1])
        elif masks_np is not None:
            areas = masks_np.reshape(num, -1).sum(axis=1).astype(np.float64)
        else:
            areas = np.zeros(num)
        for i in np.argsort(-areas, kind="stable"):
            color = colors[i]
            if masks_np is not None:
                self.draw_binary_mask(masks_np[i], color, alpha=alpha, area_threshold=0)
            if boxes_np is not None:
                self.draw_box(boxes_np[i], edge_color=color)
            if labels is not None:
                self._draw_instance_label(labels[i], color, boxes_np, masks_np, i)
        if kpts_np is not None:
            for kpts in kpts_np:
                self.draw_and_connect_keypoints(kpts)
        return self.output

    def overlay_rotated_instances(
        self,
        boxes: Any = None,
        labels: Sequence[str] | None = None,
        assigned_colors: Sequence[Color] | None = None,
    ) -> VisImage:
        """Draw rotated boxes, largest first, each with its label along its top edge.

        Args:
            boxes: RotatedBoxes or (N, 5) XYWHA_ABS (cx, cy, w, h, angle in degrees CCW).
            labels: N strings or None.
            assigned_colors: N colours; random palette colours when None.
        """
        boxes_np = _boxes_to_numpy(boxes) if boxes is not None else np.zeros((0, 5))
        num = len(boxes_np)
        if num == 0:
            return self.output
        if boxes_np.shape[1] != 5:
            raise ValueError(f"overlay_rotated_instances needs (N, 5) XYWHA_ABS boxes, got shape {boxes_np.shape}.")
        for name, part in (("labels", labels), ("assigned_colors", assigned_colors)):
            if part is not None and len(part) != num:
                raise ValueError(f"overlay_rotated_instances got {len(part)} {name} for {num} boxes.")
        colors = list(assigned_colors) if assigned_colors is not None else [random_color(True, 1) for _ in range(num)]
        for i in np.argsort(-(boxes_np[:, 2] * boxes_np[:, 3]), kind="stable"):
            label = labels[i] if labels is not None else None
            self.draw_rotated_box_with_label(boxes_np[i], edge_color=colors[i], label=label)
        return self.output

    def draw_and_connect_keypoints(self, keypoints: Any) -> VisImage:
        """Draw one instance's (K, 3) keypoints (x, y, score) and the skeleton lines of
        `metadata.keypoint_connection_rules` ([(name_a, name_b, (r, g, b) in 0-255)]) between visible ones.

        With COCO keypoint names, the nose is also joined to the mid-shoulder and that to the mid-hip.
        """
        kpts = _as_numpy(keypoints).reshape(-1, 3)
        names = self.metadata.get("keypoint_names", None)
        visible: dict[Any, tuple[float, float]] = {}
        for idx, (x, y, score) in enumerate(kpts):
            if score > self.keypoint_threshold:
                visible[names[idx] if names else idx] = (float(x), float(y))
        for name_a, name_b, color in self.metadata.get("keypoint_connection_rules", None) or []:
            if name_a in visible and name_b in visible:
                (x0, y0), (x1, y1) = visible[name_a], visible[name_b]
                self.draw_line([x0, x1], [y0, y1], color=np.asarray(color) / 255.0)
        if "left_shoulder" in visible and "right_shoulder" in visible:
            (lx, ly), (rx, ry) = visible["left_shoulder"], visible["right_shoulder"]
            mid_shoulder = ((lx + rx) / 2, (ly + ry) / 2)
            if "nose" in visible:
                nx, ny = visible["nose"]
                self.draw_line([nx, mid_shoulder[0]], [ny, mid_shoulder[1]], color=_RED)
            if "left_hip" in visible and "right_hip" in visible:
                (lx, ly), (rx, ry) = visible["left_hip"], visible["right_hip"]
                self.draw_line([mid_shoulder[0], (lx + rx) / 2], [mid_shoulder[1], (ly + ry) / 2], color=_RED)
        # Discs after lines, so that a keypoint stays visible where skeleton lines meet.
        for x, y in visible.values():
            self.draw_circle((x, y), color=_RED)
        return self.output

    def get_output(self) -> VisImage:
        """The image drawn so far."""
        return self.output

    # ---- helpers -------------------------------------------------------------------------------------------

    def _thing_color(self, class_id: int) -> tuple[float, float, float]:
        thing_colors = self.metadata.get("thing_colors", None)
        if thing_colors and 0 <= class_id < len(thing_colors):
            return tuple(float(c) / 255.0 for c in thing_colors[class_id][:3])  # type: ignore[return-value]
        return tuple(float(c) for c in class_color(class_id))  # type: ignore[return-value]

    def _stuff_color(self, class_id: int) -> tuple[float, float, float]:
        stuff_colors = self.metadata.get("stuff_colors", None)
        if stuff_colors and 0 <= class_id < len(stuff_colors):
            return tuple(float(c) / 255.0 for c in stuff_colors[class_id][:3])  # type: ignore[return-value]
        return tuple(float(c) for c in class_color(class_id))  # type: ignore[return-value]

    @staticmethod
    def _jitter(color: Sequence[float], seed: int) -> tuple[float, float, float]:
        rng = np.random.default_rng(seed)  # deterministic: the same picture every time
        vec = rng.uniform(-0.5, 0.5, 3)
        vec = vec / np.linalg.norm(vec) * 0.5
        return tuple(np.clip(np.asarray(color) + vec, 0, 1).tolist())  # type: ignore[return-value]

    def _draw_instance_label(
        self, label: str, color: Color, boxes: np.ndarray | None, masks: np.ndarray | None, i: int
    ) -> None:
        if boxes is not None:
            x0, y0, x1, y1 = boxes[i]
            small = (x1 - x0) * (y1 - y0) * self._scale**2 < _SMALL_OBJECT_AREA_THRESH
            font_size = self._default_font_size
            # Above the box for small objects (so the label hides nothing), inside its top-left corner otherwise.
            pos = (x0, y0 - (font_size + 4) / self._scale) if small or y0 > y1 else (x0, y0)
        elif masks is not None and masks[i].any():
            ys, xs = np.nonzero(masks[i])
            pos = (float(np.median(xs)), float(np.median(ys)))
        else:
            return
        self.draw_text(label, pos, color=(1.0, 1.0, 1.0), background=darker(color, 0.5), horizontal_alignment="left")
