"""Region Proposal Network: `StandardRPNHead` (shared conv + objectness / delta 1x1 convs) and `RPN`."""
from typing import Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn.functional as F
from torch import nn

from detectra.config import configurable
from detectra.layers import Conv2d, ShapeSpec, cat
from detectra.structures import Boxes, ImageList, Instances, pairwise_iou
from detectra.utils.events import get_event_storage
from detectra.utils.precision import float32_call
from detectra.utils.registry import Registry

from ..anchor_generator import build_anchor_generator
from ..box_regression import Box2BoxTransform, _dense_box_regression_loss, _loss_weight_dict
from ..matcher import Matcher
from ..sampling import subsample_labels
from .build import PROPOSAL_GENERATOR_REGISTRY
from .proposal_utils import find_top_rpn_proposals

__all__ = ["RPN_HEAD_REGISTRY", "StandardRPNHead", "RPN", "build_rpn_head"]

RPN_HEAD_REGISTRY = Registry("RPN_HEAD")
RPN_HEAD_REGISTRY.__doc__ = """RPN heads: ``cls(cfg, input_shape: List[ShapeSpec])``."""


def build_rpn_head(cfg, input_shape: List[ShapeSpec]) -> nn.Module:
    """Build ``cfg.MODEL.RPN.HEAD_NAME``."""
    return RPN_HEAD_REGISTRY.get(cfg.MODEL.RPN.HEAD_NAME)(cfg, input_shape)


def _rpn_conv(in_channels: int, out_channels: int) -> Conv2d:
    return Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, activation=nn.ReLU())


