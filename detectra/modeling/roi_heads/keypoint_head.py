"""Keypoint R-CNN's keypoint branch: per-ROI keypoint heatmaps, their loss, and decoding into image coordinates.

Shapes used below: N ROIs in the batch (all images), K keypoints, S the heatmap side.
"""
from typing import Dict, List, Optional, Union

import torch
from torch import nn
from torch.nn import functional as F

from detectra.config import configurable
from detectra.layers import Conv2d, ConvTranspose2d, ShapeSpec, cat, interpolate, is_exporting, nonzero_tuple, split_per_image
from detectra.structures import Instances, heatmaps_to_keypoints
from detectra.utils.events import get_event_storage

from .head_registries import ROI_KEYPOINT_HEAD_REGISTRY, _PerROIHead, build_keypoint_head

__all__ = [
    "ROI_KEYPOINT_HEAD_REGISTRY",
    "build_keypoint_head",
    "BaseKeypointRCNNHead",
    "KRCNNConvDeconvUpsampleHead",
    "keypoint_rcnn_loss",
    "keypoint_rcnn_inference",
]

_TOTAL_SKIPPED = 0  # batches without any visible keypoint so far (logged, as Detectron2 does)


def keypoint_rcnn_loss(
    pred_keypoint_logits: torch.Tensor, instances: List[Instances], normalizer: Optional[float]
) -> torch.Tensor:
    """Softmax cross-entropy over the S*S heatmap cells of each visible keypoint inside its ROI.

    Targets come from ``gt_keypoints.to_heatmap(proposal_boxes, S)``: each visible keypoint is one cell index.

    Args:
        pred_keypoint_logits: Tensor[N, K, S, S].
        instances: per image, the proposals (``proposal_boxes``, ``gt_keypoints``) in the order of the logits.
        normalizer: divide the summed loss by this; None divides by the number of visible keypoints.

    Returns:
        the scalar loss (zero, with a gradient, when no keypoint is visible).
    """
    global _TOTAL_SKIPPED
    heatmaps, valid = [], []
    keypoint_side_len = pred_keypoint_logits.shape[2]
    for instances_per_image in instances:
        if len(instances_per_image) == 0:
            continue
        heatmaps_per_image, valid_per_image = instances_per_image.gt_keypoints.to_heatmap(
            instances_per_image.proposal_boxes.tensor, keypoint_side_len
        )  # (Ri, K) each
        heatmaps.append(heatmaps_per_image.view(-1))
        valid.append(valid_per_image.view(-1))

    if len(heatmaps):
        keypoint_targets = cat(heatmaps, dim=0)
        valid = nonzero_tuple(cat(valid, dim=0).to(dtype=torch.uint8))[0]

    # no visible keypoint in the batch: a zero loss that still touches every logit
    if len(heatmaps) == 0 or valid.numel() == 0:
        _TOTAL_SKIPPED += 1
        storage = get_event_storage()
        storage.put_scalar("kpts_num_skipped_batches", _TOTAL_SKIPPED, smoothing_hint=False)
        return pred_keypoint_logits.sum() * 0

    n, k, h, w = pred_keypoint_logits.shape
    pred_keypoint_logits = pred_keypoint_logits.view(n * k, h * w)
    keypoint_loss = F.cross_entropy(
        pred_keypoint_logits[valid].float(), keypoint_targets[valid].to(pred_keypoint_logits.device), reduction="sum"
    )
    if normalizer is None:
        normalizer = valid.numel()
    return keypoint_loss / normalizer


def keypoint_rcnn_inference(pred_keypoint_logits: torch.Tensor, pred_instances: List[Instances]) -> None:
    """Decode heatmaps into keypoints, stored in place on each image's Instances as ``pred_keypoints``
    (Tensor[Ri, K, 3]: x, y, score in the network's input coordinates) and ``pred_keypoint_heatmaps``
    (Tensor[Ri, K, S, S] logits).

    Args:
        pred_keypoint_logits: Tensor[N, K, S, S], N = total detections over ``pred_instances``.
        pred_instances: per image, detections with ``pred_boxes``.
    """
    pred_keypoint_logits = pred_keypoint_logits.detach()
    if is_exporting():
        # decoding loops over ROIs with data-dependent sizes; exported graphs keep the heatmaps and
        # `detectra.export.postprocess_outputs` decodes them
        for heatmaps, instances in zip(split_per_image(pred_keypoint_logits, pred_instances), pred_instances):
            instances.pred_keypoint_heatmaps = heatmaps
        return
    bboxes_flat = cat([b.pred_boxes.tensor for b in pred_instances], dim=0)
    keypoint_results = heatmaps_to_keypoints(pred_keypoint_logits, bboxes_flat.detach())  # (N, K, 4)
    num_instances_per_image = [len(i) for i in pred_instances]
    # keep (x, y, score); drop the raw logit
    keypoint_results = keypoint_results[:, :, [0, 1, 3]].split(num_instances_per_image, dim=0)
    heatmap_results = pred_keypoint_logits.split(num_instances_per_image, dim=0)
    for keypoints_per_image, heatmaps_per_image, instances in zip(keypoint_results, heatmap_results, pred_instances):
        instances.pred_keypoints = keypoints_per_image
        instances.pred_keypoint_heatmaps = heatmaps_per_image


