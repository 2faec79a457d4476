"""Helpers shared by dataset mappers: reading images, applying transforms to annotations, and turning annotations
into ``Instances``. Same names and semantics as ``detectron2.data.detection_utils``."""
from __future__ import annotations

import logging
import os
from typing import Any, Optional, Sequence, Union

import numpy as np
import pycocotools.mask as mask_util
import torch
from PIL import Image, ImageOps

from detectra.structures import (
    BitMasks,
    Boxes,
    BoxMode,
    Instances,
    Keypoints,
    PolygonMasks,
    RotatedBoxes,
    polygons_to_bitmask,
)

from . import transforms as T
from .catalog import DatasetCatalog, MetadataCatalog

__all__ = [
    "SizeMismatchError",
    "convert_image_to_rgb",
    "check_image_size",
    "transform_proposals",
    "transform_instance_annotations",
    "annotation_boxes_xyxy",
    "transform_boxes_xyxy",
    "annotations_to_instances",
    "annotations_to_instances_rotated",
    "build_augmentation",
    "build_transform_gen",
    "create_keypoint_hflip_indices",
    "filter_empty_instances",
    "gen_crop_transform_with_instance",
    "check_metadata_consistency",
    "get_fed_loss_cls_weights",
    "read_image",
    "read_image_size",
    "convert_PIL_to_numpy",
    "transform_keypoint_annotations",
]

logger = logging.getLogger(__name__)


class SizeMismatchError(ValueError):
    """The image read from disk does not have the width/height recorded in the dataset dict."""


# ITU-R BT.601 RGB <-> YUV, https://en.wikipedia.org/wiki/YUV#SDTV_with_BT.601
_M_RGB2YUV = [[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]]
_M_YUV2RGB = [[1.0, 0.0, 1.13983], [1.0, -0.39465, -0.58060], [1.0, 2.03211, 0.0]]

_EXIF_ORIENTATION = 0x0112
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def _to_8bit_if_deep(image: Image.Image) -> Image.Image:
    """16-bit (and 32-bit integer) images become 8-bit "L" by scaling 0..65535 to 0..255 (255 / 65535 = 1 / 257).

    PIL's own conversion clips every value above 255 to white, which would ruin such images.
    """
    if image.mode not in _SIXTEEN_BIT_MODES:
        return image
    arr = np.asarray(image).astype(np.float64)
    return Image.fromarray(np.clip(np.round(arr / 257.0), 0, 255).astype(np.uint8), mode="L")


def _flatten_palette_transparency(image: Image.Image) -> Image.Image:
    # PIL warns when palette transparency is dropped by a direct convert; going through RGBA is the documented path.
    if image.mode == "P" and "transparency" in image.info:
        return image.convert("RGBA")
    return image


def _apply_exif_orientation(image: Image.Image) -> Image.Image:
    """The image turned upright as its EXIF orientation tag says (a copy; the tag is dropped), or unchanged content
    when it has none. Detectron2's name: demos that open images with PIL themselves import it."""
    return ImageOps.exif_transpose(image)


def convert_PIL_to_numpy(image: Image.Image, format: Optional[str]) -> np.ndarray:
    """Convert a PIL image to a numpy array in ``format``.

    Args:
        image: any PIL image (RGB, L, RGBA, CMYK, P, 16-bit...).
        format: "BGR", "RGB", "L", "YUV-BT.601", any PIL mode, or None to keep the image's own mode.

    Returns:
        HxWxC array (HxWx1 for "L"); uint8 except "YUV-BT.601" (float64).
    """
    if format is not None:  # format=None keeps 16-bit data (e.g. depth maps) as it is stored
        image = _flatten_palette_transparency(_to_8bit_if_deep(image))
        conversion = "RGB" if format in ("BGR", "YUV-BT.601") else format
        if image.mode != conversion:  # convert() to the same mode would copy the pixels for nothing
            image = image.convert(conversion)
    array = np.asarray(image)
    if format == "L":
        array = np.expand_dims(array, -1)
    elif format == "BGR":
        array = array[:, :, ::-1]
    elif format == "YUV-BT.601":
        array = np.dot(array / 255.0, np.array(_M_RGB2YUV).T)
    return array


