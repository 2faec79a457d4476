"""`Keypoints` and the conversions between keypoints and the keypoint head's heatmaps."""
from typing import Any, List, Union

import numpy as np
import torch
import torch.nn.functional as F

from ._checks import check_cat_list

__all__ = ["Keypoints", "heatmaps_to_keypoints"]


class Keypoints:
    """Keypoints of N instances, Tensor[N, K, 3] of (x, y, visibility) in image coordinates.

    Visibility follows COCO: 0 = not labeled, 1 = labeled but not visible, 2 = visible. Horizontal flips are the
    transforms' job (they reorder K with the dataset's ``keypoint_flip_map`` indices); this class is layout-agnostic.
    """

    def __init__(self, keypoints: Union[torch.Tensor, np.ndarray, List[List[float]]]):
        device = keypoints.device if isinstance(keypoints, torch.Tensor) else torch.device("cpu")
        keypoints = torch.as_tensor(keypoints, dtype=torch.float32, device=device)
        if keypoints.dim() != 3 or keypoints.shape[2] != 3:
            raise ValueError(f"Keypoints expects a Tensor of shape (N, K, 3), got {tuple(keypoints.shape)}.")
        self.tensor = keypoints

    def __len__(self) -> int:
        return self.tensor.size(0)

    def to(self, *args: Any, **kwargs: Any) -> "Keypoints":
        return type(self)(self.tensor.to(*args, **kwargs))

    @property
    def device(self) -> torch.device:
        return self.tensor.device

    def to_heatmap(self, boxes: torch.Tensor, heatmap_size: int):
        """Keypoint-head targets: see `_keypoints_to_heatmap`.

        Args:
            boxes (Tensor[N, 4]): XYXY_ABS ROIs, one per instance.
            heatmap_size: side of the square heatmap.

        Returns:
            heatmaps (Tensor[N, K] int64): flat index ``y * heatmap_size + x`` of each keypoint (0 where invalid).
            valid (Tensor[N, K] int64): 1 where the keypoint is visible and inside the ROI.
        """
        return _keypoints_to_heatmap(self.tensor, boxes, heatmap_size)

    def __getitem__(self, item) -> "Keypoints":
        """Index with an int, slice, bool mask or index tensor; always returns `Keypoints`."""
        if isinstance(item, int):
            return Keypoints(self.tensor[item].unsqueeze(0))
        return Keypoints(self.tensor[item])

    def __repr__(self) -> str:
        return self.__class__.__name__ + f"(num_instances={len(self.tensor)})"

    @staticmethod
    def cat(keypoints_list: List["Keypoints"]) -> "Keypoints":
        """Concatenate Keypoints with the same K."""
        check_cat_list(keypoints_list, Keypoints)
        return type(keypoints_list[0])(torch.cat([k.tensor for k in keypoints_list], dim=0))


def _keypoints_to_heatmap(keypoints: torch.Tensor, rois: torch.Tensor, heatmap_size: int):
    """Discretise keypoints into the heatmap cells of their ROIs (Detectron2's mapping).

    A keypoint at image x maps to cell ``floor((x - x0) * heatmap_size / (x1 - x0))``: continuous coordinates with
    the Heckbert convention, pixel i covering [i, i + 1). A keypoint exactly on the ROI's right/bottom edge goes to
    the last cell instead of falling outside.

    Args:
        keypoints (Tensor[N, K, 3]): (x, y, visibility).
        rois (Tensor[N, 4]): XYXY_ABS.
        heatmap_size: side of the heatmap.

    Returns:
        heatmaps (Tensor[N, K] int64), valid (Tensor[N, K] int64); see `Keypoints.to_heatmap`.
    """
    if rois.numel() == 0:
        return rois.new().long(), rois.new().long()
    offset_x = rois[:, 0][:, None]
    offset_y = rois[:, 1][:, None]
    scale_x = (heatmap_size / (rois[:, 2] - rois[:, 0]))[:, None]
    scale_y = (heatmap_size / (rois[:, 3] - rois[:, 1]))[:, None]

    x = keypoints[..., 0]
    y = keypoints[..., 1]
    x_boundary_inds = x == rois[:, 2][:, None]
    y_boundary_inds = y == rois[:, 3][:, None]

    x = ((x - offset_x) * scale_x).floor().long()
    y = ((y - offset_y) * scale_y).floor().long()
    x[x_boundary_inds] = heatmap_size - 1
    y[y_boundary_inds] = heatmap_size - 1

    valid_loc = (x >= 0) & (y >= 0) & (x < heatmap_size) & (y < heatmap_size)
    vis = keypoints[..., 2] > 0
    valid = (valid_loc & vis).long()

    lin_ind = y * heatmap_size + x
    heatmaps = lin_ind * valid
    return heatmaps, valid


def heatmaps_to_keypoints(maps: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
    """Decode keypoint-head heatmaps into image coordinates (Detectron2's algorithm).

    Each ROI's heatmaps are upsampled bicubically to the ROI's (ceil) size in pixels; the argmax cell's center,
    mapped back into the image, is the keypoint. The score is a softmax over the upsampled map normalised by the
    sum over the original (pooled) map, which makes scores comparable across ROI sizes.

    Args:
        maps (Tensor[R, K, H, W]): predicted heatmap logits.
        rois (Tensor[R, 4]): XYXY_ABS boxes of the ROIs.

    Returns:
        Tensor[R, K, 4]: (x, y, logit, score) of each keypoint.
    """
    maps = maps.detach()
    rois = rois.detach()

    offset_x = rois[:, 0]
    offset_y = rois[:, 1]
    widths = (rois[:, 2] - rois[:, 0]).clamp(min=1)
    heights = (rois[:, 3] - rois[:, 1]).clamp(min=1)
    widths_ceil = widths.ceil()
    heights_ceil = heights.ceil()

    num_rois, num_keypoints = maps.shape[:2]
    xy_preds = maps.new_zeros(rois.shape[0], num_keypoints, 4)

    # the upsampled map covers ceil(size) pixels; scale cell centers back to the real size
    width_corrections = widths / widths_ceil
    height_corrections = heights / heights_ceil

    keypoints_idx = torch.arange(num_keypoints, device=maps.device)

    for i in range(num_rois):
        outsize = (int(heights_ceil[i]), int(widths_ceil[i]))
        roi_map = F.interpolate(maps[[i]], size=outsize, mode="bicubic", align_corners=False)
        roi_map = roi_map.reshape(roi_map.shape[1:])  # (K, h, w)

        max_score, _ = roi_map.view(num_keypoints, -1).max(1)
        max_score = max_score.view(num_keypoints, 1, 1)
        tmp_full_resolution = (roi_map - max_score).exp_()
        tmp_pool_resolution = (maps[i] - max_score).exp_()
        roi_map_scores = tmp_full_resolution / tmp_pool_resolution.sum((1, 2), keepdim=True)

        w = roi_map.shape[2]
        pos = roi_map.view(num_keypoints, -1).argmax(1)
        x_int = pos % w
        y_int = (pos - x_int) // w

        x = (x_int.float() + 0.5) * width_corrections[i]
        y = (y_int.float() + 0.5) * height_corrections[i]
        xy_preds[i, :, 0] = x + offset_x[i]
        xy_preds[i, :, 1] = y + offset_y[i]
        xy_preds[i, :, 2] = roi_map[keypoints_idx, y_int, x_int]
        xy_preds[i, :, 3] = roi_map_scores[keypoints_idx, y_int, x_int]
    return xy_preds
