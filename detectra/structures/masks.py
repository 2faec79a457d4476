"""Instance masks: dense `BitMasks`, COCO-style `PolygonMasks`, and per-ROI `ROIMasks`."""
import copy
import itertools
import warnings
from typing import Any, Iterator, List, Union

import numpy as np
import pycocotools.mask as mask_util
import torch

from detectra.layers.mask_ops import paste_masks_in_image
from detectra.layers.roi_align import ROIAlign

from ._checks import check_cat_list
from .boxes import Boxes

__all__ = ["BitMasks", "PolygonMasks", "ROIMasks", "polygons_to_bitmask", "polygon_area", "rasterize_polygons_within_box"]


def polygon_area(x: np.ndarray, y: np.ndarray) -> float:
    """Area of one simple polygon from its vertex coordinates (shoelace formula)."""
    return 0.5 * np.abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


_FAR_FACTOR = 4  # a polygon reaching past 4 canvas sizes is clipped before rasterizing


def _clip_half_plane(xy: np.ndarray, axis: int, bound: float, keep_below: bool) -> np.ndarray:
    """The part of polygon ``xy`` (N x 2) on one side of the line ``xy[:, axis] == bound`` (Sutherland-Hodgman)."""
    if len(xy) == 0:
        return xy
    side = bound - xy[:, axis] if keep_below else xy[:, axis] - bound  # >= 0: kept
    nxt, side_next = np.roll(xy, -1, axis=0), np.roll(side, -1)
    crossing = (side >= 0) != (side_next >= 0)
    t = np.where(crossing, side / np.where(crossing, side - side_next, 1.0), 0.0)
    cross = xy + t[:, None] * (nxt - xy)
    cross[crossing, axis] = bound
    # each edge cur -> next gives its crossing point (if any), then next (if kept)
    points = np.stack([cross, nxt], axis=1)
    keep = np.stack([crossing, side_next >= 0], axis=1)
    return points[keep]


