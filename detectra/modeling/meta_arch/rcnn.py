"""Two-stage detectors: `GeneralizedRCNN` (backbone -> proposals -> ROI heads) and `ProposalNetwork` (RPN only)."""
import logging
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import nn

from detectra.config import configurable
from detectra.structures import ImageList, Instances
from detectra.utils.events import get_event_storage

from ..backbone import Backbone
from ..postprocessing import detector_postprocess
from ..proposal_generator import build_proposal_generator
from ..roi_heads import build_roi_heads
from .build import META_ARCH_REGISTRY
from .preprocess import ImageModel, requested_sizes
from .vis import draw_boxes, image_to_rgb

__all__ = ["GeneralizedRCNN", "ProposalNetwork"]

logger = logging.getLogger(__name__)


@META_ARCH_REGISTRY.register()
class GeneralizedRCNN(ImageModel):
    """Generalized R-CNN: a backbone, a proposal generator, and per-region heads (Faster / Mask / Keypoint R-CNN).

    Args:
        backbone: a `Backbone`.
        proposal_generator: e.g. `RPN`; None when proposals come with the inputs ("proposals" key).
        roi_heads: e.g. `StandardROIHeads`.
        pixel_mean, pixel_std: per-channel normalisation of the input images (in ``input_format``'s channel order).
        input_format: channel order of the input images ("BGR", "RGB"), used only to visualise them.
        vis_period: put a GT-vs-proposals image into the event storage every this many iterations (0: never).
    """

    @configurable
    def __init__(
        self,
        *,
        backbone: Backbone,
        proposal_generator: Optional[nn.Module],
        roi_heads: nn.Module,
        pixel_mean: Tuple[float, ...],
        pixel_std: Tuple[float, ...],
        input_format: Optional[str] = None,
        vis_period: int = 0,
    ):
        super().__init__(pixel_mean, pixel_std)
        self.backbone = backbone
        self.proposal_generator = proposal_generator
        self.roi_heads = roi_heads
        self.input_format = input_format
        self.vis_period = vis_period
        if vis_period > 0 and input_format is None:
            raise ValueError("GeneralizedRCNN: vis_period > 0 needs input_format to draw the images.")

    @classmethod
    def from_config(cls, cfg):
        ret = super().from_config(cfg)
        shapes = ret["backbone"].output_shape()
        ret.update(
            proposal_generator=build_proposal_generator(cfg, shapes),
            roi_heads=build_roi_heads(cfg, shapes),
            input_format=cfg.INPUT.FORMAT,
            vis_period=cfg.VIS_PERIOD,
        )
        return ret

    def _proposals(
        self,
        batched_inputs: List[Dict[str, torch.Tensor]],
        images: ImageList,
        features: Dict[str, torch.Tensor],
        gt_instances: Optional[List[Instances]],
    ) -> Tuple[List[Instances], Dict[str, torch.Tensor]]:
        """The proposal generator's proposals and losses; without a generator, the inputs' precomputed
        "proposals" and no losses."""
        if self.proposal_generator is not None:
            return self.proposal_generator(images, features, gt_instances)
        if "proposals" not in batched_inputs[0]:
            raise ValueError("Without a proposal generator, every input needs precomputed 'proposals'.")
        return [x["proposals"].to(self.device) for x in batched_inputs], {}

    def visualize_training(self, batched_inputs: List[Dict], proposals: List[Instances]) -> None:
        """Put, for the first image, its ground-truth boxes (left) beside its top-20 proposals (right) into the
        event storage."""
        storage = get_event_storage()
        max_vis_prop = 20
        for inputs, prop in zip(batched_inputs, proposals):
            img = image_to_rgb(inputs["image"], self.input_format)
            anno_img = draw_boxes(img, inputs["instances"].gt_boxes.tensor, color=(0, 255, 0))
            prop_img = draw_boxes(img, prop.proposal_boxes.tensor[:max_vis_prop], color=(255, 128, 0))
            vis_img = np.concatenate((anno_img, prop_img), axis=1).transpose(2, 0, 1)
            storage.put_image("Left: GT bounding boxes;  Right: Predicted proposals", vis_img)
            break  # only the first image

    def forward(self, batched_inputs: List[Dict[str, torch.Tensor]]):
        """Args:
            batched_inputs: per image, a dict with "image" (Tensor[C, H, W] in ``input_format``), and in training
                "instances" (ground truth with ``gt_boxes``, ``gt_classes``, ...); optional "proposals", and
                "height" / "width" (output resolution in inference).

        Returns:
            training: ``{loss name: scalar Tensor}``; inference: see :meth:`inference`.
        """
        if not self.training:
            return self.inference(batched_inputs)

        images = self.preprocess_image(batched_inputs)
        if "instances" in batched_inputs[0]:
            gt_instances = [x["instances"].to(self.device) for x in batched_inputs]
        else:
            gt_instances = None

        features = self.backbone(images.tensor)
        proposals, proposal_losses = self._proposals(batched_inputs, images, features, gt_instances)
        _, detector_losses = self.roi_heads(images, features, proposals, gt_instances)
        if self.vis_period > 0:
            storage = get_event_storage()
            if storage.iter % self.vis_period == 0:
                self.visualize_training(batched_inputs, proposals)

        losses = {}
        losses.update(detector_losses)
        losses.update(proposal_losses)
        return losses

    def inference(
        self,
        batched_inputs: List[Dict[str, torch.Tensor]],
        detected_instances: Optional[List[Instances]] = None,
        do_postprocess: bool = True,
    ):
        """Args:
            batched_inputs: as in :meth:`forward`.
            detected_instances: per image, known boxes (``pred_boxes``, ``pred_classes``): skip detection and only
                run the mask / keypoint heads on them.
            do_postprocess: rescale to the inputs' "height" / "width".

        Returns:
            with postprocessing: per image ``{"instances": Instances}`` at the requested resolution; without:
            per image Instances at the network's input resolution.
        """
        if self.training:
            raise RuntimeError("GeneralizedRCNN.inference needs eval mode (model.eval()).")
        images = self.preprocess_image(batched_inputs)
        features = self.backbone(images.tensor)

        if detected_instances is None:
            proposals, _ = self._proposals(batched_inputs, images, features, None)
            results, _ = self.roi_heads(images, features, proposals, None)
        else:
            detected_instances = [x.to(self.device) for x in detected_instances]
            results = self.roi_heads.forward_with_given_boxes(features, detected_instances)

        if do_postprocess:
            return GeneralizedRCNN._postprocess(results, batched_inputs, images.image_sizes)
        return results

    @staticmethod
    def _postprocess(
        instances: List[Instances], batched_inputs: List[Dict], image_sizes: List[Tuple[int, int]]
    ) -> List[Dict[str, Instances]]:
        """Rescale each image's predictions to its requested "height" / "width" (default: the input size)."""
        sizes = requested_sizes(batched_inputs, image_sizes)
        return [{"instances": detector_postprocess(r, h, w)} for r, (h, w) in zip(instances, sizes)]


