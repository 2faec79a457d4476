"""``DatasetMapper``: the default callable turning one Detectron2 dataset dict into one model input dict."""
from __future__ import annotations

import logging
from typing import Optional, Union

import numpy as np
import torch
from PIL import Image, ImageOps

from detectra.config import configurable
from detectra.structures import Boxes, BoxMode, Instances
from detectra.utils.logger import VERBOSE_ONLY

from . import detection_utils as utils
from . import transforms as T

__all__ = ["DatasetMapper"]

logger = logging.getLogger(__name__)


def read_sem_seg(file_name: str) -> np.ndarray:
    """Read a semantic label map as an HxW array of class ids (uint8; wider for 16-bit label files).

    Palette ("P") PNGs keep their palette indices, and 16-bit files their values: converting either to gray, as a
    plain image read would, mixes labels. Other modes (RGB...) are converted to "L" as Detectron2 does.
    """
    try:
        with Image.open(file_name) as image:
            if image.mode in ("L", "P", "I;16", "I;16B", "I;16L", "I"):
                image.load()
                labels = np.asarray(ImageOps.exif_transpose(image))
                return labels if labels.dtype == np.uint8 else labels.astype(np.int32)
    except OSError:
        pass  # missing or unreadable: read_image below raises the explanatory error
    return utils.read_image(file_name, "L").squeeze(2)


