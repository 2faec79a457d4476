"""Rescale model outputs from the network's input resolution to the requested output resolution."""
from typing import Union

import torch
from torch.nn import functional as F

from detectra.layers import is_exporting
from detectra.structures import Instances

__all__ = ["detector_postprocess", "sem_seg_postprocess"]


def detector_postprocess(
    results: Instances,
    output_height: Union[int, torch.Tensor],
    output_width: Union[int, torch.Tensor],
    mask_threshold: float = 0.5,
) -> Instances:
    """Scale boxes (and keypoints) from ``results.image_size`` to (output_height, output_width), clip them, drop
    empty boxes, and paste ``pred_masks`` (ROI masks) into full-image bit masks.

    Args:
        results: predictions (``pred_boxes`` or ``proposal_boxes``; optional ``pred_masks`` (R, 1, M, M) and
            ``pred_keypoints`` (R, K, 3)) at the network's input resolution.
        output_height, output_width: the wanted resolution (usually the original image's).
        mask_threshold: binarisation threshold of the pasted masks.

    Returns:
        new Instances of size (output_height, output_width).
    """
    if isinstance(output_width, torch.Tensor):
        output_width_tmp, output_height_tmp = output_width.float(), output_height.float()
        new_size = torch.stack([output_height, output_width])
    else:
        new_size = (output_height, output_width)
        output_width_tmp, output_height_tmp = output_width, output_height

    scale_x = output_width_tmp / results.image_size[1]
    scale_y = output_height_tmp / results.image_size[0]
    results = Instances(new_size, **results.get_fields())

    if results.has("pred_boxes"):
        output_boxes = results.pred_boxes
    elif results.has("proposal_boxes"):
        output_boxes = results.proposal_boxes
    else:
        raise ValueError("detector_postprocess: predictions must contain pred_boxes or proposal_boxes.")
    # Boxes methods work in place on the tensor shared with `results`
    output_boxes.scale(scale_x, scale_y)
    output_boxes.clip(results.image_size)
    results = results[output_boxes.nonempty()]

    if results.has("pred_masks"):
        from detectra.structures import ROIMasks  # mask structures are only needed by mask models

        pred_masks = results.pred_masks
        roi_masks = pred_masks if isinstance(pred_masks, ROIMasks) else ROIMasks(pred_masks[:, 0, :, :])
        results.pred_masks = roi_masks.to_bitmasks(
            results.pred_boxes, output_height, output_width, mask_threshold
        ).tensor
    if results.has("pred_keypoints"):
        results.pred_keypoints[:, :, 0] *= scale_x
        results.pred_keypoints[:, :, 1] *= scale_y
    return results


def sem_seg_postprocess(
    result: torch.Tensor, img_size: tuple, output_height: int, output_width: int
) -> torch.Tensor:
    """Crop the padding off a semantic segmentation and resize it bilinearly.

    Args:
        result: Tensor[C, H, W] logits on the padded input.
        img_size: (h, w) of the input image before padding.
        output_height, output_width: wanted output size.

    Returns:
        Tensor[C, output_height, output_width].
    """
    result = result[:, : img_size[0], : img_size[1]]
    if tuple(result.shape[1:]) == (output_height, output_width) and not is_exporting():
        return result  # a resize to the same size is the identity (every sample lands on a pixel centre)
    result = result.expand(1, -1, -1, -1)
    return F.interpolate(result, size=(output_height, output_width), mode="bilinear", align_corners=False)[0]