class BaseKeypointRCNNHead(_PerROIHead):
    """Base of the keypoint heads: subclasses define :meth:`layers` (features to heatmap logits Tensor[N, K, S, S]);
    ``forward(x, instances)`` returns ``{"loss_keypoint": ...}`` in training and sets ``pred_keypoints`` in
    inference.

    Args:
        num_keypoints: K.
        loss_weight: multiplier of ``loss_keypoint``.
        loss_normalizer: "visible" to divide by the number of visible keypoints in the batch, or a number that,
            times the number of images, divides the summed loss (Detectron2's fixed normaliser).
    """

    @configurable
    def __init__(self, *, num_keypoints: int, loss_weight: float = 1.0, loss_normalizer: Union[float, str] = 1.0):
        super().__init__()
        self.num_keypoints = num_keypoints
        self.loss_weight = loss_weight
        if not (isinstance(loss_normalizer, (int, float)) or loss_normalizer == "visible"):
            raise ValueError(f"loss_normalizer must be a number or 'visible', got {loss_normalizer!r}.")
        self.loss_normalizer = loss_normalizer

    @classmethod
    def from_config(cls, cfg, input_shape):
        h = cfg.MODEL.ROI_KEYPOINT_HEAD
        ret = {"loss_weight": h.LOSS_WEIGHT, "num_keypoints": h.NUM_KEYPOINTS}
        if h.NORMALIZE_LOSS_BY_VISIBLE_KEYPOINTS:
            ret["loss_normalizer"] = "visible"
        else:
            # the expected number of keypoints per image if every sampled foreground ROI had all K visible
            roi = cfg.MODEL.ROI_HEADS
            ret["loss_normalizer"] = ret["num_keypoints"] * roi.BATCH_SIZE_PER_IMAGE * roi.POSITIVE_FRACTION
        return ret

    def _losses(self, logits: torch.Tensor, instances: List[Instances]) -> Dict[str, torch.Tensor]:
        normalizer = None if self.loss_normalizer == "visible" else len(instances) * self.loss_normalizer
        return {"loss_keypoint": keypoint_rcnn_loss(logits, instances, normalizer=normalizer) * self.loss_weight}

    def _predict(self, logits: torch.Tensor, instances: List[Instances]) -> None:
        keypoint_rcnn_inference(logits, instances)


@ROI_KEYPOINT_HEAD_REGISTRY.register()
class KRCNNConvDeconvUpsampleHead(BaseKeypointRCNNHead, nn.Sequential):
    """Keypoint R-CNN's head: 3x3 convs (+ReLU), a stride-2 transposed conv to K heatmaps, then 2x bilinear
    upsampling (so 14x14 pooled features give 56x56 heatmaps).

    Module names (``conv_fcn{i}``, ``score_lowres``) are Detectron2's, so checkpoints load.

    Args:
        input_shape: shape of the pooled features.
        num_keypoints: K.
        conv_dims: output channels of each conv.
    """

    @configurable
    def __init__(self, input_shape: ShapeSpec, *, num_keypoints: int, conv_dims: List[int], **kwargs):
        super().__init__(num_keypoints=num_keypoints, **kwargs)
        up_scale = 2.0
        in_channels = input_shape.channels
        for idx, layer_channels in enumerate(conv_dims, 1):
            self.add_module(f"conv_fcn{idx}", Conv2d(in_channels, layer_channels, 3, stride=1, padding=1))
            self.add_module(f"conv_fcn_relu{idx}", nn.ReLU())
            in_channels = layer_channels
        deconv_kernel = 4
        self.score_lowres = ConvTranspose2d(
            in_channels, num_keypoints, deconv_kernel, stride=2, padding=deconv_kernel // 2 - 1
        )
        self.up_scale = up_scale
        for name, param in self.named_parameters():
            if "bias" in name:
                nn.init.constant_(param, 0)
            elif "weight" in name:
                # Caffe2's MSRAFill, as in Detectron2
                nn.init.kaiming_normal_(param, mode="fan_out", nonlinearity="relu")

    @classmethod
    def from_config(cls, cfg, input_shape):
        ret = super().from_config(cfg, input_shape)
        ret["input_shape"] = input_shape
        ret["conv_dims"] = cfg.MODEL.ROI_KEYPOINT_HEAD.CONV_DIMS
        return ret

    def layers(self, x: torch.Tensor) -> torch.Tensor:
        """Tensor[N, C_in, S', S'] -> heatmap logits Tensor[N, K, 4S', 4S']."""
        for layer in self:
            x = layer(x)
        return interpolate(x, scale_factor=self.up_scale, mode="bilinear", align_corners=False)
