"""Draw predictions and annotations (boxes, masks, keypoints, semantic and panoptic segmentation) on images.

Drawing is done with PIL (no figure, no GUI backend) and numpy alpha blending: fast and headless.
"""

from __future__ import annotations

import functools
from enum import Enum, unique
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .colormap import class_color

__all__ = ["ColorMode", "VisImage", "Visualizer"]

_KEYPOINT_THRESHOLD = 0.05
_RED = (1.0, 0.0, 0.0)
_OFF_WHITE = (1.0, 1.0, 240.0 / 255)
_SMALL_OBJECT_AREA = 1000  # in pixels of the output image: labels of smaller objects go above the box


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


class VisImage:
    """An RGB image being drawn on, at `scale` times the size of the input image."""

    def __init__(self, img: np.ndarray, scale: float = 1.0):
        """
        Args:
            img: (H, W, 3) RGB image, uint8 in [0, 255] (floats are clipped and cast).
            scale: output size relative to the input.
        """
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"VisImage expects an (H, W, 3) RGB image, got shape {tuple(img.shape)}.")
        self.img = np.clip(img, 0, 255).astype(np.uint8)
        self.scale = scale
        h, w = self.img.shape[:2]
        self.width, self.height = max(int(round(w * scale)), 1), max(int(round(h * scale)), 1)
        pil = Image.fromarray(self.img)
        if (self.width, self.height) != (w, h):
            pil = pil.resize((self.width, self.height), Image.BILINEAR)
        self.canvas = pil

    def get_image(self) -> np.ndarray:
        """The drawing as an (H * scale, W * scale, 3) uint8 RGB array."""
        return np.asarray(self.canvas).copy()

    def save(self, filepath: str | Path) -> None:
        """Write the drawing; the format follows the extension (.png, .jpg, ...)."""
        path = Path(filepath)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.canvas.save(path)


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _to_rgb255(color: Sequence[float]) -> tuple[int, int, int]:
    return tuple(int(round(float(c) * 255)) for c in color[:3])  # type: ignore[return-value]


def _darker(color: Sequence[float], factor: float = 0.6) -> tuple[float, float, float]:
    return tuple(float(c) * factor for c in color[:3])  # type: ignore[return-value]


def _as_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _boxes_to_numpy(boxes: Any) -> np.ndarray:
    """Boxes, RotatedBoxes-free tensors or arrays -> (N, 4) float XYXY."""
    if hasattr(boxes, "tensor"):
        boxes = boxes.tensor
    return _as_numpy(boxes).reshape(-1, 4).astype(np.float64)


def _masks_to_numpy(masks: Any, height: int, width: int) -> np.ndarray:
    """BitMasks / PolygonMasks / (N, H, W) tensors or arrays / lists of polygon lists -> (N, H, W) bool."""
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
        if isinstance(m, (torch.Tensor, np.ndarray)) and _as_numpy(m).ndim == 2:
            out.append(_as_numpy(m).astype(bool))
        elif isinstance(m, dict):  # RLE
            rle = mask_util.frPyObjects(m, height, width) if isinstance(m["counts"], list) else m
            out.append(mask_util.decode(rle).astype(bool))
        else:  # list of polygons, each a flat [x0, y0, x1, y1, ...]
            polys = [np.asarray(p, dtype=np.float64).ravel().tolist() for p in m]
            rle = mask_util.merge(mask_util.frPyObjects(polys, height, width))
            out.append(mask_util.decode(rle).astype(bool))
    return np.stack(out) if out else np.zeros((0, height, width), bool)


def _mask_edges(mask: np.ndarray) -> np.ndarray:
    """Pixels of `mask` with at least one 4-neighbour outside it (a 1-pixel outline, no OpenCV needed)."""
    padded = np.pad(mask, 1, constant_values=False)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~interior


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