@META_ARCH_REGISTRY.register()
class ProposalNetwork(ImageModel):
    """A proposal generator alone (e.g. RPN), returning class-agnostic proposals.

    Args:
        backbone: a `Backbone`.
        proposal_generator: e.g. `RPN`.
        pixel_mean, pixel_std: per-channel input normalisation.
    """

    @configurable
    def __init__(
        self,
        *,
        backbone: Backbone,
        proposal_generator: nn.Module,
        pixel_mean: Tuple[float, ...],
        pixel_std: Tuple[float, ...],
    ):
        super().__init__(pixel_mean, pixel_std)
        self.backbone = backbone
        self.proposal_generator = proposal_generator

    @classmethod
    def from_config(cls, cfg):
        ret = super().from_config(cfg)
        ret["proposal_generator"] = build_proposal_generator(cfg, ret["backbone"].output_shape())
        return ret

    def forward(self, batched_inputs: List[Dict[str, torch.Tensor]]):
        """Args: as `GeneralizedRCNN.forward`.

        Returns:
            training: ``{"loss_rpn_cls", "loss_rpn_loc"}``; inference: per image ``{"proposals": Instances}`` with
            ``proposal_boxes`` and ``objectness_logits`` at the requested resolution.
        """
        images = self.preprocess_image(batched_inputs)
        features = self.backbone(images.tensor)
        if "instances" in batched_inputs[0]:
            gt_instances = [x["instances"].to(self.device) for x in batched_inputs]
        elif "targets" in batched_inputs[0]:
            logger.warning("'targets' in the model inputs is deprecated; use 'instances'.")
            gt_instances = [x["targets"].to(self.device) for x in batched_inputs]
        else:
            gt_instances = None
        proposals, proposal_losses = self.proposal_generator(images, features, gt_instances)
        if self.training:
            return proposal_losses

        sizes = requested_sizes(batched_inputs, images.image_sizes)
        return [{"proposals": detector_postprocess(p, h, w)} for p, (h, w) in zip(proposals, sizes)]