def convert_image_to_rgb(image: Union[np.ndarray, torch.Tensor], format: str) -> np.ndarray:
    """Convert an HxWxC image in ``format`` (see :func:`convert_PIL_to_numpy`) to uint8 RGB (for visualization)."""
    if isinstance(image, torch.Tensor):
        image = image.cpu().numpy()
    if format == "BGR":
        image = image[:, :, [2, 1, 0]]
    elif format == "YUV-BT.601":
        image = np.dot(image, np.array(_M_YUV2RGB).T) * 255.0
    else:
        if format == "L":
            image = image[:, :, 0]
        image = np.asarray(Image.fromarray(image.astype(np.uint8), mode=format).convert("RGB"))
    return image


def read_image(file_name: Union[str, os.PathLike], format: Optional[str] = None) -> np.ndarray:
    """Read an image, apply its EXIF orientation and convert it to ``format``.

    Args:
        file_name: path of the image.
        format: "BGR" (model default), "RGB", "L", "YUV-BT.601", any PIL mode, or None.

    Returns:
        HxWxC numpy array (see :func:`convert_PIL_to_numpy`).

    Raises:
        FileNotFoundError: the file does not exist.
        OSError: the file is truncated, corrupt or not an image.
    """
    if not os.path.isfile(file_name):
        raise FileNotFoundError(
            f"Image file not found: '{file_name}'. Check the dataset's image root and the 'file_name' entries "
            f"of its annotation json (paths are relative to the image folder given at registration)."
        )
    if os.path.getsize(file_name) == 0:
        raise OSError(f"Image file '{file_name}' is empty (0 bytes): re-download or re-export it, or remove it from "
                      "the dataset.")  # fmt: skip
    try:
        with Image.open(file_name) as image:
            image.load()  # decode now so truncated files fail here, with the file name
            ImageOps.exif_transpose(image, in_place=True)  # in place: no copy of the (common) upright image
            return convert_PIL_to_numpy(image, format)
    except Image.DecompressionBombError as e:
        raise OSError(
            f"Cannot read image '{file_name}': {e}. Downscale the image, or raise PIL.Image.MAX_IMAGE_PIXELS if it "
            "is trusted and really that large."
        ) from e
    except (OSError, SyntaxError, ValueError) as e:
        raise OSError(
            f"Cannot read image '{file_name}': {e}. The file is truncated, corrupt or not an image; re-download "
            f"or re-export it, or remove it from the dataset."
        ) from e


def read_image_size(file_name: Union[str, os.PathLike]) -> tuple[int, int]:
    """(height, width) of an image as :func:`read_image` returns it (EXIF rotations by 90 degrees swap them),
    from its header only.

    Raises:
        OSError: naming the file, when it is missing or not an image.
    """
    try:
        with Image.open(file_name) as image:
            w, h = image.size
            rotated = image.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8)
    except (OSError, SyntaxError, ValueError) as e:
        raise OSError(f"Cannot read the size of image '{file_name}': {e}.") from e
    return (w, h) if rotated else (h, w)


def check_image_size(dataset_dict: dict, image: np.ndarray) -> None:
    """Check the image's size against the dict's "width"/"height"; fill them in where absent.

    Raises:
        SizeMismatchError: naming the file, the image id and the likely fix.
    """
    if "width" in dataset_dict or "height" in dataset_dict:
        image_wh = (image.shape[1], image.shape[0])
        expected_wh = (dataset_dict.get("width"), dataset_dict.get("height"))
        if image_wh != expected_wh:
            swapped = " (width and height are swapped: the image probably carries an EXIF rotation)" if (
                image_wh == expected_wh[::-1]) else ""
            raise SizeMismatchError(
                f"Mismatched image size for image '{dataset_dict.get('file_name', '<no file_name>')}' "
                f"(image_id {dataset_dict.get('image_id', '<none>')}): the file is (width, height) = {image_wh} but "
                f"the annotation says {expected_wh}{swapped}. Fix the width/height of this image in the annotation "
                f"json (or re-export the image so it matches)."
            )
    dataset_dict.setdefault("width", image.shape[1])
    dataset_dict.setdefault("height", image.shape[0])


