"""`DenseDetector`: base of one-stage detectors that predict at every location of every feature level."""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import nn

from detectra.layers import topk_count
from detectra.structures import Boxes, ImageList, Instances
from detectra.utils.events import get_event_storage

from ..backbone import Backbone
from ..postprocessing import detector_postprocess
from .preprocess import ImageModel, requested_sizes
from .vis import draw_boxes, image_to_rgb

__all__ = ["DenseDetector", "permute_to_N_HWA_K"]


def permute_to_N_HWA_K(tensor: torch.Tensor, K: int) -> torch.Tensor:
    """Tensor[N, A*K, H, W] -> Tensor[N, H*W*A, K], the anchors' order."""
    if tensor.dim() != 4:
        raise ValueError(f"Expected a (N, A*K, H, W) prediction, got shape {tuple(tensor.shape)}.")
    n, _, h, w = tensor.shape
    tensor = tensor.view(n, -1, K, h, w)
    tensor = tensor.permute(0, 3, 4, 1, 2)
    return tensor.reshape(n, -1, K)


class DenseDetector(ImageModel):
    """Backbone + dense head; subclasses implement :meth:`forward_training` and :meth:`forward_inference`.

    Args:
        backbone: a `Backbone`.
        head: maps the list of ``head_in_features`` maps to a list (per prediction type) of per-level tensors.
        head_in_features: feature names given to the head; default: every backbone output, finest first.
        pixel_mean, pixel_std: per-channel input normalisation.
    """

    def __init__(
        self,
        backbone: Backbone,
        head: nn.Module,
        head_in_features: Optional[List[str]] = None,
        *,
        pixel_mean: Tuple[float, ...],
        pixel_std: Tuple[float, ...],
    ):
        super().__init__(pixel_mean, pixel_std)
        self.backbone = backbone
        self.head = head
        if head_in_features is None:
            shapes = self.backbone.output_shape()
            self.head_in_features = sorted(shapes.keys(), key=lambda x: shapes[x].stride)
        else:
            self.head_in_features = list(head_in_features)

    def forward(self, batched_inputs: List[Dict[str, torch.Tensor]]):
        """Args: as `GeneralizedRCNN.forward`. Returns: losses in training, else per image ``{"instances": ...}``."""
        images = self.preprocess_image(batched_inputs)
        features = self.backbone(images.tensor)
        features = [features[f] for f in self.head_in_features]
        predictions = self.head(features)

        if self.training:
            if "instances" not in batched_inputs[0]:
                raise ValueError(f"{type(self).__name__} needs 'instances' in every input in training.")
            gt_instances = [x["instances"].to(self.device) for x in batched_inputs]
            losses = self.forward_training(images, features, predictions, gt_instances)
            vis_period = getattr(self, "vis_period", 0)
            if vis_period > 0 and get_event_storage().iter % vis_period == 0:
                with torch.no_grad():
                    detached = [[x.detach() for x in p] for p in predictions]
                    self.visualize_training(batched_inputs, self.forward_inference(images, features, detached))
            return losses

        results = self.forward_inference(images, features, predictions)
        sizes = requested_sizes(batched_inputs, images.image_sizes)
        return [{"instances": detector_postprocess(r, h, w)} for r, (h, w) in zip(results, sizes)]

    def forward_training(self, images, features, predictions, gt_instances) -> Dict[str, torch.Tensor]:
        raise NotImplementedError()

    def forward_inference(self, images: ImageList, features: List[torch.Tensor], predictions) -> List[Instances]:
        raise NotImplementedError()

    def _transpose_dense_predictions(
        self, predictions: List[List[torch.Tensor]], dims_per_anchor: List[int]
    ) -> List[List[torch.Tensor]]:
        """Per prediction type and level: Tensor[N, A*K, H, W] -> Tensor[N, H*W*A, K]."""
        if len(predictions) != len(dims_per_anchor):
            raise ValueError(f"Got {len(predictions)} prediction types for {len(dims_per_anchor)} dims.")
        return [[permute_to_N_HWA_K(x, k) for x in pred] for pred, k in zip(predictions, dims_per_anchor)]

    def _ema_update(self, name: str, value: float, initial_value: float, momentum: float = 0.9) -> float:
        """Exponential moving average of ``value`` kept in attribute ``name`` (e.g. the loss normaliser)."""
        old = getattr(self, name) if hasattr(self, name) else initial_value
        new = old * momentum + value * (1 - momentum)
        setattr(self, name, new)
        return new

    def _foreground_and_normalizer(
        self, gt_labels: torch.Tensor, initial_normalizer: float
    ) -> Tuple[torch.Tensor, float]:
        """The foreground mask of the stacked anchor labels Tensor[N, R] (class, K = background, -1 = ignore) and
        the divisor of the losses: an EMA of the foreground count (``loss_normalizer``), started at
        ``initial_normalizer``. Logs ``num_pos_anchors`` per image."""
        pos_mask = (gt_labels >= 0) & (gt_labels != self.num_classes)
        num_pos_anchors = pos_mask.sum().item()
        get_event_storage().put_scalar("num_pos_anchors", num_pos_anchors / len(gt_labels))
        return pos_mask, self._ema_update("loss_normalizer", max(num_pos_anchors, 1), initial_normalizer)

    def _decode_per_level_predictions(
        self,
        anchors: Boxes,
        pred_scores: torch.Tensor,
        pred_deltas: torch.Tensor,
        score_thresh: float,
        topk_candidates: int,
        image_size: Tuple[int, int],
    ) -> Instances:
        """Threshold, keep the ``topk_candidates`` best (anchor, class) pairs, decode their boxes.

        Args:
            anchors: Boxes of the level's R anchors.
            pred_scores: Tensor[R, K] probabilities.
            pred_deltas: Tensor[R, 4].

        Returns:
            Instances with ``pred_boxes``, ``scores``, ``pred_classes`` (not NMS-ed).
        """
        keep_idxs = pred_scores > score_thresh  # (R, K)
        pred_scores = pred_scores[keep_idxs]
        topk_idxs = torch.nonzero(keep_idxs)  # (M, 2): anchor, class
        pred_scores, idxs = pred_scores.topk(topk_count(topk_idxs.shape[0], topk_candidates))
        topk_idxs = topk_idxs[idxs]
        anchor_idxs, classes_idxs = topk_idxs.unbind(dim=1)
        pred_boxes = self.box2box_transform.apply_deltas(pred_deltas[anchor_idxs], anchors.tensor[anchor_idxs])
        return Instances(image_size, pred_boxes=Boxes(pred_boxes), scores=pred_scores, pred_classes=classes_idxs)

    def _decode_multi_level_predictions(
        self,
        anchors: List[Boxes],
        pred_scores: List[torch.Tensor],
        pred_deltas: List[torch.Tensor],
        score_thresh: float,
        topk_candidates: int,
        image_size: Tuple[int, int],
    ) -> Instances:
        """`_decode_per_level_predictions` on every level, concatenated."""
        predictions = [
            self._decode_per_level_predictions(a, s, d, score_thresh, topk_candidates, image_size)
            for a, s, d in zip(anchors, pred_scores, pred_deltas)
        ]
        return predictions[0].cat(predictions)

    def visualize_training(self, batched_inputs: List[Dict], results: List[Instances]) -> None:
        """Put the first image's ground truth (left) beside its top-20 predictions (right) into the event storage."""
        if len(batched_inputs) != len(results):
            raise ValueError("visualize_training needs one result per input.")
        storage = get_event_storage()
        max_boxes = 20
        img = image_to_rgb(batched_inputs[0]["image"], self.input_format)
        anno_img = draw_boxes(img, batched_inputs[0]["instances"].gt_boxes.tensor, color=(0, 255, 0))
        processed = detector_postprocess(results[0], img.shape[0], img.shape[1])
        pred_img = draw_boxes(img, processed.pred_boxes.tensor[:max_boxes], color=(255, 128, 0))
        vis_img = np.vstack((anno_img, pred_img)).transpose(2, 0, 1)
        storage.put_image(f"Top: GT bounding boxes; Bottom: {max_boxes} Highest Scoring Results", vis_img)