class Visualizer:
    """Draws on a copy of an RGB image; every `draw_*` returns the `VisImage` (also `get_output()`)."""

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

    # ---- high-level drawing -------------------------------------------------------------------------------

    def draw_instance_predictions(self, predictions: Any, jittering: bool = False) -> VisImage:
        """Draw a model's `Instances` (pred_boxes, scores, pred_classes, pred_masks, pred_keypoints; all optional).

        Args:
            predictions: Instances in the coordinates of the input image.
            jittering: vary the class colour slightly per instance, to tell touching objects of one class apart.
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
            if jittering:
                colors = [self._jitter(c, i) for i, c in enumerate(colors)]
        alpha = 0.5
        if self._instance_mode == ColorMode.SEGMENTATION:
            alpha = 0.8
        if self._instance_mode == ColorMode.IMAGE_BW:
            alpha = 0.3
            if masks is not None:
                h, w = self.img.shape[:2]
                self._grey_out(_masks_to_numpy(masks, h, w).any(axis=0))
        return self.overlay_instances(
            boxes=boxes, labels=labels, masks=masks, keypoints=keypoints, assigned_colors=colors, alpha=alpha
        )

    def draw_dataset_dict(self, dic: dict) -> VisImage:
        """Draw the annotations, semantic map and panoptic map of a dict in Detectron2's dataset format."""
        annos = dic.get("annotations", None)
        if annos:
            from detectra.structures import BoxMode

            boxes = None
            if "bbox" in annos[0]:
                boxes = np.array(
                    [BoxMode.convert(list(a["bbox"]), a.get("bbox_mode", BoxMode.XYWH_ABS), BoxMode.XYXY_ABS)
                     for a in annos]  # fmt: skip
                )
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
        stuff_colors = self.metadata.get("stuff_colors", None)
        for label in labels[np.argsort(-areas)]:
            if stuff_classes is not None and not 0 <= label < len(stuff_classes):
                continue
            color = np.asarray(stuff_colors[label]) / 255.0 if stuff_colors else class_color(label)
            text = stuff_classes[label] if stuff_classes is not None else str(label)
            self.draw_binary_mask(
                sem_seg == label, color, edge_color=_OFF_WHITE, text=text, alpha=alpha, area_threshold=area_threshold
            )
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
        pan = _as_numpy(panoptic_seg).astype(np.int64)
        if segments_info is None:
            divisor = self.metadata.get("label_divisor", 1000)
            thing_ids = set(self.metadata.get("thing_dataset_id_to_contiguous_id", {}).values())
            segments_info = [
                {"id": int(i), "category_id": int(i) // divisor, "isthing": int(i) // divisor in thing_ids}
                for i in np.unique(pan)
                if i >= 0
            ]
        segments = sorted(segments_info, key=lambda s: -int((pan == s["id"]).sum()))
        if self._instance_mode == ColorMode.IMAGE_BW:
            self._grey_out(np.isin(pan, [s["id"] for s in segments if s.get("isthing", False)]))

        stuff_classes = self.metadata.get("stuff_classes", None)
        stuff_colors = self.metadata.get("stuff_colors", None)
        for seg in segments:
            if seg.get("isthing", False):
                continue
            cat = int(seg["category_id"])
            color = np.asarray(stuff_colors[cat]) / 255.0 if stuff_colors else class_color(cat)
            text = stuff_classes[cat] if stuff_classes and cat < len(stuff_classes) else str(cat)
            self.draw_binary_mask(
                pan == seg["id"], color, edge_color=_OFF_WHITE, text=text, alpha=alpha, area_threshold=area_threshold
            )

        things = [s for s in segments if s.get("isthing", False)]
        if things:
            masks = np.stack([pan == s["id"] for s in things])
            classes = [int(s["category_id"]) for s in things]
            scores = [s["score"] for s in things] if all("score" in s for s in things) else None
            labels = _create_text_labels(classes, scores, self.metadata.get("thing_classes", None))
            colors = [self._thing_color(c) for c in classes]
            self.overlay_instances(masks=masks, labels=labels, assigned_colors=colors, alpha=alpha)
        return self.output

    def overlay_instances(
        self,
        *,
        boxes: Any = None,
        labels: Sequence[str] | None = None,
        masks: Any = None,
        keypoints: Any = None,
        assigned_colors: Sequence[Sequence[float]] | None = None,
        alpha: float = 0.5,
    ) -> VisImage:
        """Draw instances given as plain parts; every argument is optional but all given ones have length N.

        Args:
            boxes: Boxes, or (N, 4) XYXY_ABS tensor / array, in input-image coordinates.
            labels: N strings.
            masks: BitMasks, PolygonMasks, (N, H, W) tensor / array, or N polygon lists / RLE dicts.
            keypoints: Keypoints or (N, K, 3) tensor / array of (x, y, score).
            assigned_colors: N RGB colours in [0, 1]; palette colours when None.
            alpha: mask opacity.
        """
        h, w = self.img.shape[:2]
        boxes_np = _boxes_to_numpy(boxes) if boxes is not None else None
        masks_np = _masks_to_numpy(masks, h, w) if masks is not None else None
        if keypoints is not None and hasattr(keypoints, "tensor"):
            keypoints = keypoints.tensor
        kpts_np = _as_numpy(keypoints).reshape(len(keypoints), -1, 3) if keypoints is not None else None
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

    def draw_and_connect_keypoints(self, keypoints: Any) -> VisImage:
        """Draw one instance's (K, 3) keypoints (x, y, score) and the skeleton lines of
        `metadata.keypoint_connection_rules` ([(name_a, name_b, (r, g, b) in 0-255)]) between visible ones."""
        kpts = _as_numpy(keypoints).reshape(-1, 3)
        names = self.metadata.get("keypoint_names", None)
        visible: dict[Any, tuple[float, float]] = {}
        for idx, (x, y, score) in enumerate(kpts):
            if score > _KEYPOINT_THRESHOLD:
                visible[names[idx] if names else idx] = (float(x), float(y))
        for name_a, name_b, color in self.metadata.get("keypoint_connection_rules", None) or []:
            if name_a in visible and name_b in visible:
                self.draw_line(visible[name_a], visible[name_b], color=np.asarray(color) / 255.0)
        for x, y in visible.values():
            self.draw_circle((x, y), color=_RED)
        return self.output

    # ---- primitives (coordinates in the input image) -------------------------------------------------------

    def draw_box(self, box: Sequence[float], edge_color: Sequence[float] = (0.0, 1.0, 0.0)) -> VisImage:
        """Outline an XYXY box."""
        x0, y0, x1, y1 = (float(v) * self._scale for v in box)
        draw = ImageDraw.Draw(self.output.canvas)
        draw.rectangle([x0, y0, max(x1, x0), max(y1, y0)], outline=_to_rgb255(edge_color), width=self._line_width)
        return self.output

    def draw_line(self, p0: Sequence[float], p1: Sequence[float], color: Sequence[float]) -> VisImage:
        """A segment between two points."""
        s = self._scale
        draw = ImageDraw.Draw(self.output.canvas)
        draw.line([(p0[0] * s, p0[1] * s), (p1[0] * s, p1[1] * s)], fill=_to_rgb255(color), width=self._line_width)
        return self.output

    def draw_circle(self, center: Sequence[float], color: Sequence[float], radius: float | None = None) -> VisImage:
        """A filled disc."""
        r = radius if radius is not None else max(self._line_width * 1.5, 2.0)
        x, y = center[0] * self._scale, center[1] * self._scale
        ImageDraw.Draw(self.output.canvas).ellipse([x - r, y - r, x + r, y + r], fill=_to_rgb255(color))
        return self.output

    def draw_text(
        self,
        text: str,
        position: Sequence[float],
        *,
        font_size: int | None = None,
        color: Sequence[float] = (1.0, 1.0, 1.0),
        background: Sequence[float] | None = (0.0, 0.0, 0.0),
        horizontal_alignment: str = "left",
    ) -> VisImage:
        """Text with its top-left (or top-centre) corner at `position`, on a filled background box."""
        font = _font(font_size or self._default_font_size)
        draw = ImageDraw.Draw(self.output.canvas)
        x, y = position[0] * self._scale, position[1] * self._scale
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        if horizontal_alignment == "center":
            x -= (right - left) / 2
        x = min(max(x, 0), max(self.output.width - (right - left) - 2, 0))
        y = min(max(y, 0), max(self.output.height - (bottom - top) - 2, 0))
        if background is not None:
            draw.rectangle([x, y, x + right - left + 2, y + bottom - top + 2], fill=_to_rgb255(background))
        draw.text((x + 1 - left, y + 1 - top), text, font=font, fill=_to_rgb255(color))
        return self.output

    def draw_binary_mask(
        self,
        binary_mask: Any,
        color: Sequence[float] | None = None,
        *,
        edge_color: Sequence[float] | None = None,
        text: str | None = None,
        alpha: float = 0.5,
        area_threshold: int | None = 10,
    ) -> VisImage:
        """Blend an (H, W) mask over the image with opacity `alpha`, outline it, optionally label its centre.

        Masks with fewer than `area_threshold` pixels are skipped.
        """
        mask = _as_numpy(binary_mask).astype(bool)
        if area_threshold is not None and mask.sum() < max(area_threshold, 1):
            return self.output
        color = tuple(color) if color is not None else tuple(class_color(0))
        if self._scale != 1.0:
            mask = np.asarray(
                Image.fromarray(mask.astype(np.uint8) * 255).resize(
                    (self.output.width, self.output.height), Image.NEAREST
                )
            ).astype(bool)
        canvas = np.asarray(self.output.canvas).astype(np.float32)
        rgb = np.asarray(_to_rgb255(color), dtype=np.float32)
        canvas[mask] = canvas[mask] * (1.0 - alpha) + rgb * alpha
        edge = _mask_edges(mask)
        canvas[edge] = np.asarray(_to_rgb255(edge_color if edge_color is not None else _darker(color)), np.float32)
        self.output.canvas = Image.fromarray(canvas.round().astype(np.uint8))
        if text is not None:
            ys, xs = np.nonzero(mask)
            # The median pixel lies inside the mask for convex-ish shapes; good enough for a label.
            cx, cy = float(np.median(xs)) / self._scale, float(np.median(ys)) / self._scale
            self.draw_text(text, (cx, cy), color=(1.0, 1.0, 1.0), background=_darker(color, 0.5),
                           horizontal_alignment="center")  # fmt: skip
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

    @staticmethod
    def _jitter(color: Sequence[float], seed: int) -> tuple[float, float, float]:
        rng = np.random.default_rng(seed)  # deterministic: the same picture every time
        vec = rng.uniform(-0.5, 0.5, 3)
        vec = vec / np.linalg.norm(vec) * 0.5
        return tuple(np.clip(np.asarray(color) + vec, 0, 1).tolist())  # type: ignore[return-value]

    def _grey_out(self, keep: np.ndarray) -> None:
        """Turn every pixel outside `keep` (H, W of the input) grey."""
        grey = np.asarray(self.output.canvas.convert("L").convert("RGB"))
        canvas = np.asarray(self.output.canvas).copy()
        if self._scale != 1.0:
            keep = np.asarray(
                Image.fromarray(keep.astype(np.uint8) * 255).resize(
                    (self.output.width, self.output.height), Image.NEAREST
                )
            ).astype(bool)
        canvas[~keep] = grey[~keep]
        self.output.canvas = Image.fromarray(canvas)

    def _draw_instance_label(
        self, label: str, color: Sequence[float], boxes: np.ndarray | None, masks: np.ndarray | None, i: int
    ) -> None:
        if boxes is not None:
            x0, y0, x1, y1 = boxes[i]
            small = (x1 - x0) * (y1 - y0) * self._scale**2 < _SMALL_OBJECT_AREA
            font_size = self._default_font_size
            # Above the box for small objects (so the label hides nothing), inside its top-left corner otherwise.
            pos = (x0, y0 - (font_size + 4) / self._scale) if small or y0 > y1 else (x0, y0)
        elif masks is not None and masks[i].any():
            ys, xs = np.nonzero(masks[i])
            pos = (float(np.median(xs)), float(np.median(ys)))
        else:
            return
        self.draw_text(label, pos, color=(1.0, 1.0, 1.0), background=_darker(color, 0.5))
