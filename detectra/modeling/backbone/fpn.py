"""Feature Pyramid Network on top of a bottom-up backbone (Detectron2 names: ``fpn_lateral{s}``, ``fpn_output{s}``)."""
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from detectra.layers import Conv2d, ShapeSpec, get_norm

from ..weight_init import c2_xavier_fill
from .backbone import Backbone
from .build import BACKBONE_REGISTRY
from .resnet import build_resnet_backbone

__all__ = [
    "FPN",
    "LastLevelMaxPool",
    "LastLevelP6P7",
    "build_resnet_fpn_backbone",
    "build_retinanet_resnet_fpn_backbone",
]


class LastLevelMaxPool(nn.Module):
    """Adds P6 as a stride-2 subsampling (1x1 max pool) of P5."""

    def __init__(self) -> None:
        super().__init__()
        self.num_levels = 1
        self.in_feature = "p5"

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        return [F.max_pool2d(x, kernel_size=1, stride=2, padding=0)]


class LastLevelP6P7(nn.Module):
    """Adds P6 and P7 (RetinaNet): 3x3 stride-2 convs from ``in_feature`` (C5 or P5), ReLU between them."""

    def __init__(self, in_channels: int, out_channels: int, in_feature: str = "res5"):
        super().__init__()
        self.num_levels = 2
        self.in_feature = in_feature
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in [self.p6, self.p7]:
            c2_xavier_fill(module)

    def forward(self, c5: torch.Tensor) -> List[torch.Tensor]:
        p6 = self.p6(c5)
        p7 = self.p7(F.relu(p6))
        return [p6, p7]


def _assert_strides_are_log2_contiguous(strides: Sequence[int], owner: str = "A feature pyramid") -> None:
    """Raise a ValueError unless each stride is twice the previous one (Detectron2's name for this check, which
    custom pyramids built on Detectron2 import)."""
    for prev, stride in zip(strides, strides[1:]):
        if stride != 2 * prev:
            raise ValueError(f"{owner} needs log2-contiguous strides, got {list(strides)}.")


def pyramid_strides(strides: Sequence[int], top_block: Optional[nn.Module]) -> Dict[str, int]:
    """Output names and strides of a pyramid: ``p<log2 stride>`` for each level built from the backbone, then the
    ``top_block.num_levels`` coarser levels the top block adds, each at twice the previous stride."""
    out = {f"p{int(math.log2(s))}": s for s in strides}
    if top_block is not None:
        last = int(math.log2(strides[-1]))
        for s in range(last, last + top_block.num_levels):
            out[f"p{s + 1}"] = 2 ** (s + 1)
    return out


def run_top_block(
    top_block: nn.Module, bottom_up_features: Dict[str, torch.Tensor], pyramid: Dict[str, torch.Tensor]
) -> List[torch.Tensor]:
    """The coarser levels of ``top_block``, from its ``in_feature``: a bottom-up feature or a pyramid level."""
    if top_block.in_feature in bottom_up_features:
        return top_block(bottom_up_features[top_block.in_feature])
    return top_block(pyramid[top_block.in_feature])


class PyramidBackbone(Backbone):
    """Base of the pyramids built over another backbone's features (`FPN`, `SimpleFeaturePyramid`): the input
    check, the output names / strides / channels and the padding the coarsest level needs."""

    def _input_shapes(self, net: Backbone, in_features: Sequence[str]) -> List[ShapeSpec]:
        """Shapes of ``net``'s outputs ``in_features``, checked to exist."""
        name = type(self).__name__
        if not isinstance(net, Backbone):
            raise TypeError(f"{name} builds on a Backbone, got {type(net).__name__}.")
        input_shapes = net.output_shape()
        missing = [f for f in in_features if f not in input_shapes]
        if missing:
            raise ValueError(f"{name}: input features {missing} are not a net output; it has {list(input_shapes)}.")
        return [input_shapes[f] for f in in_features]

    def _set_pyramid_outputs(
        self, strides: Sequence[int], top_block: Optional[nn.Module], out_channels: int, square_pad: int
    ) -> None:
        """Name the levels ``p<log2 stride>`` (plus the top block's), all with ``out_channels``; the strides must
        double from each level to the next."""
        _assert_strides_are_log2_contiguous(strides, type(self).__name__)
        self._out_feature_strides = pyramid_strides(strides, top_block)
        self._out_features = list(self._out_feature_strides.keys())
        self._out_feature_channels = {k: out_channels for k in self._out_features}
        self._size_divisibility = strides[-1]
        self._square_pad = square_pad

    @property
    def size_divisibility(self) -> int:
        return self._size_divisibility