class DatasetMapper:
    """Read the image, apply augmentations to it and its annotations, and build model inputs.

    Output dict: the input's fields plus "image" (CxHxW tensor in ``image_format``, uint8 for BGR/RGB/L),
    "sem_seg" (HxW int64 tensor, if "sem_seg_file_name" is given), "instances" (training only: gt_boxes,
    gt_classes, and gt_masks / gt_keypoints when enabled), "proposals" (when precomputed proposals are used) and,
    if ``return_transforms``, "transforms" (the ``TransformList`` applied, to map predictions back).
    Crowd annotations are dropped at training time; all annotations are dropped at test time.
    """

    @configurable
    def __init__(
        self,
        is_train: bool,
        *,
        augmentations: list[Union[T.Augmentation, T.Transform]],
        image_format: str,
        use_instance_mask: bool = False,
        use_keypoint: bool = False,
        instance_mask_format: str = "polygon",
        keypoint_hflip_indices: Optional[np.ndarray] = None,
        precomputed_proposal_topk: Optional[int] = None,
        recompute_boxes: bool = False,
        return_transforms: bool = False,
    ) -> None:
        """
        Args:
            is_train: whether the output is for training (keeps annotations as "instances").
            augmentations: applied in order to the image and its annotations.
            image_format: format of "image", as in :func:`detection_utils.read_image` ("BGR", "RGB"...).
            use_instance_mask / use_keypoint: keep segmentations / keypoints as gt_masks / gt_keypoints.
            instance_mask_format: "polygon" (PolygonMasks) or "bitmask" (BitMasks).
            keypoint_hflip_indices: see :func:`detection_utils.create_keypoint_hflip_indices`.
            precomputed_proposal_topk: if set, read precomputed proposals and keep this many.
            recompute_boxes: replace gt_boxes by the masks' tight boxes (after crops, boxes of polygons are loose).
            return_transforms: add "transforms" to the output (detectra addition; off as in Detectron2).
        """
        if recompute_boxes and not use_instance_mask:
            raise ValueError("DatasetMapper: recompute_boxes=True needs use_instance_mask=True (boxes come from masks).")
        if instance_mask_format not in ("polygon", "bitmask"):
            raise ValueError(
                f"DatasetMapper: instance_mask_format must be 'polygon' or 'bitmask', got {instance_mask_format!r}."
            )
        self.is_train = is_train
        self.augmentations = T.AugmentationList(augmentations)
        self.image_format = image_format
        self.use_instance_mask = use_instance_mask
        self.instance_mask_format = instance_mask_format
        self.use_keypoint = use_keypoint
        self.keypoint_hflip_indices = keypoint_hflip_indices
        self.proposal_topk = precomputed_proposal_topk
        self.recompute_boxes = recompute_boxes
        self.return_transforms = return_transforms
        mode = "training" if is_train else "inference"
        logger.info(f"[DatasetMapper] Augmentations used in {mode}: {augmentations}", extra=VERBOSE_ONLY)

    @classmethod
    def from_config(cls, cfg, is_train: bool = True) -> dict:
        augs = utils.build_augmentation(cfg, is_train)
        if cfg.INPUT.CROP.ENABLED and is_train:
            augs.insert(0, T.RandomCrop(cfg.INPUT.CROP.TYPE, cfg.INPUT.CROP.SIZE))
            recompute_boxes = cfg.MODEL.MASK_ON
        else:
            recompute_boxes = False
        ret = {
            "is_train": is_train,
            "augmentations": augs,
            "image_format": cfg.INPUT.FORMAT,
            "use_instance_mask": cfg.MODEL.MASK_ON,
            "instance_mask_format": cfg.INPUT.MASK_FORMAT,
            "use_keypoint": cfg.MODEL.KEYPOINT_ON,
            "recompute_boxes": recompute_boxes,
        }
        if cfg.MODEL.KEYPOINT_ON:
            ret["keypoint_hflip_indices"] = utils.create_keypoint_hflip_indices(cfg.DATASETS.TRAIN)
        if cfg.MODEL.LOAD_PROPOSALS:
            ret["precomputed_proposal_topk"] = (
                cfg.DATASETS.PRECOMPUTED_PROPOSAL_TOPK_TRAIN if is_train else cfg.DATASETS.PRECOMPUTED_PROPOSAL_TOPK_TEST
            )
        return ret

    def _transform_annotations(self, dataset_dict: dict, transforms: T.TransformList, image_shape) -> None:
        annos = [obj for obj in dataset_dict.pop("annotations") if obj.get("iscrowd", 0) == 0]
        per_instance = (self.use_instance_mask and any("segmentation" in obj for obj in annos)) or (
            self.use_keypoint and any("keypoints" in obj for obj in annos)
        )
        boxes = utils.annotation_boxes_xyxy(annos)  # all at once: one conversion per box was most of the time
        if not per_instance:
            instances = Instances(image_shape)
            boxes = utils.transform_boxes_xyxy(boxes, transforms, image_shape)
            instances.gt_boxes = Boxes(torch.as_tensor(boxes, dtype=torch.float32))
            instances.gt_classes = torch.tensor([int(obj["category_id"]) for obj in annos], dtype=torch.int64)
        else:
            dropped = {"segmentation": not self.use_instance_mask, "keypoints": not self.use_keypoint}
            dropped = [k for k, drop in dropped.items() if drop]
            copies = [{k: v for k, v in obj.items() if k not in dropped} for obj in annos]  # transformed in place
            for obj, box in zip(copies, boxes):
                obj["bbox"], obj["bbox_mode"] = box, BoxMode.XYXY_ABS
            annos = [
                utils.transform_instance_annotations(
                    obj, transforms, image_shape, keypoint_hflip_indices=self.keypoint_hflip_indices
                )
                for obj in copies
            ]
            try:
                instances = utils.annotations_to_instances(annos, image_shape, mask_format=self.instance_mask_format)
            except ValueError as e:  # the annotation's own message, with the image it belongs to
                raise ValueError(f"Image '{dataset_dict.get('file_name')}' (image_id "
                                 f"{dataset_dict.get('image_id')}): {e}") from None  # fmt: skip
            if self.recompute_boxes and instances.has("gt_masks"):
                instances.gt_boxes = instances.gt_masks.get_bounding_boxes()
        dataset_dict["instances"] = utils.filter_empty_instances(instances)

    def __call__(self, dataset_dict: dict) -> dict:
        """Map one dataset dict (not modified) to a new model input dict."""
        # A shallow copy is enough: this mapper only pops and sets top-level keys, and copies each annotation
        # before transforming it. (A deep copy of every polygon was ~10% of the time per image on COCO.)
        dataset_dict = dict(dataset_dict)
        image = utils.read_image(dataset_dict["file_name"], format=self.image_format)
        utils.check_image_size(dataset_dict, image)

        sem_seg_file = dataset_dict.pop("sem_seg_file_name", None)
        sem_seg_gt = read_sem_seg(sem_seg_file) if sem_seg_file is not None else None
        if sem_seg_gt is not None and sem_seg_gt.shape[:2] != image.shape[:2]:
            raise utils.SizeMismatchError(
                f"Label map '{sem_seg_file}' is (width, height) = {sem_seg_gt.shape[1::-1]} but its image "
                f"'{dataset_dict['file_name']}' is {image.shape[1::-1]}. Each label map must have its image's size: "
                "re-export it, or pair it with the right image."
            )

        aug_input = T.AugInput(image, sem_seg=sem_seg_gt)
        transforms = self.augmentations(aug_input)
        image, sem_seg_gt = aug_input.image, aug_input.sem_seg
        image_shape = image.shape[:2]  # h, w

        # ascontiguousarray: flips and BGR conversion leave negative strides, which torch cannot wrap.
        dataset_dict["image"] = torch.as_tensor(np.ascontiguousarray(image.transpose(2, 0, 1)))
        if sem_seg_gt is not None:
            dataset_dict["sem_seg"] = torch.as_tensor(sem_seg_gt.astype("long"))
        if self.return_transforms:
            dataset_dict["transforms"] = transforms
        if self.proposal_topk is not None:
            utils.transform_proposals(dataset_dict, image_shape, transforms, proposal_topk=self.proposal_topk)

        if not self.is_train:
            dataset_dict.pop("annotations", None)
            return dataset_dict
        if "annotations" in dataset_dict:
            self._transform_annotations(dataset_dict, transforms, image_shape)
        return dataset_dict
