"""ROI heads: proposal sampling (`ROIHeads`), the FPN heads (`StandardROIHeads`) and the C4 heads (`Res5ROIHeads`).

`StandardROIHeads` runs a box branch, then the optional mask and keypoint branches through the hooks
``_init_mask_head`` / ``_forward_mask`` and ``_init_keypoint_head`` / ``_forward_keypoint``; their heads come from
``ROI_MASK_HEAD_REGISTRY`` / ``ROI_KEYPOINT_HEAD_REGISTRY``.
"""
import inspect
import logging
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from torch import nn

from detectra.config import configurable
from detectra.layers import ShapeSpec, nonzero_tuple
from detectra.structures import Boxes, ImageList, Instances, pairwise_iou
from detectra.utils.events import get_event_storage
from detectra.utils.registry import Registry

from ..backbone.resnet import BottleneckBlock, ResNet
from ..matcher import Matcher, _classes_of_matches
from ..poolers import ROIPooler
from ..proposal_generator.proposal_utils import add_ground_truth_to_proposals
from ..sampling import subsample_labels
from .box_head import build_box_head
from .fast_rcnn import FastRCNNOutputLayers
from .head_registries import build_keypoint_head, build_mask_head

__all__ = [
    "ROI_HEADS_REGISTRY",
    "ROIHeads",
    "Res5ROIHeads",
    "StandardROIHeads",
    "build_roi_heads",
    "select_foreground_proposals",
    "select_proposals_with_visible_keypoints",
]

logger = logging.getLogger(__name__)

ROI_HEADS_REGISTRY = Registry("ROI_HEADS")
ROI_HEADS_REGISTRY.__doc__ = """ROI heads: ``cls(cfg, input_shape: Dict[str, ShapeSpec])``."""


def build_roi_heads(cfg, input_shape: Dict[str, ShapeSpec]) -> nn.Module:
    """Build ``cfg.MODEL.ROI_HEADS.NAME``."""
    return ROI_HEADS_REGISTRY.get(cfg.MODEL.ROI_HEADS.NAME)(cfg, input_shape)


def select_foreground_proposals(
    proposals: List[Instances], bg_label: int
) -> Tuple[List[Instances], List[torch.Tensor]]:
    """Keep the proposals labelled foreground (``gt_classes`` not -1 nor ``bg_label``).

    Returns:
        per image, the foreground proposals, and the bool Tensor[Ri] selecting them.
    """
    if not isinstance(proposals, (list, tuple)) or (proposals and not proposals[0].has("gt_classes")):
        raise ValueError("select_foreground_proposals needs a list of Instances with gt_classes.")
    fg_proposals, fg_selection_masks = [], []
    for proposals_per_image in proposals:
        gt_classes = proposals_per_image.gt_classes
        fg_selection_mask = (gt_classes != -1) & (gt_classes != bg_label)
        fg_idxs = fg_selection_mask.nonzero().squeeze(1)
        fg_proposals.append(proposals_per_image[fg_idxs])
        fg_selection_masks.append(fg_selection_mask)
    return fg_proposals, fg_selection_masks


def select_proposals_with_visible_keypoints(proposals: List[Instances]) -> List[Instances]:
    """Keep the proposals whose box contains at least one visible ground-truth keypoint (``gt_keypoints``)."""
    ret, all_num_fg = [], []
    for proposals_per_image in proposals:
        if len(proposals_per_image) == 0:
            ret.append(proposals_per_image)
            continue
        gt_keypoints = proposals_per_image.gt_keypoints.tensor  # (R, K, 3)
        vis_mask = gt_keypoints[:, :, 2] >= 1
        xs, ys = gt_keypoints[:, :, 0], gt_keypoints[:, :, 1]
        proposal_boxes = proposals_per_image.proposal_boxes.tensor.unsqueeze(dim=1)  # (R, 1, 4)
        kp_in_box = (
            (xs >= proposal_boxes[:, :, 0])
            & (xs <= proposal_boxes[:, :, 2])
            & (ys >= proposal_boxes[:, :, 1])
            & (ys <= proposal_boxes[:, :, 3])
        )
        selection_idxs = nonzero_tuple((kp_in_box & vis_mask).any(dim=1))[0]
        all_num_fg.append(selection_idxs.numel())
        ret.append(proposals_per_image[selection_idxs])
    storage = get_event_storage()
    storage.put_scalar("keypoint_head/num_fg_samples", float(np.mean(all_num_fg)) if all_num_fg else 0.0)
    return ret