def _clip_to_canvas(polygon: np.ndarray, height: int, width: int) -> np.ndarray:
    """Flat polygon cut to [-1, width + 1] x [-1, height + 1]; what lies on the canvas is unchanged."""
    xy = polygon[: len(polygon) // 2 * 2].reshape(-1, 2)
    for axis, low, high in ((0, -1.0, width + 1.0), (1, -1.0, height + 1.0)):
        xy = _clip_half_plane(xy, axis, low, keep_below=False)
        xy = _clip_half_plane(xy, axis, high, keep_below=True)
    return xy.reshape(-1)


def polygons_to_bitmask(polygons: List[np.ndarray], height: int, width: int) -> np.ndarray:
    """Rasterise one instance's polygons (their union) with the COCO mask API.

    Args:
        polygons: each a flat array [x0, y0, x1, y1, ...].
        height, width: output size.

    Returns:
        ndarray[height, width] bool.
    """
    polygons = [np.asarray(p, dtype=np.float64) for p in polygons]
    # pycocotools walks every polygon edge in 1/5-pixel steps, off the canvas too: memory grows with the
    # coordinates (1e6 costs ~0.5 GB). Far-out polygons are cut to the canvas first, which keeps its pixels.
    far = _FAR_FACTOR * max(height, width, 1)
    if any(len(p) and (p.max() > far or p.min() < -far) for p in polygons):
        polygons = [c for c in (_clip_to_canvas(p, height, width) for p in polygons) if len(c) >= 6]
    if len(polygons) == 0:
        return np.zeros((height, width)).astype(bool)
    rles = mask_util.frPyObjects(polygons, height, width)
    rle = mask_util.merge(rles)
    with warnings.catch_warnings():
        # pycocotools' Cython decode trips numpy 2's __array__(copy=...) deprecation; harmless
        warnings.simplefilter("ignore", DeprecationWarning)
        return mask_util.decode(rle).astype(bool)


def rasterize_polygons_within_box(polygons: List[np.ndarray], box: np.ndarray, mask_size: int) -> torch.Tensor:
    """Crop one instance's polygons to `box` and rasterise them at mask_size x mask_size.

    This is how Detectron2 builds mask-head targets from polygon annotations: the polygons are shifted to the box
    origin and scaled so that the box maps onto the M x M grid, then rasterised exactly (no resampling of a bitmap).

    Args:
        polygons: each a flat array [x0, y0, ...] in image coordinates.
        box (ndarray[4]): XYXY_ABS.
        mask_size: M.

    Returns:
        Tensor[M, M] bool.
    """
    w, h = box[2] - box[0], box[3] - box[1]
    polygons = copy.deepcopy(polygons)
    for p in polygons:
        p[0::2] = p[0::2] - box[0]
        p[1::2] = p[1::2] - box[1]

    ratio_h = mask_size / max(h, 0.1)
    ratio_w = mask_size / max(w, 0.1)
    if ratio_h == ratio_w:
        for p in polygons:
            p *= ratio_h
    else:
        for p in polygons:
            p[0::2] *= ratio_w
            p[1::2] *= ratio_h
    mask = polygons_to_bitmask(polygons, mask_size, mask_size)
    return torch.from_numpy(mask)


class BitMasks:
    """N dense masks of one image, stored as Tensor[N, H, W] bool.

    Attributes:
        tensor (Tensor[N, H, W] bool).
        image_size: (H, W).
    """

    def __init__(self, tensor: Union[torch.Tensor, np.ndarray]):
        if isinstance(tensor, torch.Tensor):
            tensor = tensor.to(torch.bool)
        else:
            tensor = torch.as_tensor(tensor, dtype=torch.bool, device=torch.device("cpu"))
        if tensor.dim() != 3:
            raise ValueError(f"BitMasks expects a Tensor of shape (N, H, W), got {tuple(tensor.shape)}.")
        self.image_size = tensor.shape[1:]
        self.tensor = tensor

    @torch.jit.unused
    def to(self, *args: Any, **kwargs: Any) -> "BitMasks":
        return BitMasks(self.tensor.to(*args, **kwargs))

    @property
    def device(self) -> torch.device:
        return self.tensor.device

    @torch.jit.unused
    def __getitem__(self, item) -> "BitMasks":
        """Index with an int, slice, bool mask or index tensor; always returns `BitMasks`."""
        if isinstance(item, int):
            return BitMasks(self.tensor[item].unsqueeze(0))
        m = self.tensor[item]
        if m.dim() != 3:
            raise IndexError(f"Indexing BitMasks with {item!r} returned shape {tuple(m.shape)}, not (K, H, W).")
        return BitMasks(m)

    @torch.jit.unused
    def __iter__(self) -> Iterator[torch.Tensor]:
        yield from self.tensor

    @torch.jit.unused
    def __repr__(self) -> str:
        return self.__class__.__name__ + f"(num_instances={len(self.tensor)})"

    def __len__(self) -> int:
        return self.tensor.shape[0]

    def nonempty(self) -> torch.Tensor:
        """Returns Tensor[N] bool: True where the mask has any pixel set."""
        return self.tensor.flatten(1).any(dim=1)

    def area(self) -> torch.Tensor:
        """Returns Tensor[N]: number of pixels set in each mask."""
        return self.tensor.sum(dim=(1, 2))

    @staticmethod
    def from_polygon_masks(
        polygon_masks: Union["PolygonMasks", List[List[np.ndarray]]], height: int, width: int
    ) -> "BitMasks":
        """Rasterise polygons into an image of (height, width)."""
        if isinstance(polygon_masks, PolygonMasks):
            polygon_masks = polygon_masks.polygons
        masks = [polygons_to_bitmask(p, height, width) for p in polygon_masks]
        if len(masks):
            return BitMasks(torch.stack([torch.from_numpy(x) for x in masks]))
        return BitMasks(torch.empty(0, height, width, dtype=torch.bool))

    @staticmethod
    def from_roi_masks(
        roi_masks: "ROIMasks", height: int, width: int, boxes: Union[Boxes, torch.Tensor, None] = None
    ) -> "BitMasks":
        """Paste per-ROI masks into an image of (height, width); see `ROIMasks.to_bitmasks`.

        Args:
            boxes (Boxes or Tensor[N, 4], optional): where each mask goes; None means the whole image.
        """
        if boxes is None:
            boxes = roi_masks.tensor.new_tensor([[0.0, 0.0, float(width), float(height)]]).expand(len(roi_masks), 4)
        return roi_masks.to_bitmasks(boxes, height, width)

    def crop_and_resize(self, boxes: torch.Tensor, mask_size: int) -> torch.Tensor:
        """Crop each mask to its box and resize it to mask_size x mask_size (mask-head targets).

        Uses RoIAlign (aligned=True) on the float masks and thresholds at 0.5, as Detectron2 does.

        Args:
            boxes (Tensor[N, 4]): XYXY_ABS, one per mask.
            mask_size: M.

        Returns:
            Tensor[N, M, M] bool.
        """
        if len(boxes) != len(self):
            raise ValueError(f"crop_and_resize got {len(boxes)} boxes for {len(self)} masks.")
        device = self.tensor.device
        batch_inds = torch.arange(len(boxes), device=device).to(dtype=boxes.dtype)[:, None]
        rois = torch.cat([batch_inds, boxes.to(device=device)], dim=1)  # (N, 5)
        bit_masks = self.tensor.to(dtype=torch.float32)
        rois = rois.to(dtype=torch.float32)
        output = ROIAlign((mask_size, mask_size), 1.0, 0, aligned=True)(bit_masks[:, None, :, :], rois).squeeze(1)
        return output >= 0.5

    def get_bounding_boxes(self) -> Boxes:
        """Tight boxes around each mask, (x0, y0, x1 + 1, y1 + 1) in pixel-index terms; all-zero for empty masks.

        (Not `torchvision.ops.masks_to_boxes`: it uses inclusive max coordinates and fails on empty masks.)
        """
        n, h, w = self.tensor.shape
        boxes = torch.zeros(n, 4, dtype=torch.float32, device=self.tensor.device)
        if n == 0:
            return Boxes(boxes)
        x_any = self.tensor.any(dim=1)  # (N, W)
        y_any = self.tensor.any(dim=2)  # (N, H)
        nonempty = x_any.any(dim=1)
        x0 = x_any.to(torch.uint8).argmax(dim=1)
        x1 = w - x_any.flip(1).to(torch.uint8).argmax(dim=1)
        y0 = y_any.to(torch.uint8).argmax(dim=1)
        y1 = h - y_any.flip(1).to(torch.uint8).argmax(dim=1)
        stacked = torch.stack([x0, y0, x1, y1], dim=1).to(torch.float32)
        boxes[nonempty] = stacked[nonempty]
        return Boxes(boxes)

    @staticmethod
    def cat(bitmasks_list: List["BitMasks"]) -> "BitMasks":
        """Concatenate BitMasks of the same image size."""
        check_cat_list(bitmasks_list, BitMasks)
        return type(bitmasks_list[0])(torch.cat([bm.tensor for bm in bitmasks_list], dim=0))


def _make_polygon_array(t: Any, where: str) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.cpu().numpy()
    arr = np.asarray(t).astype("float64")
    if arr.ndim != 1 or len(arr) % 2 != 0 or len(arr) < 6:
        raise ValueError(
            f"PolygonMasks: {where} has shape {arr.shape}; a polygon is a flat list [x0, y0, x1, y1, ...] of at "
            "least 3 points (6 numbers)."
        )
    return arr


class PolygonMasks:
    """N instance masks as COCO-style polygons.

    Attributes:
        polygons (list[list[ndarray]]): per instance, a list of flat float64 arrays [x0, y0, x1, y1, ...].
    """

    def __init__(self, polygons: List[List[Union[torch.Tensor, np.ndarray, List[float]]]]):
        if not isinstance(polygons, list):
            raise ValueError(
                "Cannot create PolygonMasks: expected a list of lists of polygons (one list per instance), got "
                f"{type(polygons).__name__}."
            )
        processed = []
        for i, per_instance in enumerate(polygons):
            if not isinstance(per_instance, (list, tuple)):
                raise ValueError(
                    f"Cannot create PolygonMasks: instance {i} is a {type(per_instance).__name__}; each instance "
                    "must be a list of polygons."
                )
            processed.append([_make_polygon_array(p, f"polygon {j} of instance {i}") for j, p in enumerate(per_instance)])
        self.polygons: List[List[np.ndarray]] = processed

    def to(self, *args: Any, **kwargs: Any) -> "PolygonMasks":
        return self  # polygons stay on the CPU

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def get_bounding_boxes(self) -> Boxes:
        """Tight boxes around each instance's polygons."""
        boxes = torch.zeros(len(self.polygons), 4, dtype=torch.float32)
        for idx, per_instance in enumerate(self.polygons):
            if len(per_instance) == 0:
                continue
            coords = np.concatenate(per_instance).reshape(-1, 2)
            boxes[idx, :2] = torch.from_numpy(coords.min(axis=0)).to(torch.float32)
            boxes[idx, 2:] = torch.from_numpy(coords.max(axis=0)).to(torch.float32)
        return Boxes(boxes)

    def nonempty(self) -> torch.Tensor:
        """Returns Tensor[N] bool: True where the instance has at least one polygon."""
        return torch.tensor([len(p) > 0 for p in self.polygons], dtype=torch.bool)

    def __getitem__(self, item: Union[int, slice, List[int], torch.Tensor]) -> "PolygonMasks":
        """Index with an int, slice, list of ints, bool mask or index tensor; always returns `PolygonMasks`."""
        if isinstance(item, int):
            selected = [self.polygons[item]]
        elif isinstance(item, slice):
            selected = self.polygons[item]
        elif isinstance(item, list):
            selected = [self.polygons[i] for i in item]
        elif isinstance(item, (torch.Tensor, np.ndarray)):
            item = torch.as_tensor(item)
            if item.dtype == torch.bool:
                if item.dim() != 1 or len(item) != len(self):
                    raise IndexError(f"PolygonMasks bool index has shape {tuple(item.shape)}, expected ({len(self)},).")
                item = item.nonzero().squeeze(1).cpu().numpy().tolist()
            elif item.dtype in (torch.int32, torch.int64):
                item = item.reshape(-1).cpu().numpy().tolist()
            else:
                raise IndexError(f"Unsupported tensor dtype {item.dtype} for indexing PolygonMasks.")
            selected = [self.polygons[i] for i in item]
        else:
            raise IndexError(f"Unsupported index type {type(item).__name__} for PolygonMasks.")
        return PolygonMasks(selected)

    def __iter__(self) -> Iterator[List[np.ndarray]]:
        return iter(self.polygons)

    def __repr__(self) -> str:
        return self.__class__.__name__ + f"(num_instances={len(self.polygons)})"

    def __len__(self) -> int:
        return len(self.polygons)

    def crop_and_resize(self, boxes: torch.Tensor, mask_size: int) -> torch.Tensor:
        """Rasterise each instance's polygons inside its box at mask_size x mask_size (mask-head targets).

        Args:
            boxes (Tensor[N, 4]): XYXY_ABS, one per instance.
            mask_size: M.

        Returns:
            Tensor[N, M, M] bool, on `boxes`' device.
        """
        if len(boxes) != len(self):
            raise ValueError(f"crop_and_resize got {len(boxes)} boxes for {len(self)} instances.")
        device = boxes.device
        boxes_np = boxes.detach().to(device="cpu", dtype=torch.float64).numpy()
        results = [rasterize_polygons_within_box(p, b, mask_size) for p, b in zip(self.polygons, boxes_np)]
        if len(results) == 0:
            return torch.empty(0, mask_size, mask_size, dtype=torch.bool, device=device)
        return torch.stack(results, dim=0).to(device=device)

    def area(self) -> torch.Tensor:
        """Area of each instance: the sum of its polygons' shoelace areas (overlaps counted twice, as Detectron2).

        Returns:
            Tensor[N] float32.
        """
        areas = [sum(float(polygon_area(p[0::2], p[1::2])) for p in per_instance) for per_instance in self.polygons]
        return torch.tensor(areas, dtype=torch.float32)

    @staticmethod
    def cat(polymasks_list: List["PolygonMasks"]) -> "PolygonMasks":
        """Concatenate PolygonMasks."""
        check_cat_list(polymasks_list, PolygonMasks)
        return type(polymasks_list[0])(list(itertools.chain.from_iterable(pm.polygons for pm in polymasks_list)))


class ROIMasks:
    """Per-ROI mask predictions, Tensor[N, M, M], before pasting into the image."""

    def __init__(self, tensor: torch.Tensor):
        if tensor.dim() != 3:
            raise ValueError(f"ROIMasks expects a Tensor of shape (N, M, M), got {tuple(tensor.shape)}.")
        self.tensor = tensor

    def to(self, device: torch.device) -> "ROIMasks":
        return ROIMasks(self.tensor.to(device))

    @property
    def device(self) -> torch.device:
        return self.tensor.device

    def __len__(self) -> int:
        return self.tensor.shape[0]

    def __getitem__(self, item) -> "ROIMasks":
        t = self.tensor[item]
        if t.dim() != 3:
            raise IndexError(f"Indexing ROIMasks with {item!r} returned shape {tuple(t.shape)}, not (K, M, M).")
        return ROIMasks(t)

    @torch.jit.unused
    def __repr__(self) -> str:
        return self.__class__.__name__ + f"(num_instances={len(self.tensor)})"

    @torch.jit.unused
    def to_bitmasks(self, boxes: Union[Boxes, torch.Tensor], height: int, width: int, threshold: float = 0.5) -> BitMasks:
        """Paste each mask into its box in a (height, width) image; see `paste_masks_in_image`."""
        if isinstance(boxes, Boxes):
            boxes = boxes.tensor
        return BitMasks(paste_masks_in_image(self.tensor, boxes, (height, width), threshold=threshold))
