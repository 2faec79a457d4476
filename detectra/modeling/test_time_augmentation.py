"""Test-time augmentation for R-CNN models: detect on resized and flipped copies of each image, merge the boxes,
then run the mask (and keypoint) heads on the merged boxes in every copy and average."""
import copy
from contextlib import contextmanager
from itertools import count
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from detectra.config import configurable
from detectra.data.detection_utils import read_image
from detectra.data.transforms import (
    HFlipTransform,
    NoOpTransform,
    RandomFlip,
    ResizeShortestEdge,
    ResizeTransform,
    TransformList,
    apply_augmentations,
)
from detectra.structures import Boxes, Instances

from .meta_arch import GeneralizedRCNN
from .postprocessing import detector_postprocess
from .roi_heads.fast_rcnn import fast_rcnn_inference_single_image

__all__ = ["DatasetMapperTTA", "GeneralizedRCNNWithTTA"]


class DatasetMapperTTA:
    """Turn one test input (with "image", "height", "width") into its augmented copies: for each min size a
    shortest-edge resize, and with ``flip`` also its horizontal flip. Each copy carries "transforms", the
    transform from the ORIGINAL image (of "height" x "width") to the copy.

    Args:
        min_sizes: shortest-edge sizes.
        max_size: longest-edge cap.
        flip: add a flipped copy of each size.
    """

    @configurable
    def __init__(self, min_sizes: Sequence[int], max_size: int, flip: bool):
        self.min_sizes = min_sizes
        self.max_size = max_size
        self.flip = flip

    @classmethod
    def from_config(cls, cfg):
        return {"min_sizes": cfg.TEST.AUG.MIN_SIZES, "max_size": cfg.TEST.AUG.MAX_SIZE, "flip": cfg.TEST.AUG.FLIP}

    def __call__(self, dataset_dict: Dict) -> List[Dict]:
        """Args:
            dataset_dict: a model input: "image" Tensor[C, H, W] (possibly already resized from the original),
                "height" / "width" of the original image.

        Returns:
            the augmented copies, each a dict with "image" and "transforms" (original image -> copy).
        """
        numpy_image = dataset_dict["image"].permute(1, 2, 0).numpy()
        shape = numpy_image.shape
        orig_shape = (dataset_dict["height"], dataset_dict["width"])
        if shape[:2] != orig_shape:
            # the input was already resized by the test mapper: account for that step too
            pre_tfm = ResizeTransform(orig_shape[0], orig_shape[1], shape[0], shape[1])
        else:
            pre_tfm = NoOpTransform()

        aug_candidates = []
        for min_size in self.min_sizes:
            resize = ResizeShortestEdge(min_size, self.max_size)
            aug_candidates.append([resize])
            if self.flip:
                aug_candidates.append([resize, RandomFlip(prob=1.0)])

        ret = []
        for aug in aug_candidates:
            new_image, tfms = apply_augmentations(aug, np.copy(numpy_image))
            dic = copy.deepcopy({k: v for k, v in dataset_dict.items() if k != "image"})
            dic["transforms"] = pre_tfm + tfms
            dic["image"] = torch.from_numpy(np.ascontiguousarray(new_image.transpose(2, 0, 1)))
            ret.append(dic)
        return ret


def _has_flip(tfm: TransformList) -> bool:
    return any(isinstance(t, HFlipTransform) for t in tfm.transforms)