class ROIHeads(nn.Module):
    """Base of the ROI heads: matches proposals to ground truth and samples a training minibatch of them.

    Args:
        num_classes: K foreground classes (background label = K).
        batch_size_per_image: ROIs sampled per image in training.
        positive_fraction: wanted foreground fraction of those.
        proposal_matcher: labels proposals foreground / background by IoU.
        proposal_append_gt: add the ground-truth boxes to the proposals in training.
    """

    @configurable
    def __init__(
        self,
        *,
        num_classes: int,
        batch_size_per_image: int,
        positive_fraction: float,
        proposal_matcher: Matcher,
        proposal_append_gt: bool = True,
    ):
        super().__init__()
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction
        self.num_classes = num_classes
        self.proposal_matcher = proposal_matcher
        self.proposal_append_gt = proposal_append_gt

    @classmethod
    def from_config(cls, cfg):
        h = cfg.MODEL.ROI_HEADS
        return {
            "batch_size_per_image": h.BATCH_SIZE_PER_IMAGE,
            "positive_fraction": h.POSITIVE_FRACTION,
            "num_classes": h.NUM_CLASSES,
            "proposal_append_gt": h.PROPOSAL_APPEND_GT,
            "proposal_matcher": Matcher(h.IOU_THRESHOLDS, h.IOU_LABELS, allow_low_quality_matches=False),
        }

    def _sample_proposals(
        self, matched_idxs: torch.Tensor, matched_labels: torch.Tensor, gt_classes: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Returns: indices of the sampled proposals, and their class labels (K = background, -1 = ignore)."""
        gt_classes = _classes_of_matches(gt_classes, matched_idxs, matched_labels, self.num_classes)
        sampled_fg_idxs, sampled_bg_idxs = subsample_labels(
            gt_classes, self.batch_size_per_image, self.positive_fraction, self.num_classes
        )
        sampled_idxs = torch.cat([sampled_fg_idxs, sampled_bg_idxs], dim=0)
        return sampled_idxs, gt_classes[sampled_idxs]

    def _match_quality(self, gt_boxes: Boxes, proposal_boxes: Boxes) -> torch.Tensor:
        """Tensor[M, R]: how well each of M ground-truth boxes matches each of R proposals (IoU; `RROIHeads`:
        rotated IoU)."""
        return pairwise_iou(gt_boxes, proposal_boxes)

    @torch.no_grad()
    def label_and_sample_proposals(self, proposals: List[Instances], targets: List[Instances]) -> List[Instances]:
        """Match proposals to ground truth and sample ``batch_size_per_image`` of them per image.

        Args:
            proposals: per image, Instances with ``proposal_boxes`` and ``objectness_logits``.
            targets: per image, Instances with ``gt_boxes``, ``gt_classes`` and optional other ``gt_*`` fields.

        Returns:
            per image, the sampled proposals with ``gt_classes`` and, where the image has ground truth, every
            ``gt_*`` field of its matched target (``gt_boxes``, ``gt_masks``, ...).
        """
        if self.proposal_append_gt:
            proposals = add_ground_truth_to_proposals(targets, proposals)
        proposals_with_gt, num_fg_samples, num_bg_samples = [], [], []
        for proposals_per_image, targets_per_image in zip(proposals, targets):
            has_gt = len(targets_per_image) > 0
            match_quality_matrix = self._match_quality(targets_per_image.gt_boxes, proposals_per_image.proposal_boxes)
            matched_idxs, matched_labels = self.proposal_matcher(match_quality_matrix)
            sampled_idxs, gt_classes = self._sample_proposals(matched_idxs, matched_labels, targets_per_image.gt_classes)
            proposals_per_image = proposals_per_image[sampled_idxs]
            proposals_per_image.gt_classes = gt_classes
            if has_gt:
                sampled_targets = matched_idxs[sampled_idxs]
                for trg_name, trg_value in targets_per_image.get_fields().items():
                    if trg_name.startswith("gt_") and not proposals_per_image.has(trg_name):
                        proposals_per_image.set(trg_name, trg_value[sampled_targets])
            num_bg_samples.append((gt_classes == self.num_classes).sum().item())
            num_fg_samples.append(gt_classes.numel() - num_bg_samples[-1])
            proposals_with_gt.append(proposals_per_image)
        storage = get_event_storage()
        storage.put_scalar("roi_head/num_fg_samples", float(np.mean(num_fg_samples)))
        storage.put_scalar("roi_head/num_bg_samples", float(np.mean(num_bg_samples)))
        return proposals_with_gt

    def _label_and_sample_in_training(
        self, proposals: List[Instances], targets: Optional[List[Instances]]
    ) -> List[Instances]:
        """In training, the proposals `label_and_sample_proposals` keeps (``targets`` required); at inference,
        ``proposals`` unchanged."""
        if not self.training:
            return proposals
        if targets is None:
            raise ValueError(f"{type(self).__name__} needs targets in training.")
        return self.label_and_sample_proposals(proposals, targets)

    def forward(
        self,
        images: ImageList,
        features: Dict[str, torch.Tensor],
        proposals: List[Instances],
        targets: Optional[List[Instances]] = None,
    ) -> Tuple[List[Instances], Dict[str, torch.Tensor]]:
        """Args:
            images: the padded batch.
            features: ``{name: Tensor[N, C, H, W]}``.
            proposals: per image, Instances with ``proposal_boxes`` and ``objectness_logits``.
            targets: per image, ground-truth Instances; required in training.

        Returns:
            in training: (sampled proposals, losses); in inference: (per-image predicted Instances, {}).
        """
        raise NotImplementedError()


@ROI_HEADS_REGISTRY.register()
class Res5ROIHeads(ROIHeads):
    """C4 heads (Faster R-CNN paper): ROI-pool the res4 feature, run ResNet's res5 stage on each ROI, average-pool,
    then predict. A mask head, if any, shares the res5 features.

    Args:
        in_features: one feature name (e.g. ["res4"]).
        pooler: pools ROIs from that feature.
        res5: the res5 stage (``roi_heads.res5.*`` in checkpoints).
        box_predictor: e.g. `FastRCNNOutputLayers` on 2048 channels.
        mask_head: optional mask head (from ``ROI_MASK_HEAD_REGISTRY``).
    """

    @configurable
    def __init__(
        self,
        *,
        in_features: List[str],
        pooler: ROIPooler,
        res5: nn.Module,
        box_predictor: nn.Module,
        mask_head: Optional[nn.Module] = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.in_features = in_features
        self.pooler = pooler
        if isinstance(res5, (list, tuple)):
            res5 = nn.Sequential(*res5)
        self.res5 = res5
        self.box_predictor = box_predictor
        self.mask_on = mask_head is not None
        if self.mask_on:
            self.mask_head = mask_head

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]):
        ret = super().from_config(cfg)
        in_features = ret["in_features"] = cfg.MODEL.ROI_HEADS.IN_FEATURES
        pooler_resolution = cfg.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION
        if cfg.MODEL.KEYPOINT_ON:
            raise ValueError("Res5ROIHeads (C4) has no keypoint branch; set MODEL.KEYPOINT_ON=False or use FPN heads.")
        if len(in_features) != 1:
            raise ValueError(f"Res5ROIHeads takes one input feature, got MODEL.ROI_HEADS.IN_FEATURES={in_features}.")
        ret["pooler"] = ROIPooler(
            output_size=pooler_resolution,
            scales=(1.0 / input_shape[in_features[0]].stride,),
            sampling_ratio=cfg.MODEL.ROI_BOX_HEAD.POOLER_SAMPLING_RATIO,
            pooler_type=cfg.MODEL.ROI_BOX_HEAD.POOLER_TYPE,
        )
        ret["res5"], out_channels = cls._build_res5_block(cfg)
        ret["box_predictor"] = FastRCNNOutputLayers(cfg, ShapeSpec(channels=out_channels, height=1, width=1))
        if cfg.MODEL.MASK_ON:
            ret["mask_head"] = build_mask_head(
                cfg, ShapeSpec(channels=out_channels, width=pooler_resolution, height=pooler_resolution)
            )
        return ret

    @classmethod
    def _build_res5_block(cls, cfg) -> Tuple[nn.Sequential, int]:
        stage_channel_factor = 2**3  # res5 is 8x res2
        r = cfg.MODEL.RESNETS
        bottleneck_channels = r.NUM_GROUPS * r.WIDTH_PER_GROUP * stage_channel_factor
        out_channels = r.RES2_OUT_CHANNELS * stage_channel_factor
        if r.DEFORM_ON_PER_STAGE[-1]:
            raise ValueError("Deformable convs in Res5ROIHeads' res5 are not supported (DEFORM_ON_PER_STAGE[-1]).")
        blocks = ResNet.make_stage(
            BottleneckBlock,
            3,
            stride_per_block=[2, 1, 1],
            in_channels=out_channels // 2,
            bottleneck_channels=bottleneck_channels,
            out_channels=out_channels,
            num_groups=r.NUM_GROUPS,
            norm=r.NORM,
            stride_in_1x1=r.STRIDE_IN_1X1,
        )
        return nn.Sequential(*blocks), out_channels

    def _shared_roi_transform(self, features: List[torch.Tensor], boxes: List[Boxes]) -> torch.Tensor:
        x = self.pooler(features, boxes)
        return self.res5(x)

    def forward(self, images, features, proposals, targets=None):
        del images
        proposals = self._label_and_sample_in_training(proposals, targets)
        del targets

        proposal_boxes = [x.proposal_boxes for x in proposals]
        box_features = self._shared_roi_transform([features[f] for f in self.in_features], proposal_boxes)
        predictions = self.box_predictor(box_features.mean(dim=[2, 3]))

        if self.training:
            del features
            losses = self.box_predictor.losses(predictions, proposals)
            if self.mask_on:
                proposals, fg_selection_masks = select_foreground_proposals(proposals, self.num_classes)
                # the mask head reuses the res5 features of the foreground ROIs
                mask_features = box_features[torch.cat(fg_selection_masks, dim=0)]
                del box_features
                losses.update(self.mask_head(mask_features, proposals))
            return [], losses
        pred_instances, _ = self.box_predictor.inference(predictions, proposals)
        pred_instances = self.forward_with_given_boxes(features, pred_instances)
        return pred_instances, {}

    def forward_with_given_boxes(
        self, features: Dict[str, torch.Tensor], instances: List[Instances]
    ) -> List[Instances]:
        """Run the mask head (if any) on given detections (``pred_boxes``, ``pred_classes``); inference only."""
        if self.training:
            raise RuntimeError("forward_with_given_boxes is for inference only.")
        if not (instances[0].has("pred_boxes") and instances[0].has("pred_classes")):
            raise ValueError("forward_with_given_boxes needs instances with pred_boxes and pred_classes.")
        if self.mask_on:
            feature_list = [features[f] for f in self.in_features]
            x = self._shared_roi_transform(feature_list, [x.pred_boxes for x in instances])
            return self.mask_head(x, instances)
        return instances


@ROI_HEADS_REGISTRY.register()
class StandardROIHeads(ROIHeads):
    """FPN-style heads: each task (box, mask, keypoint) pools its own features and runs its own head.

    Args:
        box_in_features: feature names the box branch pools from.
        box_pooler: pools box-branch ROIs.
        box_head: per-ROI feature extractor (e.g. `FastRCNNConvFCHead`).
        box_predictor: e.g. `FastRCNNOutputLayers`.
        mask_in_features, mask_pooler, mask_head: the mask branch; ``mask_pooler`` None passes the feature dict
            itself to the head. Off when ``mask_in_features`` is None.
        keypoint_in_features, keypoint_pooler, keypoint_head: the keypoint branch, likewise.
        train_on_pred_boxes: in training, give the mask / keypoint branches the box head's refined boxes instead of
            the proposals.
    """

    @configurable
    def __init__(
        self,
        *,
        box_in_features: List[str],
        box_pooler: ROIPooler,
        box_head: nn.Module,
        box_predictor: nn.Module,
        mask_in_features: Optional[List[str]] = None,
        mask_pooler: Optional[ROIPooler] = None,
        mask_head: Optional[nn.Module] = None,
        keypoint_in_features: Optional[List[str]] = None,
        keypoint_pooler: Optional[ROIPooler] = None,
        keypoint_head: Optional[nn.Module] = None,
        train_on_pred_boxes: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.in_features = self.box_in_features = box_in_features
        self.box_pooler = box_pooler
        self.box_head = box_head
        self.box_predictor = box_predictor

        self.mask_on = mask_in_features is not None
        if self.mask_on:
            self.mask_in_features = mask_in_features
            self.mask_pooler = mask_pooler
            self.mask_head = mask_head

        self.keypoint_on = keypoint_in_features is not None
        if self.keypoint_on:
            self.keypoint_in_features = keypoint_in_features
            self.keypoint_pooler = keypoint_pooler
            self.keypoint_head = keypoint_head

        self.train_on_pred_boxes = train_on_pred_boxes

    @classmethod
    def from_config(cls, cfg, input_shape: Dict[str, ShapeSpec]):
        ret = super().from_config(cfg)
        ret["train_on_pred_boxes"] = cfg.MODEL.ROI_BOX_HEAD.TRAIN_ON_PRED_BOXES
        # subclasses may turn a branch off by overriding its _init_* with a non-classmethod
        if inspect.ismethod(cls._init_box_head):
            ret.update(cls._init_box_head(cfg, input_shape))
        if inspect.ismethod(cls._init_mask_head):
            ret.update(cls._init_mask_head(cfg, input_shape))
        if inspect.ismethod(cls._init_keypoint_head):
            ret.update(cls._init_keypoint_head(cfg, input_shape))
        return ret

    @staticmethod
    def _pooler_args(input_shape: Dict[str, ShapeSpec], in_features: List[str]) -> Tuple[tuple, int]:
        """Pooler scales of ``in_features`` and their (common) channel count."""
        scales = tuple(1.0 / input_shape[k].stride for k in in_features)
        in_channels = [input_shape[f].channels for f in in_features]
        if len(set(in_channels)) != 1:
            raise ValueError(f"ROI head input features {in_features} must have equal channels, got {in_channels}.")
        return scales, in_channels[0]

    @classmethod
    def _init_box_head(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        ret = cls._init_task_head(cfg.MODEL.ROI_BOX_HEAD, cfg, input_shape, "box", build_box_head)
        ret["box_predictor"] = FastRCNNOutputLayers(cfg, ret["box_head"].output_shape)
        return ret

    @classmethod
    def _init_mask_head(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        if not cfg.MODEL.MASK_ON:
            return {}
        return cls._init_task_head(cfg.MODEL.ROI_MASK_HEAD, cfg, input_shape, "mask", build_mask_head)

    @classmethod
    def _init_keypoint_head(cls, cfg, input_shape: Dict[str, ShapeSpec]) -> dict:
        if not cfg.MODEL.KEYPOINT_ON:
            return {}
        return cls._init_task_head(cfg.MODEL.ROI_KEYPOINT_HEAD, cfg, input_shape, "keypoint", build_keypoint_head)

    @classmethod
    def _init_pooler(
        cls, head_cfg, cfg, input_shape: Dict[str, ShapeSpec]
    ) -> Tuple[List[str], Optional[ROIPooler], Union[ShapeSpec, Dict[str, ShapeSpec]]]:
        """The input features, the pooler a ``MODEL.ROI_{BOX,MASK,KEYPOINT}_HEAD`` node describes, and the shape
        its head receives. An empty POOLER_TYPE means no pooler: the head takes the whole feature maps."""
        in_features = cfg.MODEL.ROI_HEADS.IN_FEATURES
        pooler_resolution = head_cfg.POOLER_RESOLUTION
        pooler_type = head_cfg.POOLER_TYPE
        pooler_scales, in_channels = cls._pooler_args(input_shape, in_features)
        if not pooler_type:
            return in_features, None, {f: input_shape[f] for f in in_features}
        pooler = ROIPooler(
            output_size=pooler_resolution,
            scales=pooler_scales,
            sampling_ratio=head_cfg.POOLER_SAMPLING_RATIO,
            pooler_type=pooler_type,
        )
        return in_features, pooler, ShapeSpec(channels=in_channels, width=pooler_resolution, height=pooler_resolution)

    @classmethod
    def _init_task_head(cls, head_cfg, cfg, input_shape, prefix: str, build_fn) -> dict:
        """Pooler + head of the box, mask or keypoint branch, from its ``MODEL.ROI_{BOX,MASK,KEYPOINT}_HEAD`` node."""
        in_features, pooler, shape = cls._init_pooler(head_cfg, cfg, input_shape)
        return {f"{prefix}_in_features": in_features, f"{prefix}_pooler": pooler, f"{prefix}_head": build_fn(cfg, shape)}

    def forward(self, images, features, proposals, targets=None):
        del images
        proposals = self._label_and_sample_in_training(proposals, targets)
        if self.training:
            losses = self._box_losses(features, proposals, targets)
            # the mask / keypoint heads look at the foreground subset of the same sampled proposals
            losses.update(self._forward_mask(features, proposals))
            losses.update(self._forward_keypoint(features, proposals))
            return proposals, losses
        pred_instances = self._forward_box(features, proposals)
        pred_instances = self.forward_with_given_boxes(features, pred_instances)
        return pred_instances, {}

    def forward_with_given_boxes(
        self, features: Dict[str, torch.Tensor], instances: List[Instances]
    ) -> List[Instances]:
        """Run the mask and keypoint branches on given detections (``pred_boxes``, ``pred_classes``); inference
        only. Useful to add masks to boxes from elsewhere."""
        if self.training:
            raise RuntimeError("forward_with_given_boxes is for inference only.")
        if not (instances[0].has("pred_boxes") and instances[0].has("pred_classes")):
            raise ValueError("forward_with_given_boxes needs instances with pred_boxes and pred_classes.")
        instances = self._forward_mask(features, instances)
        instances = self._forward_keypoint(features, instances)
        return instances

    def _box_losses(
        self, features: Dict[str, torch.Tensor], proposals: List[Instances], targets: List[Instances]
    ) -> Dict[str, torch.Tensor]:
        """The box branch's training losses. ``targets`` goes unused here (the sampled proposals carry their
        matched ``gt_*`` fields); `CascadeROIHeads` re-matches its later stages' boxes to them."""
        del targets
        return self._forward_box(features, proposals)

    def _forward_box(self, features: Dict[str, torch.Tensor], proposals: List[Instances]):
        """Training: box losses (and, with ``train_on_pred_boxes``, proposals replaced by refined boxes in place).
        Inference: per-image predicted Instances."""
        features = [features[f] for f in self.box_in_features]
        box_features = self.box_pooler(features, [x.proposal_boxes for x in proposals])
        box_features = self.box_head(box_features)
        predictions = self.box_predictor(box_features)
        del box_features

        if self.training:
            losses = self.box_predictor.losses(predictions, proposals)
            if self.train_on_pred_boxes:
                with torch.no_grad():
                    pred_boxes = self.box_predictor.predict_boxes_for_gt_classes(predictions, proposals)
                    for proposals_per_image, pred_boxes_per_image in zip(proposals, pred_boxes):
                        proposals_per_image.proposal_boxes = Boxes(pred_boxes_per_image)
            return losses
        pred_instances, _ = self.box_predictor.inference(predictions, proposals)
        return pred_instances

    def _pool_task_features(self, features, instances, in_features, pooler):
        if pooler is None:
            return {f: features[f] for f in in_features}
        boxes = [x.proposal_boxes if self.training else x.pred_boxes for x in instances]
        return pooler([features[f] for f in in_features], boxes)

    def _forward_mask(self, features: Dict[str, torch.Tensor], instances: List[Instances]):
        """Training: ``{"loss_mask": ...}`` over foreground proposals. Inference: instances with ``pred_masks``.
        Off (returns {} / the instances unchanged) without a mask branch."""
        if not self.mask_on:
            return {} if self.training else instances
        if self.training:
            instances, _ = select_foreground_proposals(instances, self.num_classes)
        x = self._pool_task_features(features, instances, self.mask_in_features, self.mask_pooler)
        return self.mask_head(x, instances)

    def _forward_keypoint(self, features: Dict[str, torch.Tensor], instances: List[Instances]):
        """Training: ``{"loss_keypoint": ...}`` over foreground proposals with a visible keypoint inside.
        Inference: instances with ``pred_keypoints``. Off without a keypoint branch."""
        if not self.keypoint_on:
            return {} if self.training else instances
        if self.training:
            instances, _ = select_foreground_proposals(instances, self.num_classes)
            instances = select_proposals_with_visible_keypoints(instances)
        x = self._pool_task_features(features, instances, self.keypoint_in_features, self.keypoint_pooler)
        return self.keypoint_head(x, instances)
