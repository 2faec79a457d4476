"""FCOS (Tian et al., 2019; "FCOS: A Simple and Strong Anchor-free Object Detector", 2020): one point per location.

Detectron2's variant, with its names and parameter keys: a `RetinaNetHead` with one "anchor" per location plus a
centerness branch (``head.ctrness``), regression targets divided by the level's stride (no learnable scales), center
sampling, GIoU box loss, and scores ``sqrt(sigmoid(class) * sigmoid(centerness))`` at test time.
"""
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from detectra.layers import ShapeSpec, sigmoid_focal_loss_jit
from detectra.structures import Boxes, ImageList, Instances, pairwise_point_box_distance

from ..anchor_generator import DefaultAnchorGenerator
from ..backbone import Backbone
from ..box_regression import Box2BoxTransformLinear, _dense_box_regression_loss
from .dense_detector import DenseDetector
from .retinanet import RetinaNet, RetinaNetHead

__all__ = ["FCOS", "FCOSHead"]


class FCOS(DenseDetector):
    """FCOS: per-location classification (sigmoid focal loss), box distances (GIoU loss) and centerness.

    Each location of a level is represented by a square "anchor" box as large as the level's stride, so the
    anchor-based machinery of `DenseDetector` (decoding, top-k, NMS) applies unchanged.

    Args:
        backbone, head, head_in_features, pixel_mean, pixel_std: see `DenseDetector`; ``head`` is an `FCOSHead`.
        box2box_transform: default ``Box2BoxTransformLinear(normalize_by_size=True)``.
        num_classes: K foreground classes.
        center_sampling_radius: a location is foreground only if it lies within this many strides of a box center.
        focal_loss_alpha, focal_loss_gamma: focal loss parameters.
        test_score_thresh: drop (location, class) pairs scoring below this.
        test_topk_candidates: keep at most this many pairs per level before NMS.
        test_nms_thresh: per-class NMS IoU threshold.
        max_detections_per_image: final detections per image.
    """

    def __init__(
        self,
        *,
        backbone: Backbone,
        head: nn.Module,
        head_in_features: Optional[List[str]] = None,
        box2box_transform: Optional[Box2BoxTransformLinear] = None,
        num_classes: int,
        center_sampling_radius: float = 1.5,
        focal_loss_alpha: float = 0.25,
        focal_loss_gamma: float = 2.0,
        test_score_thresh: float = 0.2,
        test_topk_candidates: int = 1000,
        test_nms_thresh: float = 0.6,
        max_detections_per_image: int = 100,
        pixel_mean: Tuple[float, ...],
        pixel_std: Tuple[float, ...],
    ):
        super().__init__(backbone, head, head_in_features, pixel_mean=pixel_mean, pixel_std=pixel_std)
        self.num_classes = num_classes
        shapes = backbone.output_shape()
        strides = [shapes[k].stride for k in self.head_in_features]
        # one square "anchor" per location, as large as its level's stride
        self.anchor_generator = DefaultAnchorGenerator(
            sizes=[[s] for s in strides], aspect_ratios=[1.0], strides=strides
        )
        self.box2box_transform = box2box_transform or Box2BoxTransformLinear(normalize_by_size=True)
        self.center_sampling_radius = float(center_sampling_radius)
        self.focal_loss_alpha = focal_loss_alpha
        self.focal_loss_gamma = focal_loss_gamma
        self.test_score_thresh = test_score_thresh
        self.test_topk_candidates = test_topk_candidates
        self.test_nms_thresh = test_nms_thresh
        self.max_detections_per_image = max_detections_per_image
        self.input_format = "BGR"  # only for visualize_training

    def forward_training(self, images, features, predictions, gt_instances) -> Dict[str, torch.Tensor]:
        pred_logits, pred_deltas, pred_ctrness = self._transpose_dense_predictions(
            predictions, [self.num_classes, 4, 1]
        )
        anchors = self.anchor_generator(features)
        gt_labels, gt_boxes = self.label_anchors(anchors, gt_instances)
        return self.losses(anchors, pred_logits, gt_labels, pred_deltas, gt_boxes, pred_ctrness)

    @torch.no_grad()
    def _match_anchors(self, gt_boxes: Boxes, anchors: List[Boxes]) -> torch.Tensor:
        """Match quality Tensor[M, R] between M boxes and the R locations of all levels: 0 where unmatched, else
        ``1e8 - box area`` (so that the smallest of several matching boxes wins).

        A location matches a box when it is inside the box, within ``center_sampling_radius`` strides of its
        center, and the box's largest side distance falls in the level's range (4 to 8 strides; the finest level
        has no lower bound and the coarsest no upper bound).
        """
        counts = [len(a) for a in anchors]
        anchors = Boxes.cat(anchors)  # (R, 4)
        centers = anchors.get_centers()  # (R, 2)
        sizes = anchors.tensor[:, 2] - anchors.tensor[:, 0]  # (R,) = stride of each location's level
        lower = sizes * 4
        lower[: counts[0]] = 0
        upper = sizes * 8
        upper[-counts[-1] :] = float("inf")

        center_dist = (centers[None, :, :] - gt_boxes.get_centers()[:, None, :]).abs_()  # (M, R, 2)
        matched = center_dist.max(dim=2).values < self.center_sampling_radius * sizes[None, :]
        side_dist = pairwise_point_box_distance(centers, gt_boxes).permute(1, 0, 2)  # (M, R, 4) l, t, r, b
        matched &= side_dist.min(dim=2).values > 0
        largest = side_dist.max(dim=2).values  # (M, R)
        matched &= (largest > lower[None, :]) & (largest < upper[None, :])
        return matched.to(torch.float32) * (1e8 - gt_boxes.area()[:, None])

    @torch.no_grad()
    def label_anchors(
        self, anchors: List[Boxes], gt_instances: List[Instances]
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Like `RetinaNet.label_anchors`, with FCOS's matching rule; no location is ignored.

        Returns:
            per image, labels Tensor[R] (class, K = background) and matched boxes Tensor[R, 4].
        """
        num_anchors = sum(len(a) for a in anchors)
        device = anchors[0].tensor.device
        gt_labels, matched_gt_boxes = [], []
        for inst in gt_instances:
            if len(inst) == 0:
                gt_labels.append(torch.full((num_anchors,), self.num_classes, dtype=torch.long, device=device))
                matched_gt_boxes.append(torch.zeros((num_anchors, 4), device=device))
                continue
            quality, matched_idxs = self._match_anchors(inst.gt_boxes, anchors).max(dim=0)  # (R,), (R,)
            matched_idxs[quality < 1e-5] = -1
            labels = inst.gt_classes[matched_idxs.clip(min=0)]
            labels[matched_idxs < 0] = self.num_classes
            gt_labels.append(labels)
            matched_gt_boxes.append(inst.gt_boxes.tensor[matched_idxs.clip(min=0)])
        return gt_labels, matched_gt_boxes

    def losses(
        self,
        anchors: List[Boxes],
        pred_logits: List[torch.Tensor],
        gt_labels: List[torch.Tensor],
        pred_anchor_deltas: List[torch.Tensor],
        gt_boxes: List[torch.Tensor],
        pred_centerness: List[torch.Tensor],
    ) -> Dict[str, torch.Tensor]:
        """Focal loss over every location, GIoU and centerness BCE over foreground ones, each divided by an EMA
        of the number of foreground locations.

        Args:
            anchors: per level, Boxes (R_i locations).
            pred_logits: per level, Tensor[N, R_i, K].
            gt_labels: per image, Tensor[R] (class, K = background).
            pred_anchor_deltas: per level, Tensor[N, R_i, 4].
            gt_boxes: per image, Tensor[R, 4].
            pred_centerness: per level, Tensor[N, R_i, 1].

        Returns:
            ``{"loss_fcos_cls", "loss_fcos_loc", "loss_fcos_ctr"}``.
        """
        gt_labels = torch.stack(gt_labels)  # (N, R)
        pos_mask, normalizer = self._foreground_and_normalizer(gt_labels, 300)

        targets = F.one_hot(gt_labels, num_classes=self.num_classes + 1)[:, :, :-1]  # background: all zeros
        loss_cls = sigmoid_focal_loss_jit(
            torch.cat(pred_logits, dim=1),
            targets.to(pred_logits[0].dtype),
            alpha=self.focal_loss_alpha,
            gamma=self.focal_loss_gamma,
            reduction="sum",
        )
        loss_loc = _dense_box_regression_loss(
            anchors, self.box2box_transform, pred_anchor_deltas, gt_boxes, pos_mask, box_reg_loss_type="giou"
        )
        ctrness_targets = self.compute_ctrness_targets(anchors, gt_boxes)  # (N, R)
        pred_centerness = torch.cat(pred_centerness, dim=1).squeeze(dim=2)  # (N, R)
        loss_ctr = F.binary_cross_entropy_with_logits(
            pred_centerness[pos_mask], ctrness_targets[pos_mask].to(pred_centerness.dtype), reduction="sum"
        )
        return {
            "loss_fcos_cls": loss_cls / normalizer,
            "loss_fcos_loc": loss_loc / normalizer,
            "loss_fcos_ctr": loss_ctr / normalizer,
        }

    def compute_ctrness_targets(self, anchors: List[Boxes], gt_boxes: List[torch.Tensor]) -> torch.Tensor:
        """Centerness of each location in its matched box: ``sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b))``.

        Returns:
            Tensor[N, R] (meaningful only at foreground locations).
        """
        anchors = Boxes.cat(anchors).tensor  # (R, 4)
        if len(gt_boxes) == 0:
            return anchors.new_zeros((0, anchors.shape[0]))
        ltrb = torch.stack([self.box2box_transform.get_deltas(anchors, b) for b in gt_boxes])  # (N, R, 4)
        left_right, top_bottom = ltrb[:, :, [0, 2]], ltrb[:, :, [1, 3]]
        ctrness = (left_right.min(dim=-1).values / left_right.max(dim=-1).values) * (
            top_bottom.min(dim=-1).values / top_bottom.max(dim=-1).values
        )
        return torch.sqrt(ctrness)

    def forward_inference(
        self, images: ImageList, features: List[torch.Tensor], predictions: List[List[torch.Tensor]]
    ) -> List[Instances]:
        pred_logits, pred_deltas, pred_ctrness = self._transpose_dense_predictions(
            predictions, [self.num_classes, 4, 1]
        )
        anchors = self.anchor_generator(features)
        results = []
        for img_idx, image_size in enumerate(images.image_sizes):
            # float(): rank and threshold in full precision under bf16 autocast
            scores = [
                torch.sqrt(x[img_idx].float().sigmoid() * c[img_idx].float().sigmoid())  # (R_i, K) * (R_i, 1)
                for x, c in zip(pred_logits, pred_ctrness)
            ]
            deltas = [x[img_idx] for x in pred_deltas]
            results.append(self.inference_single_image(anchors, scores, deltas, image_size))
        return results

    # Per-level top-k, class-wise NMS over all levels, then the max_detections_per_image best: as RetinaNet.
    inference_single_image = RetinaNet.inference_single_image


class FCOSHead(RetinaNetHead):
    """`RetinaNetHead` with one location per cell and a centerness branch on the box tower (``ctrness``).

    Args:
        input_shape: per level, ShapeSpec (equal channels).
        conv_dims: output channels of each tower conv.
        kwargs: ``num_classes``, ``norm``, ``prior_prob``, as in `RetinaNetHead`.
    """

    def __init__(self, *, input_shape: List[ShapeSpec], conv_dims: List[int], **kwargs):
        super().__init__(input_shape=input_shape, conv_dims=conv_dims, num_anchors=1, **kwargs)
        # No per-level learnable scale (unlike the paper): targets are already divided by the stride.
        self.ctrness = nn.Conv2d(conv_dims[-1], 1, kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.ctrness.weight, std=0.01)
        nn.init.constant_(self.ctrness.bias, 0)

    def forward(
        self, features: List[torch.Tensor]
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor], List[torch.Tensor]]:
        """Args:
            features: per level, Tensor[N, C, Hi, Wi].

        Returns:
            per level: class logits Tensor[N, K, Hi, Wi], box distances Tensor[N, 4, Hi, Wi] and centerness
            logits Tensor[N, 1, Hi, Wi].
        """
        if len(features) != self._num_features:
            raise ValueError(f"FCOSHead was built for {self._num_features} levels, got {len(features)}.")
        logits, bbox_reg, ctrness = [], [], []
        for feature in features:
            logits.append(self.cls_score(self.cls_subnet(feature)))
            box_feature = self.bbox_subnet(feature)
            bbox_reg.append(self.bbox_pred(box_feature))
            ctrness.append(self.ctrness(box_feature))
        return logits, bbox_reg, ctrness