class GeneralizedRCNNWithTTA(nn.Module):
    """Wrap a `GeneralizedRCNN` to predict with test-time augmentation (TEST.AUG.*).

    Boxes from every augmented copy are mapped back to the original image and merged by per-class NMS; the mask
    head then runs on the merged boxes in every copy and the (flip-corrected) mask probabilities are averaged. The
    keypoint head, which Detectron2's TTA does not support, runs on the merged boxes in the un-flipped copies and
    the keypoints are averaged in original-image coordinates (a flipped copy would need the keypoint flip map).

    Args:
        cfg: the model's config.
        model: a `GeneralizedRCNN` (possibly in DistributedDataParallel).
        tta_mapper: makes the augmented copies; default `DatasetMapperTTA(cfg)`.
        batch_size: copies per forward pass.
    """

    def __init__(self, cfg, model: nn.Module, tta_mapper=None, batch_size: int = 3):
        super().__init__()
        if isinstance(model, DistributedDataParallel):
            model = model.module
        if not isinstance(model, GeneralizedRCNN):
            raise TypeError(f"GeneralizedRCNNWithTTA wraps a GeneralizedRCNN, got {type(model).__name__}.")
        self.cfg = cfg.clone()
        if self.cfg.MODEL.LOAD_PROPOSALS:
            raise ValueError("TTA with precomputed proposals (MODEL.LOAD_PROPOSALS) is not supported.")
        self.model = model
        self.tta_mapper = tta_mapper if tta_mapper is not None else DatasetMapperTTA(cfg)
        self.batch_size = batch_size

    @contextmanager
    def _turn_off_roi_heads(self, attrs: Sequence[str]):
        """Temporarily set the given boolean attributes of the ROI heads (e.g. "mask_on") to False."""
        roi_heads = self.model.roi_heads
        old = {attr: getattr(roi_heads, attr) for attr in attrs if hasattr(roi_heads, attr)}
        for attr in old:
            setattr(roi_heads, attr, False)
        try:
            yield
        finally:
            for attr, value in old.items():
                setattr(roi_heads, attr, value)

    def _batch_inference(
        self, batched_inputs: List[Dict], detected_instances: Optional[List[Instances]] = None
    ) -> List[Instances]:
        """`GeneralizedRCNN.inference` without postprocessing, ``batch_size`` inputs at a time."""
        if detected_instances is None:
            detected_instances = [None] * len(batched_inputs)
        outputs, inputs, instances = [], [], []
        for idx, inp, instance in zip(count(), batched_inputs, detected_instances):
            inputs.append(inp)
            instances.append(instance)
            if len(inputs) == self.batch_size or idx == len(batched_inputs) - 1:
                given = instances if instances[0] is not None else None
                outputs.extend(self.model.inference(inputs, given, do_postprocess=False))
                inputs, instances = [], []
        return outputs

    def __call__(self, batched_inputs: List[Dict]) -> List[Dict[str, Instances]]:
        """Args:
            batched_inputs: model inputs ("image" or "file_name", optional "height" / "width").

        Returns:
            per image, ``{"instances": Instances}`` at the original resolution.
        """

        def _maybe_read_image(dataset_dict):
            ret = copy.copy(dataset_dict)
            if "image" not in ret:
                image = read_image(ret.pop("file_name"), self.model.input_format)
                ret["image"] = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
            if "height" not in ret and "width" not in ret:
                ret["height"], ret["width"] = ret["image"].shape[1:3]
            return ret

        with torch.no_grad():
            return [self._inference_one_image(_maybe_read_image(x)) for x in batched_inputs]

    def _inference_one_image(self, inp: Dict) -> Dict[str, Instances]:
        orig_shape = (inp["height"], inp["width"])
        augmented_inputs = self.tta_mapper(inp)
        tfms = [x.pop("transforms") for x in augmented_inputs]

        with self._turn_off_roi_heads(["mask_on", "keypoint_on"]):
            all_boxes, all_scores, all_classes = self._get_augmented_boxes(augmented_inputs, tfms)
        merged = self._merge_detections(all_boxes, all_scores, all_classes, orig_shape)

        mask_on = self.cfg.MODEL.MASK_ON
        keypoint_on = self.cfg.MODEL.KEYPOINT_ON
        if not (mask_on or keypoint_on):
            return {"instances": merged}

        augmented_instances = self._rescale_detected_boxes(augmented_inputs, merged, tfms)
        with self._turn_off_roi_heads(["keypoint_on"] if not keypoint_on else []):
            outputs = self._batch_inference(augmented_inputs, augmented_instances)
        del augmented_inputs, augmented_instances
        if mask_on:
            merged.pred_masks = self._reduce_pred_masks(outputs, tfms)
        if keypoint_on:
            merged.pred_keypoints = self._reduce_pred_keypoints(outputs, tfms)
        # boxes (and keypoints) are already in original coordinates: postprocessing only pastes the masks
        return {"instances": detector_postprocess(merged, *orig_shape)}

    def _get_augmented_boxes(
        self, augmented_inputs: List[Dict], tfms: List[TransformList]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Detections of every copy, boxes mapped back to the original image: (Tensor[R, 4], [R], [R])."""
        outputs = self._batch_inference(augmented_inputs)
        all_boxes, all_scores, all_classes = [], [], []
        for output, tfm in zip(outputs, tfms):
            pred_boxes = output.pred_boxes.tensor
            original_pred_boxes = tfm.inverse().apply_box(pred_boxes.cpu().numpy())
            all_boxes.append(torch.from_numpy(original_pred_boxes).to(pred_boxes.device, torch.float32))
            all_scores.append(output.scores)
            all_classes.append(output.pred_classes)
        return torch.cat(all_boxes), torch.cat(all_scores), torch.cat(all_classes)

    def _merge_detections(
        self, all_boxes: torch.Tensor, all_scores: torch.Tensor, all_classes: torch.Tensor, shape_hw: Tuple[int, int]
    ) -> Instances:
        """Per-class NMS over the union of all copies' detections."""
        num_boxes = len(all_boxes)
        num_classes = self.cfg.MODEL.ROI_HEADS.NUM_CLASSES
        # one score per box in its class's column (+1 column: fast_rcnn_inference drops the background)
        all_scores_2d = torch.zeros(num_boxes, num_classes + 1, device=all_boxes.device)
        all_scores_2d[torch.arange(num_boxes, device=all_boxes.device), all_classes] = all_scores
        merged, _ = fast_rcnn_inference_single_image(
            all_boxes,
            all_scores_2d,
            shape_hw,
            1e-8,
            self.cfg.MODEL.ROI_HEADS.NMS_THRESH_TEST,
            self.cfg.TEST.DETECTIONS_PER_IMAGE,
        )
        return merged

    def _rescale_detected_boxes(
        self, augmented_inputs: List[Dict], merged: Instances, tfms: List[TransformList]
    ) -> List[Instances]:
        """The merged boxes in each copy's coordinates, as detections to run the mask / keypoint heads on."""
        augmented_instances = []
        for inp, tfm in zip(augmented_inputs, tfms):
            pred_boxes = torch.from_numpy(tfm.apply_box(merged.pred_boxes.tensor.cpu().numpy()))
            augmented_instances.append(
                Instances(
                    image_size=tuple(inp["image"].shape[1:3]),
                    pred_boxes=Boxes(pred_boxes.to(merged.pred_boxes.device, torch.float32)),
                    pred_classes=merged.pred_classes,
                    scores=merged.scores,
                )
            )
        return augmented_instances

    def _reduce_pred_masks(self, outputs: List[Instances], tfms: List[TransformList]) -> torch.Tensor:
        """Average the ROI mask probabilities over copies: Tensor[R, 1, M, M].

        ROI masks are relative to their box, so resizing needs no inverse; a flip mirrors the mask in its box.
        """
        masks = [o.pred_masks.flip(dims=[3]) if _has_flip(t) else o.pred_masks for o, t in zip(outputs, tfms)]
        return torch.stack(masks, dim=0).mean(dim=0)

    def _reduce_pred_keypoints(self, outputs: List[Instances], tfms: List[TransformList]) -> torch.Tensor:
        """Average keypoints (mapped back to the original image) over the un-flipped copies: Tensor[R, K, 3]."""
        keypoints = []
        for output, tfm in zip(outputs, tfms):
            if _has_flip(tfm):
                continue
            kp = output.pred_keypoints.clone()  # (R, K, 3)
            if len(kp):
                xy = tfm.inverse().apply_coords(kp[:, :, :2].reshape(-1, 2).cpu().numpy())
                kp[:, :, :2] = torch.from_numpy(np.asarray(xy)).to(kp).view(kp.shape[0], kp.shape[1], 2)
            keypoints.append(kp)
        if not keypoints:
            raise ValueError("Keypoint TTA needs at least one un-flipped copy; TEST.AUG.MIN_SIZES is empty?")
        return torch.stack(keypoints, dim=0).mean(dim=0)