@RPN_HEAD_REGISTRY.register()
class StandardRPNHead(nn.Module):
    """3x3 conv(s) + ReLU shared across levels, then 1x1 convs predicting A objectness logits and A * box_dim deltas
    per location.

    Args:
        in_channels: channels of every input level (all equal).
        num_anchors: anchors per location A.
        box_dim: 4 (or 5 for rotated boxes).
        conv_dims: output channels of the shared convs; -1 means ``in_channels``. One entry keeps Detectron2's
            single ``conv`` module name.
    """

    @configurable
    def __init__(self, *, in_channels: int, num_anchors: int, box_dim: int = 4, conv_dims: Sequence[int] = (-1,)):
        super().__init__()
        cur_channels = in_channels
        if len(conv_dims) == 1:
            out_channels = cur_channels if conv_dims[0] == -1 else conv_dims[0]
            self.conv = _rpn_conv(cur_channels, out_channels)
            cur_channels = out_channels
        else:
            self.conv = nn.Sequential()
            for k, conv_dim in enumerate(conv_dims):
                out_channels = cur_channels if conv_dim == -1 else conv_dim
                if out_channels <= 0:
                    raise ValueError(f"MODEL.RPN.CONV_DIMS entries must be positive or -1, got {conv_dim}.")
                self.conv.add_module(f"conv{k}", _rpn_conv(cur_channels, out_channels))
                cur_channels = out_channels
        self.objectness_logits = nn.Conv2d(cur_channels, num_anchors, kernel_size=1, stride=1)
        self.anchor_deltas = nn.Conv2d(cur_channels, num_anchors * box_dim, kernel_size=1, stride=1)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                nn.init.constant_(layer.bias, 0)

    @classmethod
    def from_config(cls, cfg, input_shape: List[ShapeSpec]):
        in_channels = [s.channels for s in input_shape]
        if len(set(in_channels)) != 1:
            raise ValueError(f"RPN input levels must have equal channels, got {in_channels}.")
        anchor_generator = build_anchor_generator(cfg, input_shape)
        num_anchors = anchor_generator.num_anchors
        if len(set(num_anchors)) != 1:
            raise ValueError(f"Every level must have the same number of anchors per location, got {num_anchors}.")
        return {
            "in_channels": in_channels[0],
            "num_anchors": num_anchors[0],
            "box_dim": anchor_generator.box_dim,
            "conv_dims": cfg.MODEL.RPN.CONV_DIMS,
        }

    def forward(self, features: List[torch.Tensor]) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Args:
            features: per level, Tensor[N, C, Hi, Wi].

        Returns:
            pred_objectness_logits: per level, Tensor[N, A, Hi, Wi].
            pred_anchor_deltas: per level, Tensor[N, A * box_dim, Hi, Wi].
        """
        pred_objectness_logits, pred_anchor_deltas = [], []
        for x in features:
            t = self.conv(x)
            # at inference under autocast the 1x1 predictors run in float32: their logits rank the anchors (top-k)
            logits, deltas = (
                (self.objectness_logits(t), self.anchor_deltas(t))
                if self.training
                else float32_call(t, self.objectness_logits, self.anchor_deltas)
            )
            pred_objectness_logits.append(logits)
            pred_anchor_deltas.append(deltas)
        return pred_objectness_logits, pred_anchor_deltas


@PROPOSAL_GENERATOR_REGISTRY.register()
class RPN(nn.Module):
    """Region Proposal Network (Ren et al. 2015) over one or more feature levels.

    Args:
        in_features: names of the features to use, e.g. ["p2", ..., "p6"].
        head: a head like `StandardRPNHead`.
        anchor_generator: e.g. `DefaultAnchorGenerator`.
        anchor_matcher: labels anchors foreground / background / ignore.
        box2box_transform: decodes the anchor deltas.
        batch_size_per_image: anchors sampled per image for the losses.
        positive_fraction: wanted foreground fraction of those.
        pre_nms_topk: (train, test) proposals kept per level before NMS.
        post_nms_topk: (train, test) proposals kept per image after NMS.
        nms_thresh: NMS IoU threshold.
        min_box_size: drop proposals with a side below this (pixels).
        anchor_boundary_thresh: ignore anchors that stick out of the image by more than this (< 0: keep all).
        loss_weight: one weight for both losses, or ``{"loss_rpn_cls": w1, "loss_rpn_loc": w2}``.
        box_reg_loss_type: "smooth_l1", "giou", "diou" or "ciou".
        smooth_l1_beta: beta of the smooth L1 loss (0: L1).
    """

    box_type: Type[Boxes] = Boxes  # the class of the anchors and proposals

    @configurable
    def __init__(
        self,
        *,
        in_features: List[str],
        head: nn.Module,
        anchor_generator: nn.Module,
        anchor_matcher: Matcher,
        box2box_transform: Box2BoxTransform,
        batch_size_per_image: int,
        positive_fraction: float,
        pre_nms_topk: Tuple[float, float],
        post_nms_topk: Tuple[float, float],
        nms_thresh: float = 0.7,
        min_box_size: float = 0.0,
        anchor_boundary_thresh: float = -1.0,
        loss_weight: Union[float, Dict[str, float]] = 1.0,
        box_reg_loss_type: str = "smooth_l1",
        smooth_l1_beta: float = 0.0,
    ):
        super().__init__()
        self.in_features = in_features
        self.rpn_head = head
        self.anchor_generator = anchor_generator
        self.anchor_matcher = anchor_matcher
        self.box2box_transform = box2box_transform
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction
        self.pre_nms_topk = {True: pre_nms_topk[0], False: pre_nms_topk[1]}
        self.post_nms_topk = {True: post_nms_topk[0], False: post_nms_topk[1]}
        self.nms_thresh = nms_thresh
        self.min_box_size = float(min_box_size)
        self.anchor_boundary_thresh = anchor_boundary_thresh
        self.loss_weight = _loss_weight_dict(loss_weight, ("loss_rpn_cls", "loss_rpn_loc"))
        self.box_reg_loss_type = box_reg_loss_type
        self.smooth_l1_beta = smooth_l1_beta

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]):
        in_features = cfg.MODEL.RPN.IN_FEATURES
        rpn = cfg.MODEL.RPN
        shapes = [input_shape[f] for f in in_features]
        return {
            "in_features": in_features,
            "min_box_size": cfg.MODEL.PROPOSAL_GENERATOR.MIN_SIZE,
            "nms_thresh": rpn.NMS_THRESH,
            "batch_size_per_image": rpn.BATCH_SIZE_PER_IMAGE,
            "positive_fraction": rpn.POSITIVE_FRACTION,
            "loss_weight": {
                "loss_rpn_cls": rpn.LOSS_WEIGHT,
                "loss_rpn_loc": rpn.BBOX_REG_LOSS_WEIGHT * rpn.LOSS_WEIGHT,
            },
            "anchor_boundary_thresh": rpn.BOUNDARY_THRESH,
            "box2box_transform": Box2BoxTransform(weights=rpn.BBOX_REG_WEIGHTS),
            "box_reg_loss_type": rpn.BBOX_REG_LOSS_TYPE,
            "smooth_l1_beta": rpn.SMOOTH_L1_BETA,
            "pre_nms_topk": (rpn.PRE_NMS_TOPK_TRAIN, rpn.PRE_NMS_TOPK_TEST),
            "post_nms_topk": (rpn.POST_NMS_TOPK_TRAIN, rpn.POST_NMS_TOPK_TEST),
            "anchor_generator": build_anchor_generator(cfg, shapes),
            "anchor_matcher": Matcher(rpn.IOU_THRESHOLDS, rpn.IOU_LABELS, allow_low_quality_matches=True),
            "head": build_rpn_head(cfg, shapes),
        }

    def _subsample_labels(self, label: torch.Tensor) -> torch.Tensor:
        """Keep a random minibatch of the labels, set the rest to -1 (ignore), in place."""
        pos_idx, neg_idx = subsample_labels(label, self.batch_size_per_image, self.positive_fraction, 0)
        label.fill_(-1)
        label.scatter_(0, pos_idx, 1)
        label.scatter_(0, neg_idx, 0)
        return label

    def _match_quality(self, gt_boxes: Boxes, anchors: Boxes) -> torch.Tensor:
        """Tensor[M, R]: how well each of M ground-truth boxes matches each of R anchors (IoU; `RRPN`: rotated
        IoU)."""
        return pairwise_iou(gt_boxes, anchors)

    @torch.no_grad()
    def label_and_sample_anchors(
        self, anchors: List[Boxes], gt_instances: List[Instances]
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Args:
            anchors: per level, Boxes of that level's anchors.
            gt_instances: per image, Instances with ``gt_boxes``.

        Returns:
            gt_labels: per image, int8 Tensor[R]: 1 foreground, 0 background, -1 ignored (after sampling).
            matched_gt_boxes: per image, Tensor[R, 4]: the box matched to each anchor (zeros without ground truth).
        """
        anchors = self.box_type.cat(anchors)
        gt_labels, matched_gt_boxes = [], []
        for gt_instances_i in gt_instances:
            image_size_i = gt_instances_i.image_size
            gt_boxes_i = gt_instances_i.gt_boxes
            match_quality_matrix = self._match_quality(gt_boxes_i, anchors)  # (M, R)
            matched_idxs, gt_labels_i = self.anchor_matcher(match_quality_matrix)
            gt_labels_i = gt_labels_i.to(device=gt_boxes_i.device)
            del match_quality_matrix
            if self.anchor_boundary_thresh >= 0:
                anchors_inside_image = anchors.inside_box(image_size_i, self.anchor_boundary_thresh)
                gt_labels_i[~anchors_inside_image] = -1
            gt_labels_i = self._subsample_labels(gt_labels_i)
            if len(gt_boxes_i) == 0:
                matched_gt_boxes_i = torch.zeros_like(anchors.tensor)
            else:
                matched_gt_boxes_i = gt_boxes_i[matched_idxs].tensor
            gt_labels.append(gt_labels_i)
            matched_gt_boxes.append(matched_gt_boxes_i)
        return gt_labels, matched_gt_boxes

    def losses(
        self,
        anchors: List[Boxes],
        pred_objectness_logits: List[torch.Tensor],
        gt_labels: List[torch.Tensor],
        pred_anchor_deltas: List[torch.Tensor],
        gt_boxes: List[torch.Tensor],
    ) -> Dict[str, torch.Tensor]:
        """Objectness BCE and box regression, each normalised by ``batch_size_per_image * num_images``.

        Args:
            anchors: per level, Boxes (R_i anchors).
            pred_objectness_logits: per level, Tensor[N, R_i].
            gt_labels, gt_boxes: from :meth:`label_and_sample_anchors`.
            pred_anchor_deltas: per level, Tensor[N, R_i, 4].

        Returns:
            ``{"loss_rpn_cls", "loss_rpn_loc"}``.
        """
        num_images = len(gt_labels)
        gt_labels = torch.stack(gt_labels)  # (N, R)
        pos_mask = gt_labels == 1
        num_pos_anchors = pos_mask.sum().item()
        num_neg_anchors = (gt_labels == 0).sum().item()
        storage = get_event_storage()
        storage.put_scalar("rpn/num_pos_anchors", num_pos_anchors / num_images)
        storage.put_scalar("rpn/num_neg_anchors", num_neg_anchors / num_images)

        localization_loss = _dense_box_regression_loss(
            anchors,
            self.box2box_transform,
            pred_anchor_deltas,
            gt_boxes,
            pos_mask,
            box_reg_loss_type=self.box_reg_loss_type,
            smooth_l1_beta=self.smooth_l1_beta,
        )
        valid_mask = gt_labels >= 0
        objectness_loss = F.binary_cross_entropy_with_logits(
            cat(pred_objectness_logits, dim=1)[valid_mask],
            gt_labels[valid_mask].to(torch.float32),
            reduction="sum",
        )
        normalizer = self.batch_size_per_image * num_images
        losses = {"loss_rpn_cls": objectness_loss / normalizer, "loss_rpn_loc": localization_loss / normalizer}
        return {k: v * self.loss_weight.get(k, 1.0) for k, v in losses.items()}

    def forward(
        self,
        images: ImageList,
        features: Dict[str, torch.Tensor],
        gt_instances: Optional[List[Instances]] = None,
    ) -> Tuple[List[Instances], Dict[str, torch.Tensor]]:
        """Args:
            images: the padded batch (only ``image_sizes`` is used).
            features: ``{name: Tensor[N, C, Hi, Wi]}``.
            gt_instances: per image, Instances with ``gt_boxes``; required in training.

        Returns:
            proposals: per image, Instances with ``proposal_boxes`` and ``objectness_logits``.
            losses: ``{"loss_rpn_cls", "loss_rpn_loc"}`` in training, else empty.
        """
        features = [features[f] for f in self.in_features]
        anchors = self.anchor_generator(features)
        pred_objectness_logits, pred_anchor_deltas = self.rpn_head(features)
        # (N, A, Hi, Wi) -> (N, Hi*Wi*A), the anchors' order
        pred_objectness_logits = [score.permute(0, 2, 3, 1).flatten(1) for score in pred_objectness_logits]
        box_dim = self.anchor_generator.box_dim
        # (N, A*B, Hi, Wi) -> (N, Hi*Wi*A, B)
        pred_anchor_deltas = [
            x.view(x.shape[0], -1, box_dim, x.shape[-2], x.shape[-1]).permute(0, 3, 4, 1, 2).flatten(1, -2)
            for x in pred_anchor_deltas
        ]
        if self.training:
            if gt_instances is None:
                raise ValueError("RPN needs gt_instances in training (inputs must carry 'instances').")
            gt_labels, gt_boxes = self.label_and_sample_anchors(anchors, gt_instances)
            losses = self.losses(anchors, pred_objectness_logits, gt_labels, pred_anchor_deltas, gt_boxes)
        else:
            losses = {}
        proposals = self.predict_proposals(anchors, pred_objectness_logits, pred_anchor_deltas, images.image_sizes)
        return proposals, losses

    @torch.no_grad()
    def predict_proposals(
        self,
        anchors: List[Boxes],
        pred_objectness_logits: List[torch.Tensor],
        pred_anchor_deltas: List[torch.Tensor],
        image_sizes: List[Tuple[int, int]],
    ) -> List[Instances]:
        """Decode, then select with `find_top_rpn_proposals`. No gradient flows into the proposals (as in
        Detectron2: the ROI heads treat them as constants)."""
        pred_proposals = self._decode_proposals(anchors, pred_anchor_deltas)
        return find_top_rpn_proposals(
            pred_proposals,
            pred_objectness_logits,
            image_sizes,
            self.nms_thresh,
            self.pre_nms_topk[self.training],
            self.post_nms_topk[self.training],
            self.min_box_size,
            self.training,
            box_type=self.box_type,
        )

    def _decode_proposals(self, anchors: List[Boxes], pred_anchor_deltas: List[torch.Tensor]) -> List[torch.Tensor]:
        """Returns: per level, Tensor[N, Hi*Wi*A, B] of boxes."""
        n = pred_anchor_deltas[0].shape[0]
        proposals = []
        for anchors_i, deltas_i in zip(anchors, pred_anchor_deltas):
            b = anchors_i.tensor.size(1)
            deltas_i = deltas_i.reshape(-1, b)
            anchors_i = anchors_i.tensor.unsqueeze(0).expand(n, -1, -1).reshape(-1, b)
            proposals.append(self.box2box_transform.apply_deltas(deltas_i, anchors_i).view(n, -1, b))
        return proposals