class FPN(PyramidBackbone):
    """Feature Pyramid Network (Lin et al. 2017) over ``bottom_up``'s features.

    Args:
        bottom_up: a Backbone whose ``in_features`` have log2-contiguous strides.
        in_features: bottom-up feature names, from high to low resolution (e.g. ["res2", ..., "res5"]).
        out_channels: channels of every output level.
        norm: norm of the lateral and output convs ("" for none: then the convs have a bias).
        top_block: optional module adding coarser levels from ``top_block.in_feature`` (a bottom-up feature or an
            FPN output), e.g. `LastLevelMaxPool` or `LastLevelP6P7`.
        fuse_type: "sum" or "avg" of the lateral and the upsampled top-down feature.
        square_pad: if > 0, batches are padded to a square of this size.
    """

    _fuse_type: str

    def __init__(
        self,
        bottom_up: Backbone,
        in_features: Sequence[str],
        out_channels: int,
        norm: str = "",
        top_block: Optional[nn.Module] = None,
        fuse_type: str = "sum",
        square_pad: int = 0,
    ):
        super().__init__()
        if not in_features:
            raise ValueError("FPN needs at least one input feature (MODEL.FPN.IN_FEATURES is empty).")
        if fuse_type not in ("avg", "sum"):
            raise ValueError(f"MODEL.FPN.FUSE_TYPE must be 'sum' or 'avg', got {fuse_type!r}.")
        input_shapes = self._input_shapes(bottom_up, in_features)
        strides = [shape.stride for shape in input_shapes]
        self._set_pyramid_outputs(strides, top_block, out_channels, square_pad)
        in_channels_per_feature = [shape.channels for shape in input_shapes]

        lateral_convs, output_convs = [], []
        use_bias = norm == ""
        for in_channels, stride in zip(in_channels_per_feature, strides):
            lateral_conv = Conv2d(
                in_channels, out_channels, kernel_size=1, bias=use_bias, norm=get_norm(norm, out_channels)
            )
            output_conv = Conv2d(
                out_channels,
                out_channels,
                kernel_size=3,
                stride=1,
                padding=1,
                bias=use_bias,
                norm=get_norm(norm, out_channels),
            )
            c2_xavier_fill(lateral_conv)
            c2_xavier_fill(output_conv)
            stage = int(math.log2(stride))
            self.add_module(f"fpn_lateral{stage}", lateral_conv)
            self.add_module(f"fpn_output{stage}", output_conv)
            lateral_convs.append(lateral_conv)
            output_convs.append(output_conv)
        # top-down order: coarsest first
        self.lateral_convs = lateral_convs[::-1]
        self.output_convs = output_convs[::-1]
        self.top_block = top_block
        self.in_features = tuple(in_features)
        self.bottom_up = bottom_up
        self._fuse_type = fuse_type

    @property
    def padding_constraints(self) -> Dict[str, int]:
        return {"square_size": self._square_pad}

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: x: Tensor[N, C, H, W]. Returns: ``{"p2": ..., "p6": ...}`` from fine to coarse."""
        bottom_up_features = self.bottom_up(x)
        results = []
        prev_features = self.lateral_convs[0](bottom_up_features[self.in_features[-1]])
        results.append(self.output_convs[0](prev_features))
        for idx, (lateral_conv, output_conv) in enumerate(zip(self.lateral_convs, self.output_convs)):
            if idx == 0:
                continue
            features = bottom_up_features[self.in_features[-idx - 1]]
            top_down_features = F.interpolate(prev_features, scale_factor=2.0, mode="nearest")
            # the add fused at CPU inference, into the upsampled tensor (a temporary)
            prev_features = lateral_conv(features, add=top_down_features, into_add=True)
            if self._fuse_type == "avg":
                prev_features = prev_features / 2
            results.insert(0, output_conv(prev_features))
        if self.top_block is not None:
            results.extend(run_top_block(self.top_block, bottom_up_features, dict(zip(self._out_features, results))))
        if len(self._out_features) != len(results):
            raise RuntimeError(f"FPN produced {len(results)} levels for {len(self._out_features)} output names.")
        return dict(zip(self._out_features, results))


@BACKBONE_REGISTRY.register()
def build_resnet_fpn_backbone(cfg, input_shape: ShapeSpec) -> FPN:
    """ResNet + FPN with P6 from max pooling (Faster / Mask R-CNN)."""
    bottom_up = build_resnet_backbone(cfg, input_shape)
    return FPN(
        bottom_up=bottom_up,
        in_features=cfg.MODEL.FPN.IN_FEATURES,
        out_channels=cfg.MODEL.FPN.OUT_CHANNELS,
        norm=cfg.MODEL.FPN.NORM,
        top_block=LastLevelMaxPool(),
        fuse_type=cfg.MODEL.FPN.FUSE_TYPE,
    )


@BACKBONE_REGISTRY.register()
def build_retinanet_resnet_fpn_backbone(cfg, input_shape: ShapeSpec) -> FPN:
    """ResNet + FPN with P6/P7 convolved from C5 (RetinaNet)."""
    bottom_up = build_resnet_backbone(cfg, input_shape)
    in_channels_p6p7 = bottom_up.output_shape()["res5"].channels
    out_channels = cfg.MODEL.FPN.OUT_CHANNELS
    return FPN(
        bottom_up=bottom_up,
        in_features=cfg.MODEL.FPN.IN_FEATURES,
        out_channels=out_channels,
        norm=cfg.MODEL.FPN.NORM,
        top_block=LastLevelP6P7(in_channels_p6p7, out_channels),
        fuse_type=cfg.MODEL.FPN.FUSE_TYPE,
    )
