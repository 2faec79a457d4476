"""`FastRCNNOutputLayers`: per-ROI class scores and box deltas, their losses, and `fast_rcnn_inference`."""
import logging
from typing import Callable, Dict, List, Optional, Tuple, Type, Union

import torch
from torch import nn
from torch.nn import functional as F

from detectra.config import configurable
from detectra.data.detection_utils import get_fed_loss_cls_weights
from detectra.layers import (
    ShapeSpec,
    batched_nms_topk,
    cat,
    cross_entropy,
    is_exporting,
    nonzero_tuple,
    split_per_image,
)
from detectra.structures import Boxes, Instances
from detectra.utils.events import get_event_storage
from detectra.utils.precision import float32_call

from ..box_regression import Box2BoxTransform, _dense_box_regression_loss, _loss_weight_dict

__all__ = ["fast_rcnn_inference", "fast_rcnn_inference_single_image", "FastRCNNOutputLayers"]

logger = logging.getLogger(__name__)

# Shapes used below: N proposals in the batch, K foreground classes, R box-regression classes (K or 1), B = 4 (5
# for rotated boxes).


def fast_rcnn_inference(
    boxes: List[torch.Tensor],
    scores: List[torch.Tensor],
    image_shapes: List[Tuple[int, int]],
    score_thresh: float,
    nms_thresh: float,
    topk_per_image: int,
    *,
    box_type: Type[Boxes] = Boxes,
) -> Tuple[List[Instances], List[torch.Tensor]]:
    """Per image: score threshold, per-class NMS, keep the ``topk_per_image`` best.

    Args:
        boxes: per image, Tensor[Ri, K * B] (or [Ri, B] class-agnostic) predicted boxes, B = ``box_type.box_dim``.
        scores: per image, Tensor[Ri, K + 1] class probabilities (last column: background).
        image_shapes: per image, (h, w) to clip to (`RotatedBoxes` clip only their nearly horizontal boxes).
        score_thresh: keep detections with a score above this.
        nms_thresh: IoU threshold of the per-class NMS (rotated IoU for `RotatedBoxes`).
        topk_per_image: maximum detections per image (< 0: all).
        box_type: `Boxes` (XYXY_ABS) or `RotatedBoxes` (see `fast_rcnn_inference_rotated`).

    Returns:
        instances: per image, Instances with ``pred_boxes`` (of ``box_type``), ``scores``, ``pred_classes``.
        kept_indices: per image, index of the proposal each detection came from.
    """
    result_per_image = [
        fast_rcnn_inference_single_image(b, s, shape, score_thresh, nms_thresh, topk_per_image, box_type=box_type)
        for s, b, shape in zip(scores, boxes, image_shapes)
    ]
    return [x[0] for x in result_per_image], [x[1] for x in result_per_image]


def fast_rcnn_inference_single_image(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    image_shape: Tuple[int, int],
    score_thresh: float,
    nms_thresh: float,
    topk_per_image: int,
    *,
    box_type: Type[Boxes] = Boxes,
) -> Tuple[Instances, torch.Tensor]:
    """`fast_rcnn_inference` for one image."""
    box_dim = box_type.box_dim
    valid_mask = torch.isfinite(boxes).all(dim=1) & torch.isfinite(scores).all(dim=1)
    if is_exporting() or not valid_mask.all():  # an exported graph always filters
        boxes, scores = boxes[valid_mask], scores[valid_mask]

    scores = scores[:, :-1]  # drop background
    num_bbox_reg_classes = boxes.shape[1] // box_dim
    boxes = box_type(boxes.reshape(-1, box_dim))
    boxes.clip(image_shape)
    boxes = boxes.tensor.view(-1, num_bbox_reg_classes, box_dim)  # (R, C, B)

    filter_mask = scores > score_thresh  # (R, K)
    # rows: proposal index, class index
    filter_inds = filter_mask.nonzero()
    if num_bbox_reg_classes == 1:
        boxes = boxes[filter_inds[:, 0], 0]
    else:
        boxes = boxes[filter_mask]
    scores = scores[filter_mask]

    keep = batched_nms_topk(boxes, scores, filter_inds[:, 1], nms_thresh, topk_per_image)
    boxes, scores, filter_inds = boxes[keep], scores[keep], filter_inds[keep]

    result = Instances(image_shape)
    result.pred_boxes = box_type(boxes)
    result.scores = scores
    result.pred_classes = filter_inds[:, 1]
    return result, filter_inds[:, 0]


