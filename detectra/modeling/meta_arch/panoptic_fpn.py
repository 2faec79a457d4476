"""Panoptic FPN (Kirillov et al., 2019): Mask R-CNN plus a semantic head on the same FPN, and the heuristic that
merges their outputs into one panoptic segmentation."""
import logging
from typing import Dict, List, Tuple

import torch
from torch import nn

from detectra.config import configurable
from detectra.structures import Instances

from ..postprocessing import detector_postprocess, sem_seg_postprocess
from .build import META_ARCH_REGISTRY
from .preprocess import batch_sem_seg_targets, requested_sizes
from .rcnn import GeneralizedRCNN
from .semantic_seg import build_sem_seg_head

__all__ = ["PanopticFPN", "combine_semantic_and_instance_outputs"]

logger = logging.getLogger(__name__)


@META_ARCH_REGISTRY.register()
class PanopticFPN(GeneralizedRCNN):
    """`GeneralizedRCNN` with a semantic segmentation head; outputs "instances", "sem_seg" and "panoptic_seg".

    Args:
        sem_seg_head: e.g. `SemSegFPNHead`; its class 0 stands for "any thing", classes 1.. for the stuff classes.
        combine_overlap_thresh: skip an instance whose mask is covered more than this by higher-scoring ones.
        combine_stuff_area_thresh: skip stuff regions smaller than this (pixels).
        combine_instances_score_thresh: skip instances scoring below this.
        **kwargs: `GeneralizedRCNN`'s arguments.
    """

    @configurable
    def __init__(
        self,
        *,
        sem_seg_head: nn.Module,
        combine_overlap_thresh: float = 0.5,
        combine_stuff_area_thresh: float = 4096,
        combine_instances_score_thresh: float = 0.5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sem_seg_head = sem_seg_head
        self.combine_overlap_thresh = combine_overlap_thresh
        self.combine_stuff_area_thresh = combine_stuff_area_thresh
        self.combine_instances_score_thresh = combine_instances_score_thresh

    @classmethod
    def from_config(cls, cfg):
        ret = super().from_config(cfg)
        combine = cfg.MODEL.PANOPTIC_FPN.COMBINE
        ret.update(
            combine_overlap_thresh=combine.OVERLAP_THRESH,
            combine_stuff_area_thresh=combine.STUFF_AREA_LIMIT,
            combine_instances_score_thresh=combine.INSTANCES_CONFIDENCE_THRESH,
        )
        ret["sem_seg_head"] = build_sem_seg_head(cfg, ret["backbone"].output_shape())
        if not combine.ENABLED:
            logger.warning(
                "MODEL.PANOPTIC_FPN.COMBINE.ENABLED is no longer used; call model.inference(batched_inputs, "
                "do_postprocess=False) to get the raw outputs."
            )
        w = cfg.MODEL.PANOPTIC_FPN.INSTANCE_LOSS_WEIGHT
        if w != 1.0:
            # As Detectron2: the weights the box predictor already lists (from a config, only loss_box_reg) and the
            # mask loss are scaled; loss_cls and the RPN's losses keep weight 1.
            roi_heads = ret["roi_heads"]
            predictors = roi_heads.box_predictor
            for predictor in predictors if isinstance(predictors, nn.ModuleList) else [predictors]:
                predictor.loss_weight = {name: v * w for name, v in predictor.loss_weight.items()}
            if getattr(roi_heads, "mask_on", False):
                roi_heads.mask_head.loss_weight = roi_heads.mask_head.loss_weight * w
        return ret

    def forward(self, batched_inputs: List[Dict[str, torch.Tensor]]):
        """Args:
            batched_inputs: per image, a dict with "image", and in training "instances" and "sem_seg" (Tensor[H, W]
                labels: 0 for things, 1.. for stuff classes, ``ignore_value`` unlabeled); optional "height" /
                "width".

        Returns:
            training: losses of the semantic head, the RPN and the ROI heads. Inference: see :meth:`inference`.
        """
        if not self.training:
            return self.inference(batched_inputs)
        images = self.preprocess_image(batched_inputs)
        features = self.backbone(images.tensor)

        if "sem_seg" not in batched_inputs[0] or "instances" not in batched_inputs[0]:
            raise ValueError("PanopticFPN needs 'instances' and 'sem_seg' ground truth in every training input.")
        gt_sem_seg = batch_sem_seg_targets(batched_inputs, self.device, self.backbone, self.sem_seg_head.ignore_value)
        _, sem_seg_losses = self.sem_seg_head(features, gt_sem_seg)

        gt_instances = [x["instances"].to(self.device) for x in batched_inputs]
        proposals, proposal_losses = self.proposal_generator(images, features, gt_instances)
        _, detector_losses = self.roi_heads(images, features, proposals, gt_instances)

        losses = dict(sem_seg_losses)
        losses.update(proposal_losses)
        losses.update(detector_losses)
        return losses

    def inference(self, batched_inputs: List[Dict[str, torch.Tensor]], do_postprocess: bool = True):
        """Returns:
            with postprocessing: per image ``{"instances", "sem_seg" (Tensor[C, height, width] logits),
            "panoptic_seg" (Tensor[height, width] int32 segment ids, list of segment-info dicts)}``; without:
            (per-image detector Instances, Tensor[N, C, H, W] semantic logits) at the network's resolution.
        """
        if self.training:
            raise RuntimeError("PanopticFPN.inference needs eval mode (model.eval()).")
        images = self.preprocess_image(batched_inputs)
        features = self.backbone(images.tensor)
        sem_seg_results, _ = self.sem_seg_head(features, None)
        proposals, _ = self.proposal_generator(images, features, None)
        detector_results, _ = self.roi_heads(images, features, proposals, None)

        if not do_postprocess:
            return detector_results, sem_seg_results

        processed_results = []
        sizes = requested_sizes(batched_inputs, images.image_sizes)
        for sem_seg_result, detector_result, image_size, (height, width) in zip(
            sem_seg_results, detector_results, images.image_sizes, sizes
        ):
            sem_seg_r = sem_seg_postprocess(sem_seg_result, image_size, height, width)
            detector_r = detector_postprocess(detector_result, height, width)
            panoptic_r = combine_semantic_and_instance_outputs(
                detector_r,
                sem_seg_r.argmax(dim=0),
                self.combine_overlap_thresh,
                self.combine_stuff_area_thresh,
                self.combine_instances_score_thresh,
            )
            processed_results.append({"sem_seg": sem_seg_r, "instances": detector_r, "panoptic_seg": panoptic_r})
        return processed_results


def combine_semantic_and_instance_outputs(
    instance_results: Instances,
    semantic_results: torch.Tensor,
    overlap_threshold: float,
    stuff_area_thresh: float,
    instances_score_thresh: float,
) -> Tuple[torch.Tensor, List[Dict]]:
    """Panoptic FPN's merge: paint instances by decreasing score (skipping low scores and mostly-hidden masks),
    then fill what is left with the stuff classes of the semantic prediction (skipping small regions).

    Args:
        instance_results: detections with ``scores``, ``pred_classes`` and full-image ``pred_masks`` (Tensor[N, H, W]).
        semantic_results: Tensor[H, W] semantic argmax; 0 = things, 1.. = stuff classes.
        overlap_threshold: skip an instance when more than this fraction of its mask is already painted.
        stuff_area_thresh: skip stuff regions with fewer pixels.
        instances_score_thresh: stop at the first instance scoring below this.

    Returns:
        panoptic_seg: Tensor[H, W] int32 segment ids (0 = void).
        segments_info: per segment, ``{"id", "isthing": True, "score", "category_id", "instance_id"}`` for things
        (category: contiguous thing class; instance_id: index into ``instance_results``) or ``{"id", "isthing":
        False, "category_id", "area"}`` for stuff (category: the semantic label).
    """
    panoptic_seg = torch.zeros_like(semantic_results, dtype=torch.int32)
    sorted_inds = torch.argsort(-instance_results.scores)
    current_segment_id = 0
    segments_info = []
    instance_masks = instance_results.pred_masks.to(dtype=torch.bool, device=panoptic_seg.device)

    for inst_id in sorted_inds:
        score = instance_results.scores[inst_id].item()
        if score < instances_score_thresh:
            break
        mask = instance_masks[inst_id]  # (H, W)
        mask_area = mask.sum().item()
        if mask_area == 0:
            continue
        intersect_area = (mask & (panoptic_seg > 0)).sum().item()
        if intersect_area * 1.0 / mask_area > overlap_threshold:
            continue
        if intersect_area > 0:
            mask = mask & (panoptic_seg == 0)
        current_segment_id += 1
        panoptic_seg[mask] = current_segment_id
        segments_info.append(
            {
                "id": current_segment_id,
                "isthing": True,
                "score": score,
                "category_id": instance_results.pred_classes[inst_id].item(),
                "instance_id": inst_id.item(),
            }
        )

    for semantic_label in torch.unique(semantic_results).cpu().tolist():
        if semantic_label == 0:  # the "things" class of the semantic head
            continue
        mask = (semantic_results == semantic_label) & (panoptic_seg == 0)
        mask_area = mask.sum().item()
        if mask_area < stuff_area_thresh:
            continue
        current_segment_id += 1
        panoptic_seg[mask] = current_segment_id
        segments_info.append(
            {"id": current_segment_id, "isthing": False, "category_id": semantic_label, "area": mask_area}
        )
    return panoptic_seg, segments_info
