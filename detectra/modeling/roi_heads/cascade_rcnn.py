"""Cascade R-CNN's ROI heads: a sequence of box stages, each refining the previous stage's boxes and trained at a
higher IoU threshold (Cai & Vasconcelos, 2018)."""
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn
from torch.autograd.function import Function

from detectra.config import configurable
from detectra.layers import ShapeSpec
from detectra.structures import Boxes, Instances, pairwise_iou
from detectra.utils.events import get_event_storage

from ..box_regression import Box2BoxTransform
from ..matcher import Matcher, _classes_of_matches
from ..poolers import ROIPooler
from .box_head import build_box_head
from .fast_rcnn import FastRCNNOutputLayers, fast_rcnn_inference
from .roi_heads import ROI_HEADS_REGISTRY, StandardROIHeads

__all__ = ["CascadeROIHeads"]


class _ScaleGradient(Function):
    """Identity forward; multiplies the gradient by ``scale`` backward."""

    @staticmethod
    def forward(ctx, input: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return input

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        return grad_output * ctx.scale, None


@ROI_HEADS_REGISTRY.register()
class CascadeROIHeads(StandardROIHeads):
    """`StandardROIHeads` with a cascade of box stages; the mask / keypoint branches run on the last stage's boxes.

    Stage k > 0 takes stage k-1's regressed boxes (detached) as proposals; in training they are re-matched to the
    ground truth with stage k's IoU threshold. At test time the class scores are averaged over stages and the boxes
    come from the last stage. The gradient reaching the shared pooled features is scaled by 1 / num_stages.

    Args:
        box_in_features, box_pooler: as in `StandardROIHeads`.
        box_heads: one box head per stage (``roi_heads.box_head.{k}.*`` in checkpoints).
        box_predictors: one `FastRCNNOutputLayers` per stage, each with its stage's ``Box2BoxTransform`` weights.
        proposal_matchers: one `Matcher` per stage (its IoU threshold); the first also samples the proposals.
        **kwargs: the other `StandardROIHeads` arguments (mask / keypoint branches, ...).
    """

    @configurable
    def __init__(
        self,
        *,
        box_in_features: List[str],
        box_pooler: ROIPooler,
        box_heads: List[nn.Module],
        box_predictors: List[nn.Module],
        proposal_matchers: List[Matcher],
        **kwargs,
    ):
        if "proposal_matcher" in kwargs:
            raise ValueError("CascadeROIHeads takes proposal_matchers (one per stage), not proposal_matcher.")
        num_stages = self.num_cascade_stages = len(box_heads)
        if not (len(box_predictors) == len(proposal_matchers) == num_stages and num_stages > 0):
            raise ValueError(
                f"CascadeROIHeads needs as many box heads ({num_stages}), box predictors ({len(box_predictors)}) "
                f"and proposal matchers ({len(proposal_matchers)}), at least one."
            )
        # the first stage's matcher labels the sampled proposals, as in StandardROIHeads
        kwargs["proposal_matcher"] = proposal_matchers[0]
        super().__init__(
            box_in_features=box_in_features,
            box_pooler=box_pooler,
            box_head=nn.ModuleList(box_heads),
            box_predictor=nn.ModuleList(box_predictors),
            **kwargs,
        )
        self.proposal_matchers = proposal_matchers

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]):
        ret = super().from_config(cfg, input_shape)
        ret.pop("proposal_matcher")
        return ret

    @classmethod
    def _init_box_head(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        cascade_bbox_reg_weights = cfg.MODEL.ROI_BOX_CASCADE_HEAD.BBOX_REG_WEIGHTS
        cascade_ious = cfg.MODEL.ROI_BOX_CASCADE_HEAD.IOUS
        if len(cascade_bbox_reg_weights) != len(cascade_ious):
            raise ValueError(
                f"MODEL.ROI_BOX_CASCADE_HEAD: BBOX_REG_WEIGHTS has {len(cascade_bbox_reg_weights)} entries but IOUS "
                f"has {len(cascade_ious)}; give one of each per stage."
            )
        if not cfg.MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG:
            raise ValueError("CascadeROIHeads supports class-agnostic box regression only: set "
                             "MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG=True.")
        if cascade_ious[0] != cfg.MODEL.ROI_HEADS.IOU_THRESHOLDS[0]:
            raise ValueError(
                f"MODEL.ROI_BOX_CASCADE_HEAD.IOUS[0] ({cascade_ious[0]}) must equal MODEL.ROI_HEADS.IOU_THRESHOLDS[0] "
                f"({cfg.MODEL.ROI_HEADS.IOU_THRESHOLDS[0]}): the first stage samples with it."
            )
        in_features, box_pooler, pooled_shape = cls._init_pooler(cfg.MODEL.ROI_BOX_HEAD, cfg, input_shape)

        box_heads, box_predictors, proposal_matchers = [], [], []
        for match_iou, bbox_reg_weights in zip(cascade_ious, cascade_bbox_reg_weights):
            box_head = build_box_head(cfg, pooled_shape)
            box_heads.append(box_head)
            box_predictors.append(
                FastRCNNOutputLayers(
                    cfg, box_head.output_shape, box2box_transform=Box2BoxTransform(weights=bbox_reg_weights)
                )
            )
            proposal_matchers.append(Matcher([match_iou], [0, 1], allow_low_quality_matches=False))
        return {
            "box_in_features": in_features,
            "box_pooler": box_pooler,
            "box_heads": box_heads,
            "box_predictors": box_predictors,
            "proposal_matchers": proposal_matchers,
        }

    def _box_losses(
        self, features: Dict[str, torch.Tensor], proposals: List[Instances], targets: List[Instances]
    ) -> Dict[str, torch.Tensor]:
        # every stage after the first re-matches its boxes to the targets; the mask / keypoint branches keep the
        # first stage's samples
        return self._forward_box(features, proposals, targets)

    def _forward_box(
        self, features: Dict[str, torch.Tensor], proposals: List[Instances], targets: Optional[List[Instances]] = None
    ):
        """Training: losses of every stage, suffixed ``_stage{k}``. Inference: per-image predicted Instances."""
        features = [features[f] for f in self.box_in_features]
        head_outputs: List[Tuple[nn.Module, Tuple[torch.Tensor, torch.Tensor], List[Instances]]] = []
        prev_pred_boxes = None
        image_sizes = [x.image_size for x in proposals]
        for k in range(self.num_cascade_stages):
            if k > 0:
                proposals = self._create_proposals_from_boxes(prev_pred_boxes, image_sizes)
                if self.training:
                    proposals = self._match_and_label_boxes(proposals, k, targets)
            predictions = self._run_stage(features, proposals, k)
            prev_pred_boxes = self.box_predictor[k].predict_boxes(predictions, proposals)
            head_outputs.append((self.box_predictor[k], predictions, proposals))

        if self.training:
            losses = {}
            storage = get_event_storage()
            for stage, (predictor, predictions, stage_proposals) in enumerate(head_outputs):
                with storage.name_scope(f"stage{stage}"):
                    stage_losses = predictor.losses(predictions, stage_proposals)
                losses.update({f"{name}_stage{stage}": v for name, v in stage_losses.items()})
            return losses

        # the ensemble of classifiers scores the last stage's boxes
        scores_per_stage = [h[0].predict_probs(h[1], h[2]) for h in head_outputs]
        scores = [
            sum(list(scores_per_image)) * (1.0 / self.num_cascade_stages)
            for scores_per_image in zip(*scores_per_stage)
        ]
        predictor, predictions, proposals = head_outputs[-1]
        boxes = predictor.predict_boxes(predictions, proposals)
        pred_instances, _ = fast_rcnn_inference(
            boxes,
            scores,
            image_sizes,
            predictor.test_score_thresh,
            predictor.test_nms_thresh,
            predictor.test_topk_per_image,
        )
        return pred_instances

    @torch.no_grad()
    def _match_and_label_boxes(self, proposals: List[Instances], stage: int, targets: List[Instances]) -> List[Instances]:
        """Label stage ``stage``'s proposals with ``gt_classes`` / ``gt_boxes`` by its matcher; no subsampling.

        Args:
            proposals: per image, Instances with ``proposal_boxes``.
            stage: the stage index (selects the matcher).
            targets: per image, ground truth with ``gt_boxes`` and ``gt_classes``.
        """
        num_fg_samples, num_bg_samples = [], []
        for proposals_per_image, targets_per_image in zip(proposals, targets):
            match_quality_matrix = pairwise_iou(targets_per_image.gt_boxes, proposals_per_image.proposal_boxes)
            matched_idxs, proposal_labels = self.proposal_matchers[stage](match_quality_matrix)  # (R,), (R,)
            if len(targets_per_image) > 0:
                gt_boxes = targets_per_image.gt_boxes[matched_idxs]
            else:
                gt_boxes = Boxes(targets_per_image.gt_boxes.tensor.new_zeros((len(proposals_per_image), 4)))
            proposals_per_image.gt_classes = _classes_of_matches(
                targets_per_image.gt_classes, matched_idxs, proposal_labels, self.num_classes
            )
            proposals_per_image.gt_boxes = gt_boxes
            num_fg_samples.append((proposal_labels == 1).sum().item())
            num_bg_samples.append(proposal_labels.numel() - num_fg_samples[-1])

        storage = get_event_storage()
        storage.put_scalar(f"stage{stage}/roi_head/num_fg_samples", sum(num_fg_samples) / len(num_fg_samples))
        storage.put_scalar(f"stage{stage}/roi_head/num_bg_samples", sum(num_bg_samples) / len(num_bg_samples))
        return proposals

    def _run_stage(self, features: List[torch.Tensor], proposals: List[Instances], stage: int):
        """Pool, run stage ``stage``'s box head and predictor. Returns (scores, deltas)."""
        box_features = self.box_pooler(features, [x.proposal_boxes for x in proposals])
        # every stage back-propagates into the same features: keep their total gradient at one stage's scale
        if self.training:
            box_features = _ScaleGradient.apply(box_features, 1.0 / self.num_cascade_stages)
        box_features = self.box_head[stage](box_features)
        return self.box_predictor[stage](box_features)

    def _create_proposals_from_boxes(self, boxes: List[torch.Tensor], image_sizes: List[Tuple[int, int]]):
        """Detached, clipped boxes as next-stage proposals (empty boxes dropped in training)."""
        proposals = []
        for boxes_per_image, image_size in zip(boxes, image_sizes):
            boxes_per_image = Boxes(boxes_per_image.detach())
            boxes_per_image.clip(image_size)
            if self.training:
                boxes_per_image = boxes_per_image[boxes_per_image.nonempty()]
            prop = Instances(image_size)
            prop.proposal_boxes = boxes_per_image
            proposals.append(prop)
        return proposals