def _log_classification_stats(pred_logits: torch.Tensor, gt_classes: torch.Tensor, prefix: str = "fast_rcnn") -> None:
    """Put accuracy, foreground accuracy and false-negative rate of the classifier into the event storage."""
    num_instances = gt_classes.numel()
    if num_instances == 0:
        return
    pred_classes = pred_logits.argmax(dim=1)
    bg_class_ind = pred_logits.shape[1] - 1
    fg_inds = (gt_classes >= 0) & (gt_classes < bg_class_ind)
    num_fg = fg_inds.nonzero().numel()
    fg_gt_classes = gt_classes[fg_inds]
    fg_pred_classes = pred_classes[fg_inds]
    num_false_negative = (fg_pred_classes == bg_class_ind).nonzero().numel()
    num_accurate = (pred_classes == gt_classes).nonzero().numel()
    fg_num_accurate = (fg_pred_classes == fg_gt_classes).nonzero().numel()

    storage = get_event_storage()
    storage.put_scalar(f"{prefix}/cls_accuracy", num_accurate / num_instances)
    if num_fg > 0:
        storage.put_scalar(f"{prefix}/fg_cls_accuracy", fg_num_accurate / num_fg)
        storage.put_scalar(f"{prefix}/false_negative", num_false_negative / num_fg)


def _get_fed_loss_classes(
    gt_classes: torch.Tensor, num_fed_loss_classes: int, num_classes: int, weight: torch.Tensor
) -> torch.Tensor:
    """Classes for the federated loss: every class present in the batch, plus negatives sampled by ``weight``."""
    unique_gt_classes = torch.unique(gt_classes)
    prob = unique_gt_classes.new_ones(num_classes + 1).float()
    prob[-1] = 0
    if len(unique_gt_classes) < num_fed_loss_classes:
        prob[:num_classes] = weight.float().clone()
        prob[unique_gt_classes] = 0
        sampled_negative_classes = torch.multinomial(
            prob, num_fed_loss_classes - len(unique_gt_classes), replacement=False
        )
        return torch.cat([unique_gt_classes, sampled_negative_classes])
    return unique_gt_classes


