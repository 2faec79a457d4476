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
                # argmax's labels (the first of tied maxima too), about twice as fast over the channels on the CPU
                sem_seg_r.max(dim=0).indices,
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
    sorted_scores = instance_results.scores[sorted_inds].tolist()
    instance_masks = instance_results.pred_masks.to(dtype=torch.bool, device=panoptic_seg.device)
    # every pixel test below runs inside the mask's bounding box (a pasted mask covers a few percent of the image)
    extents = _mask_extents(instance_masks)
    for inst_id, score in zip(sorted_inds.tolist(), sorted_scores):
        if score < instances_score_thresh:
            break
        y0, y1, x0, x1 = extents[inst_id]
        if y1 <= y0:  # empty mask
            continue
        mask = instance_masks[inst_id, y0:y1, x0:x1]
        painted = panoptic_seg[y0:y1, x0:x1]  # a view: writes land in panoptic_seg
        mask_area = mask.sum().item()
        intersect_area = (mask & (painted > 0)).sum().item()
        if intersect_area * 1.0 / mask_area > overlap_threshold:
            continue
        if intersect_area > 0:
            mask = mask & (painted == 0)
        current_segment_id += 1
        painted[mask] = current_segment_id
        segments_info.append(
            {
                "id": current_segment_id,
                "isthing": True,
                "score": score,
                "category_id": instance_results.pred_classes[inst_id].item(),
                "instance_id": inst_id,
            }
        )

    # stuff: each semantic label's unclaimed pixels, in increasing label order (regions of different labels are
    # disjoint, so one pass counts them all and one paints them)
    free = panoptic_seg == 0
    labels, areas = _free_area_per_label(semantic_results, free)
    segment_ids = torch.zeros(len(labels), dtype=torch.int32, device=panoptic_seg.device)
    for k, (semantic_label, mask_area) in enumerate(zip(labels.tolist(), areas.tolist())):
        if semantic_label == 0 or mask_area < stuff_area_thresh:  # 0: the "things" class of the semantic head
            continue
        current_segment_id += 1
        segment_ids[k] = current_segment_id
        segments_info.append(
            {"id": current_segment_id, "isthing": False, "category_id": semantic_label, "area": mask_area}
        )
    if len(labels):
        panoptic_seg = torch.where(free, segment_ids[torch.searchsorted(labels, semantic_results)], panoptic_seg)
    return panoptic_seg, segments_info


def _mask_extents(masks: torch.Tensor) -> List[Tuple[int, int, int, int]]:
    """Per mask of ``masks`` (Tensor[N, H, W] bool), the bounding rows / columns ``(y0, y1, x0, x1)``, end
    exclusive; ``y1 <= y0`` for an empty mask."""
    if masks.shape[0] == 0:
        return []
    height, width = masks.shape[1:]
    as_bytes = masks.view(torch.uint8)  # max over bytes: several times faster than any() over bools on the CPU
    rows, cols = as_bytes.amax(dim=2), as_bytes.amax(dim=1)  # (N, H), (N, W): 1 where the mask has a pixel
    # argmax gives the first 1 of a row; on the flipped row, the distance of the last 1 from the end
    y0, x0 = rows.argmax(dim=1), cols.argmax(dim=1)
    y1, x1 = height - rows.flip(1).argmax(dim=1), width - cols.flip(1).argmax(dim=1)
    y1 = torch.where(rows.amax(dim=1) > 0, y1, y0)  # empty: y1 == y0
    return list(zip(y0.tolist(), y1.tolist(), x0.tolist(), x1.tolist()))


def _free_area_per_label(semantic: torch.Tensor, free: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """The labels in ``semantic`` (Tensor[H, W] integer), sorted, and per label its pixel count where ``free``."""
    if semantic.numel() and semantic.min().item() >= 0:  # counting beats sorting
        num_labels = int(semantic.max().item()) + 1
        labels = torch.bincount(semantic.flatten(), minlength=num_labels).nonzero()[:, 0]
        counts = torch.bincount(torch.where(free, semantic, num_labels).flatten(), minlength=num_labels + 1)
        return labels.to(semantic.dtype), counts[labels]
    labels = torch.unique(semantic)
    areas = torch.zeros(len(labels), dtype=torch.int64, device=semantic.device)
    present, counts = torch.unique(semantic[free], return_counts=True)
    areas[torch.searchsorted(labels, present)] = counts
    return labels, areas