def transform_proposals(
    dataset_dict: dict, image_shape: tuple[int, int], transforms: T.TransformList, *, proposal_topk: int,
    min_box_size: float = 0,
) -> None:
    """Move precomputed proposals ("proposal_boxes", "proposal_objectness_logits", "proposal_bbox_mode") through
    ``transforms`` into ``dataset_dict["proposals"]`` (``Instances`` with proposal_boxes, objectness_logits),
    keeping the ``proposal_topk`` first non-empty boxes."""
    if "proposal_boxes" not in dataset_dict:
        return
    boxes = BoxMode.convert(
        dataset_dict.pop("proposal_boxes"), dataset_dict.pop("proposal_bbox_mode"), BoxMode.XYXY_ABS
    )
    boxes = Boxes(transforms.apply_box(np.asarray(boxes)))
    logits = torch.as_tensor(np.asarray(dataset_dict.pop("proposal_objectness_logits")).astype("float32"))
    boxes.clip(image_shape)
    keep = boxes.nonempty(threshold=min_box_size)
    proposals = Instances(image_shape)
    proposals.proposal_boxes = boxes[keep][:proposal_topk]
    proposals.objectness_logits = logits[keep][:proposal_topk]
    dataset_dict["proposals"] = proposals


def _as_transform_list(transforms: Union[T.Transform, Sequence[T.Transform]]) -> T.TransformList:
    if isinstance(transforms, T.TransformList):
        return transforms
    if isinstance(transforms, T.Transform):
        return T.TransformList([transforms])
    return T.TransformList(list(transforms))


def _decode_rle(segm: dict) -> np.ndarray:
    if isinstance(segm.get("counts"), list):  # uncompressed RLE, as in COCO's crowd annotations
        segm = mask_util.frPyObjects(segm, *segm["size"])
    return mask_util.decode(segm)


def annotation_boxes_xyxy(annos: Sequence[dict]) -> np.ndarray:
    """The annotations' "bbox" as one XYXY_ABS array (N, 4) float64.

    Converted all at once when the annotations share one box mode (one :meth:`BoxMode.convert` per box was most
    of a mapper's annotation time), with the numbers a conversion box by box gives: the boxes go through
    ``torch.tensor`` as a single box does there (float32 for python floats). Mixed modes are converted box by box.
    """
    if not annos:
        return np.zeros((0, 4))
    mode = BoxMode(annos[0]["bbox_mode"])
    if any(BoxMode(obj["bbox_mode"]) != mode for obj in annos):
        boxes = np.stack([BoxMode.convert(obj["bbox"], obj["bbox_mode"], BoxMode.XYXY_ABS) for obj in annos])
        return boxes.astype(np.float64)
    if mode == BoxMode.XYXY_ABS:
        return np.array([obj["bbox"] for obj in annos], dtype=np.float64).reshape(-1, 4)
    raw = torch.tensor([list(obj["bbox"]) for obj in annos])
    return BoxMode.convert(raw, mode, BoxMode.XYXY_ABS).double().numpy().reshape(-1, 4)


def transform_boxes_xyxy(
    boxes: np.ndarray, transforms: Union[T.Transform, Sequence[T.Transform]], image_size: tuple[int, int]
) -> np.ndarray:
    """Apply ``transforms`` to XYXY_ABS boxes (N, 4) and clip them to ``image_size = (h, w)``.

    Returns:
        np.ndarray: (N, 4) float64, XYXY_ABS; each row as if its box were transformed alone.
    """
    h, w = image_size
    return np.minimum(_as_transform_list(transforms).apply_box(boxes).clip(min=0), [w, h, w, h])


def transform_instance_annotations(
    annotation: dict, transforms: Union[T.Transform, Sequence[T.Transform]], image_size: tuple[int, int], *,
    keypoint_hflip_indices: Optional[np.ndarray] = None,
) -> dict:
    """Apply ``transforms`` to one instance annotation (in place; also returned).

    The box becomes XYXY_ABS clipped to ``image_size = (h, w)``; polygons stay polygons (clipped by crops), RLE
    becomes a transformed HxW uint8 mask; keypoints are transformed and flipped (see
    :func:`transform_keypoint_annotations`).
    """
    transforms = _as_transform_list(transforms)
    annotation["bbox"] = transform_boxes_xyxy(annotation_boxes_xyxy([annotation]), transforms, image_size)[0]
    annotation["bbox_mode"] = BoxMode.XYXY_ABS

    if "segmentation" in annotation:
        segm = annotation["segmentation"]
        if isinstance(segm, list):
            polygons = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in segm]
            annotation["segmentation"] = [p.reshape(-1) for p in transforms.apply_polygons(polygons)]
        elif isinstance(segm, dict):
            # == 1: pads fill segmentation maps with seg_pad_value (e.g. 255), which is background for an instance.
            mask = (transforms.apply_segmentation(_decode_rle(segm)) == 1).astype(np.uint8)
            if tuple(mask.shape[:2]) != tuple(image_size):
                raise ValueError(
                    f"RLE mask of size {segm.get('size')} does not match its image: after transforms it is "
                    f"{mask.shape[:2]} but the image is {tuple(image_size)}. Check the RLE 'size' in the json."
                )
            annotation["segmentation"] = mask
        elif isinstance(segm, np.ndarray):
            annotation["segmentation"] = (transforms.apply_segmentation(segm.astype(np.uint8)) == 1).astype(np.uint8)
        else:
            raise ValueError(
                f"Cannot transform segmentation of type '{type(segm).__name__}': supported are polygons "
                f"(list[list[float]]), COCO RLE (dict) and HxW binary masks (ndarray)."
            )

    if "keypoints" in annotation:
        annotation["keypoints"] = transform_keypoint_annotations(
            annotation["keypoints"], transforms, image_size, keypoint_hflip_indices
        )
    return annotation