class FastRCNNOutputLayers(nn.Module):
    """Two linear layers on ROI features: ``cls_score`` (K + 1 logits, last = background) and ``bbox_pred``
    (R * 4 deltas).

    Args:
        input_shape: shape of the per-ROI feature (flattened), or its channel count.
        box2box_transform: decodes ``bbox_pred``.
        num_classes: K foreground classes.
        test_score_thresh, test_nms_thresh, test_topk_per_image: see `fast_rcnn_inference`.
        cls_agnostic_bbox_reg: one box per ROI instead of one per class.
        smooth_l1_beta: beta of the smooth L1 loss (0: L1).
        box_reg_loss_type: "smooth_l1", "giou", "diou" or "ciou".
        loss_weight: one weight for both losses, or ``{"loss_cls": w1, "loss_box_reg": w2}``.
        use_fed_loss: federated loss (LVIS): sigmoid CE over present + sampled classes; needs ``use_sigmoid_ce``.
        use_sigmoid_ce: per-class sigmoid BCE instead of softmax CE.
        get_fed_loss_cls_weights: callable returning Tensor[K] sampling weights of negative classes.
        fed_loss_num_classes: number of classes the federated loss uses per batch.
    """

    box_type: Type[Boxes] = Boxes  # the class of the predicted boxes

    @configurable
    def __init__(
        self,
        input_shape: Union[ShapeSpec, int],
        *,
        box2box_transform: Box2BoxTransform,
        num_classes: int,
        test_score_thresh: float = 0.0,
        test_nms_thresh: float = 0.5,
        test_topk_per_image: int = 100,
        cls_agnostic_bbox_reg: bool = False,
        smooth_l1_beta: float = 0.0,
        box_reg_loss_type: str = "smooth_l1",
        loss_weight: Union[float, Dict[str, float]] = 1.0,
        use_fed_loss: bool = False,
        use_sigmoid_ce: bool = False,
        get_fed_loss_cls_weights: Optional[Callable[[], torch.Tensor]] = None,
        fed_loss_num_classes: int = 50,
    ):
        super().__init__()
        if isinstance(input_shape, int):
            input_shape = ShapeSpec(channels=input_shape)
        self.num_classes = num_classes
        input_size = input_shape.channels * (input_shape.width or 1) * (input_shape.height or 1)
        self.cls_score = nn.Linear(input_size, num_classes + 1)
        num_bbox_reg_classes = 1 if cls_agnostic_bbox_reg else num_classes
        box_dim = len(box2box_transform.weights)
        self.bbox_pred = nn.Linear(input_size, num_bbox_reg_classes * box_dim)
        nn.init.normal_(self.cls_score.weight, std=0.01)
        nn.init.normal_(self.bbox_pred.weight, std=0.001)
        for layer in [self.cls_score, self.bbox_pred]:
            nn.init.constant_(layer.bias, 0)

        self.box2box_transform = box2box_transform
        self.smooth_l1_beta = smooth_l1_beta
        self.test_score_thresh = test_score_thresh
        self.test_nms_thresh = test_nms_thresh
        self.test_topk_per_image = test_topk_per_image
        self.box_reg_loss_type = box_reg_loss_type
        self.loss_weight = _loss_weight_dict(loss_weight, ("loss_cls", "loss_box_reg"))
        self.use_fed_loss = use_fed_loss
        self.use_sigmoid_ce = use_sigmoid_ce
        self.fed_loss_num_classes = fed_loss_num_classes
        if self.use_fed_loss:
            if not self.use_sigmoid_ce:
                raise ValueError("The federated loss needs MODEL.ROI_BOX_HEAD.USE_SIGMOID_CE=True.")
            if get_fed_loss_cls_weights is None:
                raise ValueError("use_fed_loss=True needs get_fed_loss_cls_weights.")
            fed_loss_cls_weights = get_fed_loss_cls_weights()
            if len(fed_loss_cls_weights) != self.num_classes:
                raise ValueError(
                    f"Federated loss class weights have {len(fed_loss_cls_weights)} entries for "
                    f"{self.num_classes} classes; check DATASETS.TRAIN and MODEL.ROI_HEADS.NUM_CLASSES."
                )
            self.register_buffer("fed_loss_cls_weights", fed_loss_cls_weights)

    @classmethod
    def from_config(cls, cfg, input_shape):
        box_head = cfg.MODEL.ROI_BOX_HEAD

        def fed_loss_weights() -> torch.Tensor:
            return get_fed_loss_cls_weights(
                dataset_names=cfg.DATASETS.TRAIN, freq_weight_power=box_head.FED_LOSS_FREQ_WEIGHT_POWER
            )

        return {
            "input_shape": input_shape,
            "box2box_transform": Box2BoxTransform(weights=box_head.BBOX_REG_WEIGHTS),
            "num_classes": cfg.MODEL.ROI_HEADS.NUM_CLASSES,
            "cls_agnostic_bbox_reg": box_head.CLS_AGNOSTIC_BBOX_REG,
            "smooth_l1_beta": box_head.SMOOTH_L1_BETA,
            "test_score_thresh": cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST,
            "test_nms_thresh": cfg.MODEL.ROI_HEADS.NMS_THRESH_TEST,
            "test_topk_per_image": cfg.TEST.DETECTIONS_PER_IMAGE,
            "box_reg_loss_type": box_head.BBOX_REG_LOSS_TYPE,
            "loss_weight": {"loss_box_reg": box_head.BBOX_REG_LOSS_WEIGHT},
            "use_fed_loss": box_head.USE_FED_LOSS,
            "use_sigmoid_ce": box_head.USE_SIGMOID_CE,
            "get_fed_loss_cls_weights": fed_loss_weights,
            "fed_loss_num_classes": box_head.FED_LOSS_NUM_CLASSES,
        }

    def get_fed_loss_classes(
        self, gt_classes: torch.Tensor, num_fed_loss_classes: int, num_classes: int, weight: torch.Tensor
    ) -> torch.Tensor:
        """The classes the federated loss covers in this batch: every ground-truth class, plus negatives sampled
        with probability ``weight`` (Tensor[K]) up to ``num_fed_loss_classes``. Override to change the sampling."""
        return _get_fed_loss_classes(gt_classes, num_fed_loss_classes, num_classes, weight)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Args: x: Tensor[N, ...] per-ROI features. Returns: scores Tensor[N, K + 1], deltas Tensor[N, R * 4]."""
        if x.dim() > 2:
            x = torch.flatten(x, start_dim=1)
        if self.training:
            return self.cls_score(x), self.bbox_pred(x)
        # at inference under autocast in float32: the scores order NMS and the top-k, the deltas place the boxes
        return float32_call(x, self.cls_score, self.bbox_pred)

    def losses(
        self, predictions: Tuple[torch.Tensor, torch.Tensor], proposals: List[Instances]
    ) -> Dict[str, torch.Tensor]:
        """Args:
            predictions: the output of :meth:`forward`.
            proposals: per image, the sampled proposals with ``proposal_boxes``, ``gt_classes`` and (when the
                image has ground truth) ``gt_boxes``.

        Returns:
            ``{"loss_cls", "loss_box_reg"}``.
        """
        scores, proposal_deltas = predictions
        gt_classes = (
            cat([p.gt_classes for p in proposals], dim=0)
            if len(proposals)
            else torch.empty(0, dtype=torch.int64, device=scores.device)
        )
        _log_classification_stats(scores, gt_classes)

        if len(proposals):
            proposal_boxes = cat([p.proposal_boxes.tensor for p in proposals], dim=0)  # (N, 4)
            if proposal_boxes.requires_grad:
                raise RuntimeError("Proposals should not require gradients.")
            # images without ground truth have only background proposals: their "gt" box is never used
            gt_boxes = cat(
                [(p.gt_boxes if p.has("gt_boxes") else p.proposal_boxes).tensor for p in proposals], dim=0
            )
        else:
            proposal_boxes = gt_boxes = torch.empty((0, 4), device=proposal_deltas.device)

        if self.use_sigmoid_ce:
            loss_cls = self.sigmoid_cross_entropy_loss(scores, gt_classes)
        else:
            loss_cls = cross_entropy(scores, gt_classes, reduction="mean")
        losses = {
            "loss_cls": loss_cls,
            "loss_box_reg": self.box_reg_loss(proposal_boxes, gt_boxes, proposal_deltas, gt_classes),
        }
        return {k: v * self.loss_weight.get(k, 1.0) for k, v in losses.items()}

    def sigmoid_cross_entropy_loss(self, pred_class_logits: torch.Tensor, gt_classes: torch.Tensor) -> torch.Tensor:
        """Per-class BCE over the K foreground logits (background = all zeros), averaged over ROIs; restricted to the
        federated classes when ``use_fed_loss``."""
        if pred_class_logits.numel() == 0:
            return pred_class_logits.new_zeros([1])[0]
        n = pred_class_logits.shape[0]
        k = pred_class_logits.shape[1] - 1
        target = pred_class_logits.new_zeros(n, k + 1)
        target[range(len(gt_classes)), gt_classes] = 1
        target = target[:, :k]
        cls_loss = F.binary_cross_entropy_with_logits(pred_class_logits[:, :-1], target, reduction="none")
        if self.use_fed_loss:
            fed_loss_classes = self.get_fed_loss_classes(
                gt_classes, self.fed_loss_num_classes, num_classes=k, weight=self.fed_loss_cls_weights
            )
            fed_loss_classes_mask = fed_loss_classes.new_zeros(k + 1)
            fed_loss_classes_mask[fed_loss_classes] = 1
            weight = fed_loss_classes_mask[:k].view(1, k).expand(n, k).float()
        else:
            weight = 1
        return torch.sum(cls_loss * weight) / n

    def box_reg_loss(
        self, proposal_boxes: torch.Tensor, gt_boxes: torch.Tensor, pred_deltas: torch.Tensor, gt_classes: torch.Tensor
    ) -> torch.Tensor:
        """Box regression loss over foreground ROIs (of their ground-truth class), normalised by the number of ROIs.

        Args:
            proposal_boxes, gt_boxes: Tensor[N, 4].
            pred_deltas: Tensor[N, R * 4].
            gt_classes: Tensor[N]; K = background, -1 = ignored.
        """
        box_dim = proposal_boxes.shape[1]
        fg_inds = nonzero_tuple((gt_classes >= 0) & (gt_classes < self.num_classes))[0]
        if pred_deltas.shape[1] == box_dim:  # class-agnostic
            fg_pred_deltas = pred_deltas[fg_inds]
        else:
            fg_pred_deltas = pred_deltas.view(-1, self.num_classes, box_dim)[fg_inds, gt_classes[fg_inds]]
        loss_box_reg = _dense_box_regression_loss(
            [proposal_boxes[fg_inds]],
            self.box2box_transform,
            [fg_pred_deltas.unsqueeze(0)],
            [gt_boxes[fg_inds]],
            ...,
            self.box_reg_loss_type,
            self.smooth_l1_beta,
        )
        # normalise by all ROIs, not just foreground ones (as the Fast R-CNN paper)
        return loss_box_reg / max(gt_classes.numel(), 1.0)

    def inference(
        self, predictions: Tuple[torch.Tensor, torch.Tensor], proposals: List[Instances]
    ) -> Tuple[List[Instances], List[torch.Tensor]]:
        """Returns: the output of `fast_rcnn_inference` for these predictions."""
        boxes = self.predict_boxes(predictions, proposals)
        scores = self.predict_probs(predictions, proposals)
        image_shapes = [x.image_size for x in proposals]
        return fast_rcnn_inference(
            boxes,
            scores,
            image_shapes,
            self.test_score_thresh,
            self.test_nms_thresh,
            self.test_topk_per_image,
            box_type=self.box_type,
        )

    def _apply_deltas_to_proposals(self, proposal_deltas: torch.Tensor, proposals: List[Instances]) -> torch.Tensor:
        """Every proposal of the batch decoded with each of its R class deltas: Tensor[N, R * B]."""
        proposal_boxes = cat([p.proposal_boxes.tensor for p in proposals], dim=0)  # (N, B)
        return self.box2box_transform.apply_deltas(proposal_deltas, proposal_boxes)

    def predict_boxes_for_gt_classes(
        self, predictions: Tuple[torch.Tensor, torch.Tensor], proposals: List[Instances]
    ) -> List[torch.Tensor]:
        """Returns: per image, Tensor[Ri, 4]: each proposal's box for its ``gt_classes`` (clamped to a valid class)."""
        if not len(proposals):
            return []
        predict_boxes = self._apply_deltas_to_proposals(predictions[1], proposals)  # (N, R * B)
        n, b = predict_boxes.shape[0], len(self.box2box_transform.weights)
        k = predict_boxes.shape[1] // b
        if k > 1:
            gt_classes = torch.cat([p.gt_classes for p in proposals], dim=0)
            gt_classes = gt_classes.clamp_(0, k - 1)  # background proposals: any class's box, unused
            rows = torch.arange(n, dtype=torch.long, device=predict_boxes.device)
            predict_boxes = predict_boxes.view(n, k, b)[rows, gt_classes]
        return predict_boxes.split([len(p) for p in proposals])

    def predict_boxes(
        self, predictions: Tuple[torch.Tensor, torch.Tensor], proposals: List[Instances]
    ) -> List[torch.Tensor]:
        """Returns: per image, Tensor[Ri, R * 4] decoded boxes."""
        if not len(proposals):
            return []
        return split_per_image(self._apply_deltas_to_proposals(predictions[1], proposals), proposals)

    def predict_probs(
        self, predictions: Tuple[torch.Tensor, torch.Tensor], proposals: List[Instances]
    ) -> List[torch.Tensor]:
        """Returns: per image, Tensor[Ri, K + 1] class probabilities."""
        scores, _ = predictions
        scores = scores.float()  # under bf16 autocast: rank and threshold in full precision
        if self.use_sigmoid_ce:
            probs = scores.sigmoid()
        else:
            probs = F.softmax(scores, dim=-1)
        return split_per_image(probs, proposals)
