"""Use MMDetection (3.x) backbones and detectors inside detectra, with Detectron2's inputs and outputs.

``MMDetBackbone`` wraps any module that maps an image batch to a sequence of feature maps (an mmdet backbone and
neck, or a plain ``nn.Module``) as a detectra ``Backbone``. ``MMDetDetector`` wraps a whole mmdet 3.x detector:
it takes detectra's ``list[dict]`` inputs and returns detectra's losses / ``Instances``. mmdet is optional
(``pip install mmdet>=3``); mmdet 2.x's ``forward_train`` / ``simple_test`` API is not supported.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor, nn

from detectra.layers import ShapeSpec
from detectra.modeling.backbone import Backbone
from detectra.structures import BitMasks, Boxes, ImageList, Instances, PolygonMasks
from detectra.utils.events import get_event_storage

__all__ = ["MMDetBackbone", "MMDetDetector"]

logger = logging.getLogger(__name__)


def _mmdet() -> Any:
    """The mmdet package (>= 3), with its modules registered; a clear error otherwise."""
    try:
        import mmdet
        from mmdet.utils import register_all_modules
    except ImportError as e:
        raise ImportError(
            "This needs MMDetection 3.x: pip install 'mmdet>=3' (with mmengine and mmcv). MMDetection 2.x is not "
            f"supported. ({e})"
        ) from e
    if int(mmdet.__version__.split(".")[0]) < 3:
        raise ImportError(f"MMDetection {mmdet.__version__} is installed; detectra's wrapper needs mmdet >= 3.")
    register_all_modules()
    return mmdet


def _build(cfg: Union[nn.Module, Mapping, None]) -> Optional[nn.Module]:
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    _mmdet()
    from mmdet.registry import MODELS
    from omegaconf import DictConfig, OmegaConf

    return MODELS.build(OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg))


def _init_and_train(module: Optional[nn.Module]) -> None:
    # mmdet modules set up their weights in init_weights() and their frozen stages in train(): call both
    if module is not None:
        if hasattr(module, "init_weights"):
            module.init_weights()
        module.train()


class MMDetBackbone(Backbone):
    """An mmdet backbone (+ neck), or any module returning a sequence of feature maps, as a detectra backbone.

    Args:
        backbone: a module, or an mmdet config dict of a backbone (``dict(type="ResNet", depth=50, ...)``).
        neck: likewise for a neck applied to the backbone's outputs (optional).
        output_shapes: channels and stride of every output.
        output_names: their names (default "out0", "out1", ...).
    """

    def __init__(
        self,
        backbone: Union[nn.Module, Mapping],
        neck: Union[nn.Module, Mapping, None] = None,
        *,
        output_shapes: list[ShapeSpec],
        output_names: Optional[list[str]] = None,
    ) -> None:
        super().__init__()
        self.backbone = _build(backbone)
        self.neck = _build(neck)
        _init_and_train(self.backbone)
        _init_and_train(self.neck)
        self._output_shapes = list(output_shapes)
        self._output_names = list(output_names) if output_names else [f"out{i}" for i in range(len(output_shapes))]
        if len(self._output_names) != len(self._output_shapes):
            raise ValueError(f"MMDetBackbone got {len(self._output_names)} output_names for "
                             f"{len(self._output_shapes)} output_shapes.")  # fmt: skip

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        outs = self.backbone(x)
        if self.neck is not None:
            outs = self.neck(outs)
        if not isinstance(outs, (list, tuple)):
            raise TypeError(f"The wrapped backbone must return a list or tuple of tensors, got {type(outs).__name__}.")
        if len(outs) != len(self._output_shapes):
            raise ValueError(f"The wrapped backbone returned {len(outs)} feature maps but output_shapes lists "
                             f"{len(self._output_shapes)}.")  # fmt: skip
        return dict(zip(self._output_names, outs))

    def output_shape(self) -> dict[str, ShapeSpec]:
        return dict(zip(self._output_names, self._output_shapes))


class MMDetDetector(nn.Module):
    """An mmdet 3.x detector with detectra's interface: ``forward(list[dict])`` returns a dict of losses in
    training and ``[{"instances": Instances}]`` (in each input's height x width) in inference.

    Args:
        detector: an mmdet detector module, or its config dict.
        size_divisibility: pad the batch to a multiple of this (mmdet's configs use 32).
        pixel_mean, pixel_std: per-channel normalisation of the input images.
    """

    def __init__(
        self,
        detector: Union[nn.Module, Mapping],
        *,
        size_divisibility: int = 32,
        pixel_mean: Sequence[float],
        pixel_std: Sequence[float],
    ) -> None:
        super().__init__()
        _mmdet()
        self.detector = _build(detector)
        if hasattr(self.detector, "init_weights"):
            self.detector.init_weights()
        self.size_divisibility = size_divisibility
        self.register_buffer("pixel_mean", torch.tensor(pixel_mean, dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer("pixel_std", torch.tensor(pixel_std, dtype=torch.float32).view(-1, 1, 1), False)
        if self.pixel_mean.shape != self.pixel_std.shape:
            raise ValueError(f"pixel_mean {pixel_mean} and pixel_std {pixel_std} have different lengths.")

    @property
    def device(self) -> torch.device:
        return self.pixel_mean.device

    def _data_samples(self, batched_inputs: list[dict], padded_hw: tuple[int, int]) -> tuple[list, list]:
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData

        samples, out_sizes = [], []
        for x in batched_inputs:
            c, h, w = x["image"].shape
            ori = (x.get("height", h), x.get("width", w))
            out_sizes.append(ori)
            sample = DetDataSample(metainfo={
                "img_shape": (h, w), "ori_shape": ori, "pad_shape": padded_hw, "batch_input_shape": padded_hw,
                "scale_factor": (w / ori[1], h / ori[0]), "flip": False,
            })  # fmt: skip
            if self.training:
                gt = x["instances"].to(self.device)
                data = InstanceData(bboxes=gt.gt_boxes.tensor, labels=gt.gt_classes)
                if gt.has("gt_masks"):
                    data.masks = self._mmdet_masks(gt.gt_masks, gt.image_size)
                sample.gt_instances = data
            samples.append(sample)
        return samples, out_sizes

    @staticmethod
    def _mmdet_masks(masks: Any, size: tuple[int, int]) -> Any:
        from mmdet.structures.mask import BitmapMasks, PolygonMasks as MMPolygonMasks

        if isinstance(masks, BitMasks):
            return BitmapMasks(masks.tensor.cpu().numpy(), size[0], size[1])
        if isinstance(masks, PolygonMasks):
            return MMPolygonMasks(masks.polygons, size[0], size[1])
        raise TypeError(f"Cannot pass {type(masks).__name__} ground-truth masks to mmdet.")

    def forward(self, batched_inputs: list[dict[str, Any]]) -> Union[dict[str, Tensor], list[dict]]:
        images = [(x["image"].to(self.device) - self.pixel_mean) / self.pixel_std for x in batched_inputs]
        images = ImageList.from_tensors(images, size_divisibility=self.size_divisibility).tensor
        samples, out_sizes = self._data_samples(batched_inputs, tuple(images.shape[-2:]))
        if self.training:
            return _parse_losses(self.detector(images, samples, mode="loss"))
        results = self.detector(images, samples, mode="predict")
        return [{"instances": _to_instances(r.pred_instances, size)} for r, size in zip(results, out_sizes)]


def _to_instances(pred: Any, size: tuple[int, int]) -> Instances:
    inst = Instances(size)
    inst.pred_boxes = Boxes(pred.bboxes)
    inst.scores = pred.scores
    inst.pred_classes = pred.labels
    if "masks" in pred:
        masks = pred.masks
        inst.pred_masks = masks if isinstance(masks, Tensor) else torch.as_tensor(np.asarray(masks))
    return inst


def _parse_losses(losses: dict[str, Any]) -> dict[str, Tensor]:
    """mmdet's loss dict as detectra's: each value reduced to a scalar; entries whose name has no "loss" (e.g.
    accuracies) go to the event storage instead."""
    out = {}
    for name, value in losses.items():
        if isinstance(value, Tensor):
            value = value.mean()
        elif isinstance(value, (list, tuple)):
            value = sum(v.mean() for v in value)
        else:
            raise TypeError(f"mmdet returned '{name}' as {type(value).__name__}, not a tensor or list of tensors.")
        if "loss" in name:
            out[name] = value
        else:
            get_event_storage().put_scalar(name, float(value.detach().cpu()))
    return out
