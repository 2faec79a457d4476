"""RetinaNet (Lin et al. 2017): a dense detector with focal loss over an FPN with P3-P7."""
import logging
import math
from typing import Dict, List, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from detectra.config import configurable
from detectra.layers import ShapeSpec, batched_nms_topk, cat, get_norm, sigmoid_focal_loss_jit
from detectra.structures import Boxes, ImageList, Instances, pairwise_iou

from ..anchor_generator import build_anchor_generator
from ..backbone import Backbone
from ..box_regression import Box2BoxTransform, _dense_box_regression_loss
from ..matcher import Matcher, _classes_of_matches
from .build import META_ARCH_REGISTRY
from .dense_detector import DenseDetector

__all__ = ["RetinaNet", "RetinaNetHead"]

logger = logging.getLogger(__name__)


@META_ARCH_REGISTRY.register()
class RetinaNet(DenseDetector):
    """RetinaNet: classification (sigmoid, focal loss) and box regression at every anchor.

    Args:
        backbone, head, head_in_features, pixel_mean, pixel_std: see `DenseDetector`.
        anchor_generator: anchors of the head's levels.
        box2box_transform: decodes the box deltas.
        anchor_matcher: labels anchors (IoU >= 0.5 foreground, < 0.4 background by default).
        num_classes: K foreground classes.
        focal_loss_alpha, focal_loss_gamma: focal loss parameters.
        smooth_l1_beta, box_reg_loss_type: box regression loss.
        test_score_thresh: drop (anchor, class) pairs scoring below this.
        test_topk_candidates: keep at most this many pairs per level before NMS.
        test_nms_thresh: per-class NMS IoU threshold.
        max_detections_per_image: final detections per image.
        vis_period: visualise predictions every this many iterations (0: never).
        input_format: input channel order, for visualisation.
    """

    @configurable
    def __init__(
        self,
        *,
        backbone: Backbone,
        head: nn.Module,
        head_in_features: List[str],
        anchor_generator: nn.Module,
        box2box_transform: Box2BoxTransform,
        anchor_matcher: Matcher,
        num_classes: int,
        focal_loss_alpha: float = 0.25,
        focal_loss_gamma: float = 2.0,
        smooth_l1_beta: float = 0.0,
        box_reg_loss_type: str = "smooth_l1",
        test_score_thresh: float = 0.05,
        test_topk_candidates: int = 1000,
        test_nms_thresh: float = 0.5,
        max_detections_per_image: int = 100,
        pixel_mean: Tuple[float, ...],
        pixel_std: Tuple[float, ...],
        vis_period: int = 0,
        input_format: str = "BGR",
    ):
        super().__init__(backbone, head, head_in_features, pixel_mean=pixel_mean, pixel_std=pixel_std)
        self.num_classes = num_classes
        self.anchor_generator = anchor_generator
        self.box2box_transform = box2box_transform
        self.anchor_matcher = anchor_matcher
        self.focal_loss_alpha = focal_loss_alpha
        self.focal_loss_gamma = focal_loss_gamma
        self.smooth_l1_beta = smooth_l1_beta
        self.box_reg_loss_type = box_reg_loss_type
        self.test_score_thresh = test_score_thresh
        self.test_topk_candidates = test_topk_candidates
        self.test_nms_thresh = test_nms_thresh
        self.max_detections_per_image = max_detections_per_image
        self.vis_period = vis_period
        self.input_format = input_format

    @classmethod
    def from_config(cls, cfg):
        ret = super().from_config(cfg)
        backbone_shape = ret["backbone"].output_shape()
        r = cfg.MODEL.RETINANET
        feature_shapes = [backbone_shape[f] for f in r.IN_FEATURES]
        ret.update(
            head=RetinaNetHead(cfg, feature_shapes),
            anchor_generator=build_anchor_generator(cfg, feature_shapes),
            box2box_transform=Box2BoxTransform(weights=r.BBOX_REG_WEIGHTS),
            anchor_matcher=Matcher(r.IOU_THRESHOLDS, r.IOU_LABELS, allow_low_quality_matches=True),
            num_classes=r.NUM_CLASSES,
            head_in_features=r.IN_FEATURES,
            focal_loss_alpha=r.FOCAL_LOSS_ALPHA,
            focal_loss_gamma=r.FOCAL_LOSS_GAMMA,
            smooth_l1_beta=r.SMOOTH_L1_LOSS_BETA,
            box_reg_loss_type=r.BBOX_REG_LOSS_TYPE,
            test_score_thresh=r.SCORE_THRESH_TEST,
            test_topk_candidates=r.TOPK_CANDIDATES_TEST,
            test_nms_thresh=r.NMS_THRESH_TEST,
            max_detections_per_image=cfg.TEST.DETECTIONS_PER_IMAGE,
            vis_period=cfg.VIS_PERIOD,
            input_format=cfg.INPUT.FORMAT,
        )
        return ret

    def forward_training(self, images, features, predictions, gt_instances) -> Dict[str, torch.Tensor]:
        pred_logits, pred_anchor_deltas = self._transpose_dense_predictions(predictions, [self.num_classes, 4])
        anchors = self.anchor_generator(features)
        gt_labels, gt_boxes = self.label_anchors(anchors, gt_instances)
        return self.losses(anchors, pred_logits, gt_labels, pred_anchor_deltas, gt_boxes)

    def losses(
        self,
        anchors: List[Boxes],
        pred_logits: List[torch.Tensor],
        gt_labels: List[torch.Tensor],
        pred_anchor_deltas: List[torch.Tensor],
        gt_boxes: List[torch.Tensor],
    ) -> Dict[str, torch.Tensor]:
        """Focal loss over valid anchors and box regression over foreground ones, both divided by an EMA of the
        number of foreground anchors.

        Args:
            anchors: per level, Boxes (R_i anchors).
            pred_logits: per level, Tensor[N, R_i, K].
            gt_labels: per image, Tensor[R]: class, K = background, -1 = ignore.
            pred_anchor_deltas: per level, Tensor[N, R_i, 4].
            gt_boxes: per image, Tensor[R, 4].

        Returns:
            ``{"loss_cls", "loss_box_reg"}``.
        """
        gt_labels = torch.stack(gt_labels)  # (N, R)
        valid_mask = gt_labels >= 0
        pos_mask, normalizer = self._foreground_and_normalizer(gt_labels, 100)

        # one-hot over K + 1 then drop the background column: background anchors get all-zero targets
        gt_labels_target = F.one_hot(gt_labels[valid_mask], num_classes=self.num_classes + 1)[:, :-1]
        loss_cls = sigmoid_focal_loss_jit(
            cat(pred_logits, dim=1)[valid_mask],
            gt_labels_target.to(pred_logits[0].dtype),
            alpha=self.focal_loss_alpha,
            gamma=self.focal_loss_gamma,
            reduction="sum",
        )
        loss_box_reg = _dense_box_regression_loss(
            anchors,
            self.box2box_transform,
            pred_anchor_deltas,
            gt_boxes,
            pos_mask,
            box_reg_loss_type=self.box_reg_loss_type,
            smooth_l1_beta=self.smooth_l1_beta,
        )
        return {"loss_cls": loss_cls / normalizer, "loss_box_reg": loss_box_reg / normalizer}

    @torch.no_grad()
    def label_anchors(
        self, anchors: List[Boxes], gt_instances: List[Instances]
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Returns: per image, anchor labels Tensor[R] (class, K = background, -1 = ignore) and matched boxes
        Tensor[R, 4]."""
        anchors = Boxes.cat(anchors)  # (R, 4)
        gt_labels, matched_gt_boxes = [], []
        for gt_per_image in gt_instances:
            match_quality_matrix = pairwise_iou(gt_per_image.gt_boxes, anchors)
            matched_idxs, anchor_labels = self.anchor_matcher(match_quality_matrix)
            del match_quality_matrix
            if len(gt_per_image) > 0:
                matched_gt_boxes_i = gt_per_image.gt_boxes.tensor[matched_idxs]
            else:
                matched_gt_boxes_i = torch.zeros_like(anchors.tensor)
            gt_labels.append(
                _classes_of_matches(gt_per_image.gt_classes, matched_idxs, anchor_labels, self.num_classes)
            )
            matched_gt_boxes.append(matched_gt_boxes_i)
        return gt_labels, matched_gt_boxes

    def forward_inference(
        self, images: ImageList, features: List[torch.Tensor], predictions: List[List[torch.Tensor]]
    ) -> List[Instances]:
        pred_logits, pred_anchor_deltas = self._transpose_dense_predictions(predictions, [self.num_classes, 4])
        anchors = self.anchor_generator(features)
        results = []
        for img_idx, image_size in enumerate(images.image_sizes):
            # float(): rank and threshold in full precision under bf16 autocast
            scores_per_image = [x[img_idx].float().sigmoid_() for x in pred_logits]
            deltas_per_image = [x[img_idx] for x in pred_anchor_deltas]
            results.append(self.inference_single_image(anchors, scores_per_image, deltas_per_image, image_size))
        return results

    def inference_single_image(
        self,
        anchors: List[Boxes],
        box_cls: List[torch.Tensor],
        box_delta: List[torch.Tensor],
        image_size: Tuple[int, int],
    ) -> Instances:
        """Per-level top-k, then class-wise NMS over all levels, then the ``max_detections_per_image`` best.

        Args:
            anchors: per level, Boxes.
            box_cls: per level, Tensor[R_i, K] probabilities.
            box_delta: per level, Tensor[R_i, 4].
            image_size: (h, w) of the input image.
        """
        pred = self._decode_multi_level_predictions(
            anchors, box_cls, box_delta, self.test_score_thresh, self.test_topk_candidates, image_size
        )
        keep = batched_nms_topk(
            pred.pred_boxes.tensor, pred.scores, pred.pred_classes, self.test_nms_thresh, self.max_detections_per_image
        )
        return pred[keep]


class RetinaNetHead(nn.Module):
    """Two parallel conv towers (classification, box regression) shared across levels.

    Args:
        input_shape: per level, ShapeSpec (equal channels).
        num_classes: K.
        num_anchors: anchors per location A.
        conv_dims: output channels of each tower conv.
        norm: norm after each tower conv ("" for none). Detectron2's per-level BN ("BN"/"SyncBN" as
            `CycleBatchNormList`) is used for BN, so statistics are not shared across levels.
        prior_prob: initial foreground probability of the classifier (bias init).
    """

    @configurable
    def __init__(
        self,
        *,
        input_shape: List[ShapeSpec],
        num_classes: int,
        num_anchors: int,
        conv_dims: List[int],
        norm: str = "",
        prior_prob: float = 0.01,
    ):
        super().__init__()
        self._num_features = len(input_shape)
        if norm in ("BN", "SyncBN"):
            from detectra.layers import CycleBatchNormList

            bn_class = nn.BatchNorm2d if norm == "BN" else nn.SyncBatchNorm

            def norm(c):  # noqa: F811 - per-level BN, as in Detectron2
                return CycleBatchNormList(length=self._num_features, bn_class=bn_class, num_features=c)

        cls_subnet, bbox_subnet = [], []
        for in_channels, out_channels in zip([input_shape[0].channels] + list(conv_dims), conv_dims):
            cls_subnet.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1))
            if norm:
                cls_subnet.append(get_norm(norm, out_channels))
            cls_subnet.append(nn.ReLU())
            bbox_subnet.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1))
            if norm:
                bbox_subnet.append(get_norm(norm, out_channels))
            bbox_subnet.append(nn.ReLU())
        self.cls_subnet = nn.Sequential(*cls_subnet)
        self.bbox_subnet = nn.Sequential(*bbox_subnet)
        self.cls_score = nn.Conv2d(conv_dims[-1], num_anchors * num_classes, kernel_size=3, stride=1, padding=1)
        self.bbox_pred = nn.Conv2d(conv_dims[-1], num_anchors * 4, kernel_size=3, stride=1, padding=1)

        for modules in [self.cls_subnet, self.bbox_subnet, self.cls_score, self.bbox_pred]:
            for layer in modules.modules():
                if isinstance(layer, nn.Conv2d):
                    nn.init.normal_(layer.weight, mean=0, std=0.01)
                    nn.init.constant_(layer.bias, 0)
        # start with every anchor at foreground probability prior_prob: stable early focal loss
        bias_value = -(math.log((1 - prior_prob) / prior_prob))
        nn.init.constant_(self.cls_score.bias, bias_value)

    @classmethod
    def from_config(cls, cfg, input_shape: List[ShapeSpec]):
        num_anchors = build_anchor_generator(cfg, input_shape).num_cell_anchors
        if len(set(num_anchors)) != 1:
            raise ValueError(f"RetinaNet needs the same number of anchors on every level, got {num_anchors}.")
        r = cfg.MODEL.RETINANET
        return {
            "input_shape": input_shape,
            "num_classes": r.NUM_CLASSES,
            "conv_dims": [input_shape[0].channels] * r.NUM_CONVS,
            "prior_prob": r.PRIOR_PROB,
            "norm": r.NORM,
            "num_anchors": num_anchors[0],
        }

    def forward(self, features: List[torch.Tensor]) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Args:
            features: per level, Tensor[N, C, Hi, Wi].

        Returns:
            logits: per level, Tensor[N, A * K, Hi, Wi]; bbox_reg: per level, Tensor[N, A * 4, Hi, Wi].
        """
        if len(features) != self._num_features:
            raise ValueError(f"RetinaNetHead was built for {self._num_features} levels, got {len(features)}.")
        logits, bbox_reg = [], []
        for feature in features:
            logits.append(self.cls_score(self.cls_subnet(feature)))
            bbox_reg.append(self.bbox_pred(self.bbox_subnet(feature)))
        return logits, bbox_reg