def transform_keypoint_annotations(
    keypoints: Sequence[float], transforms: Union[T.Transform, Sequence[T.Transform]], image_size: tuple[int, int],
    keypoint_hflip_indices: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Transform COCO keypoints ``[x1, y1, v1, x2, ...]`` into an array (K, 3).

    Keypoints that land outside the image get visibility 0. After an odd number of horizontal flips, left/right
    keypoints are swapped with ``keypoint_hflip_indices``. Keypoints with visibility 0 become (0, 0, 0).
    """
    transforms = _as_transform_list(transforms)
    keypoints = np.asarray(keypoints, dtype=np.float64).reshape(-1, 3)
    xy = transforms.apply_coords(keypoints[:, :2].copy())
    inside = ((xy >= np.array([0, 0])) & (xy <= np.array(image_size[::-1]))).all(axis=1)
    keypoints[:, :2] = xy
    keypoints[~inside, 2] = 0

    if sum(isinstance(t, T.HFlipTransform) for t in transforms.transforms) % 2 == 1:
        if keypoint_hflip_indices is None:
            raise ValueError(
                "Cannot flip keypoints without keypoint_hflip_indices: set the dataset metadata "
                "'keypoint_names' and 'keypoint_flip_map' and build them with create_keypoint_hflip_indices."
            )
        if len(keypoints) != len(keypoint_hflip_indices):
            raise ValueError(
                f"Keypoint data has {len(keypoints)} points, but the flip indices (from the metadata) have "
                f"{len(keypoint_hflip_indices)}; check the dataset's 'keypoint_names'."
            )
        keypoints = keypoints[np.asarray(keypoint_hflip_indices, dtype=np.int64), :]
    keypoints[keypoints[:, 2] == 0] = 0  # invisible keypoints carry no position
    return keypoints


def _annotation_ref(annos: list[dict], k: int) -> Any:
    return annos[k].get("id", f"#{k}")


def _all_or_none(annos: list[dict], key: str) -> bool:
    """Whether the annotations carry ``key`` (masks and keypoints are per-image tensors: every annotation of an
    image has one, or none does)."""
    lacking = [k for k, obj in enumerate(annos) if key not in obj]
    if lacking and len(lacking) < len(annos):
        raise ValueError(
            f"its annotation {_annotation_ref(annos, lacking[0])} has no '{key}' but other annotations of the image "
            f"have one. Give every non-crowd annotation a {key}, or remove the annotations without one "
            "('detectra validate-data' with the model's config lists them)."
        )
    return bool(annos) and not lacking


def annotations_to_instances(
    annos: list[dict], image_size: tuple[int, int], mask_format: str = "polygon"
) -> Instances:
    """Build training targets from transformed annotations.

    Returns:
        ``Instances`` with gt_boxes (Boxes, XYXY_ABS), gt_classes (int64 [N]), and where the annotations have them
        gt_masks (PolygonMasks or BitMasks, per ``mask_format``) and gt_keypoints (Keypoints [N, K, 3]).
    """
    target = Instances(image_size)
    target.gt_boxes = Boxes(torch.as_tensor(annotation_boxes_xyxy(annos), dtype=torch.float32))
    target.gt_classes = torch.tensor([int(obj["category_id"]) for obj in annos], dtype=torch.int64)
    has_masks, has_keypoints = (_all_or_none(annos, key) for key in ("segmentation", "keypoints"))

    if has_masks:
        segms = [obj["segmentation"] for obj in annos]
        if mask_format == "polygon":
            rle = [k for k, s in enumerate(segms) if not isinstance(s, list)]
            if rle:
                raise ValueError(
                    f"annotation {_annotation_ref(annos, rle[0])} has an RLE or bitmask segmentation, which "
                    "INPUT.MASK_FORMAT 'polygon' cannot hold. Set INPUT.MASK_FORMAT bitmask for this dataset."
                )
            masks = PolygonMasks(segms)
        elif mask_format == "bitmask":
            bitmasks = []
            for segm in segms:
                if isinstance(segm, list):
                    bitmasks.append(polygons_to_bitmask(segm, *image_size))
                elif isinstance(segm, dict):
                    bitmasks.append(_decode_rle(segm))
                elif isinstance(segm, np.ndarray):
                    if segm.ndim != 2:
                        raise ValueError(f"A mask segmentation must be HxW, got shape {segm.shape}.")
                    bitmasks.append(segm)
                else:
                    raise ValueError(
                        f"Cannot convert segmentation of type '{type(segm).__name__}' to a mask: supported are "
                        f"polygons (list), COCO RLE (dict) and HxW masks (ndarray)."
                    )
            masks = BitMasks(torch.stack([torch.from_numpy(np.ascontiguousarray(m)) for m in bitmasks]))
        else:
            raise ValueError(f"mask_format must be 'polygon' or 'bitmask', got {mask_format!r}.")
        target.gt_masks = masks

    if has_keypoints:
        kpts = [np.asarray(obj["keypoints"], dtype=np.float32).reshape(-1, 3) for obj in annos]
        if len({k.shape for k in kpts}) != 1:
            raise ValueError(
                f"Every annotation of an image must have the same number of keypoints, got {[len(k) for k in kpts]}."
            )
        target.gt_keypoints = Keypoints(np.stack(kpts))
    return target


def annotations_to_instances_rotated(annos: list[dict], image_size: tuple[int, int]) -> Instances:
    """Like :func:`annotations_to_instances` for rotated boxes (XYWHA_ABS "bbox"); gt_boxes are ``RotatedBoxes``
    clipped to the image."""
    boxes = torch.as_tensor(np.asarray([obj["bbox"] for obj in annos], dtype=np.float32).reshape(-1, 5))
    target = Instances(image_size)
    target.gt_boxes = RotatedBoxes(boxes)
    target.gt_boxes.clip(image_size)
    target.gt_classes = torch.tensor([int(obj["category_id"]) for obj in annos], dtype=torch.int64)
    return target


def filter_empty_instances(
    instances: Instances, by_box: bool = True, by_mask: bool = True, box_threshold: float = 1e-5,
    return_mask: bool = False,
):
    """Drop instances whose box (side <= ``box_threshold``) or mask is empty.

    Returns:
        The kept instances, and the boolean keep mask [N] if ``return_mask``.
    """
    if not (by_box or by_mask):
        raise ValueError("filter_empty_instances needs by_box or by_mask.")
    keeps = []
    if by_box:
        keeps.append(instances.gt_boxes.nonempty(threshold=box_threshold))
    if by_mask and instances.has("gt_masks"):
        keeps.append(instances.gt_masks.nonempty())
    if not keeps:
        return (instances, torch.ones(len(instances), dtype=torch.bool)) if return_mask else instances
    keep = keeps[0]
    for k in keeps[1:]:
        keep = keep & k
    return (instances[keep], keep) if return_mask else instances[keep]


def check_metadata_consistency(key: str, dataset_names: Sequence[str]) -> None:
    """Raise if the metadata ``key`` differs between datasets (e.g. "thing_classes" of train sets)."""
    if len(dataset_names) == 0:
        return
    entries = [getattr(MetadataCatalog.get(d), key) for d in dataset_names]
    for name, entry in zip(dataset_names, entries):
        if entry != entries[0]:
            raise ValueError(
                f"Datasets have different metadata '{key}': '{dataset_names[0]}' has {entries[0]} but '{name}' "
                f"has {entry}. Use datasets with the same '{key}' together."
            )


def create_keypoint_hflip_indices(dataset_names: Union[str, Sequence[str]]) -> list[int]:
    """For each keypoint, the index of its mirror image (from metadata "keypoint_names" / "keypoint_flip_map")."""
    if isinstance(dataset_names, str):
        dataset_names = [dataset_names]
    check_metadata_consistency("keypoint_names", dataset_names)
    check_metadata_consistency("keypoint_flip_map", dataset_names)
    meta = MetadataCatalog.get(dataset_names[0])
    names = list(meta.keypoint_names)
    flip_map = dict(meta.keypoint_flip_map)
    flip_map.update({v: k for k, v in flip_map.items()})
    return [names.index(flip_map.get(n, n)) for n in names]


def get_fed_loss_cls_weights(dataset_names: Union[str, Sequence[str]], freq_weight_power: float = 1.0) -> torch.Tensor:
    """Per-class weights for federated loss: (number of images containing the class) ** ``freq_weight_power``.

    Uses the metadata "class_image_count" (as LVIS provides) when set; otherwise counts images per class in the
    datasets from ``DatasetCatalog`` (category ids must already be contiguous, as the loaders make them).

    Returns:
        float tensor [num_classes].
    """
    if isinstance(dataset_names, str):
        dataset_names = [dataset_names]
    meta = MetadataCatalog.get(dataset_names[0])
    if meta.get("class_image_count") is not None:
        check_metadata_consistency("class_image_count", dataset_names)
        counts = torch.tensor([c["image_count"] for c in sorted(meta.class_image_count, key=lambda x: x["id"])])
    else:
        check_metadata_consistency("thing_classes", dataset_names)
        counts = torch.zeros(len(meta.thing_classes), dtype=torch.int64)
        for name in dataset_names:
            for record in DatasetCatalog.get(name):
                classes = {int(a["category_id"]) for a in record.get("annotations", [])}
                for c in classes:
                    counts[c] += 1
    return counts.float() ** freq_weight_power


def gen_crop_transform_with_instance(
    crop_size: tuple[int, int], image_size: tuple[int, int], instance: dict
) -> T.CropTransform:
    """A random ``crop_size = (h, w)`` crop of an ``image_size = (h, w)`` image containing the centre of
    ``instance``'s box."""
    crop_size = np.asarray(crop_size, dtype=np.int32)
    bbox = BoxMode.convert(instance["bbox"], instance["bbox_mode"], BoxMode.XYXY_ABS)
    center_yx = np.array([(bbox[1] + bbox[3]) * 0.5, (bbox[0] + bbox[2]) * 0.5])
    if not (image_size[0] >= center_yx[0] and image_size[1] >= center_yx[1]):
        raise ValueError(f"The annotation box {bbox} lies outside the image of size {tuple(image_size)}.")
    if not (image_size[0] >= crop_size[0] and image_size[1] >= crop_size[1]):
        raise ValueError(f"Crop size {tuple(crop_size)} is larger than the image size {tuple(image_size)}.")
    min_yx = np.maximum(np.floor(center_yx).astype(np.int32) - crop_size, 0)
    max_yx = np.maximum(np.asarray(image_size, dtype=np.int32) - crop_size, 0)
    max_yx = np.minimum(max_yx, np.ceil(center_yx).astype(np.int32))
    y0 = np.random.randint(min_yx[0], max_yx[0] + 1)
    x0 = np.random.randint(min_yx[1], max_yx[1] + 1)
    return T.CropTransform(int(x0), int(y0), int(crop_size[1]), int(crop_size[0]))


def build_augmentation(cfg, is_train: bool) -> list[T.Augmentation]:
    """ResizeShortestEdge from cfg.INPUT.{MIN,MAX}_SIZE_{TRAIN,TEST}, plus RandomFlip (cfg.INPUT.RANDOM_FLIP) when
    training. (The DatasetMapper adds RandomCrop in front when cfg.INPUT.CROP.ENABLED.)"""
    if is_train:
        min_size, max_size = cfg.INPUT.MIN_SIZE_TRAIN, cfg.INPUT.MAX_SIZE_TRAIN
        sample_style = cfg.INPUT.MIN_SIZE_TRAIN_SAMPLING
    else:
        min_size, max_size, sample_style = cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MAX_SIZE_TEST, "choice"
    augmentation: list[T.Augmentation] = [T.ResizeShortestEdge(min_size, max_size, sample_style)]
    if is_train and cfg.INPUT.RANDOM_FLIP != "none":
        if cfg.INPUT.RANDOM_FLIP not in ("horizontal", "vertical"):
            raise ValueError(
                f"cfg.INPUT.RANDOM_FLIP must be 'horizontal', 'vertical' or 'none', got {cfg.INPUT.RANDOM_FLIP!r}."
            )
        augmentation.append(
            T.RandomFlip(
                horizontal=cfg.INPUT.RANDOM_FLIP == "horizontal", vertical=cfg.INPUT.RANDOM_FLIP == "vertical"
            )
        )
    return augmentation


build_transform_gen = build_augmentation  # Detectron2's old name
