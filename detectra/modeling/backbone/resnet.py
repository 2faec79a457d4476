"""ResNet / ResNeXt backbones with Detectron2's module names (``stem.conv1``, ``res2.0.conv1.norm``, ...)."""
from typing import Dict, List, Optional, Sequence, Type

import torch
import torch.nn.functional as F
from torch import nn

from detectra.layers import CNNBlockBase, Conv2d, DeformConv, ModulatedDeformConv, ShapeSpec, get_norm

from ..weight_init import c2_msra_fill
from .build import BACKBONE_REGISTRY
from .cnn_stages import StemStagesBackbone

__all__ = [
    "ResNetBlockBase",
    "BasicBlock",
    "BottleneckBlock",
    "DeformBottleneckBlock",
    "BasicStem",
    "ResNet",
    "make_stage",
    "build_resnet_backbone",
]

ResNetBlockBase = CNNBlockBase  # Detectron2's old alias

_NUM_BLOCKS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


def _conv_add_shortcut_relu(
    conv: Conv2d, out: torch.Tensor, x: torch.Tensor, shortcut: Optional[nn.Module]
) -> torch.Tensor:
    """A residual block's end, ``relu(conv(out) + shortcut(x))``, as one oneDNN call at CPU inference."""
    if shortcut is None:
        return conv(out, add=x, relu=True)
    # the projection is a new tensor of this block's: the fused path writes the block's output into it
    return conv(out, add=shortcut(x), relu=True, into_add=True)


def _projection_shortcut(in_channels: int, out_channels: int, stride: int, norm: str) -> Optional[Conv2d]:
    """A block's shortcut: a strided 1x1 conv + norm where the block changes the channel count, else None (identity)."""
    if in_channels == out_channels:
        return None
    return Conv2d(in_channels, out_channels, 1, stride=stride, bias=False, norm=get_norm(norm, out_channels))


def _msra_fill(*layers: Optional[nn.Module]) -> None:
    for layer in layers:
        if layer is not None:
            c2_msra_fill(layer)


class BasicBlock(CNNBlockBase):
    """Two 3x3 convs with a residual connection (ResNet-18/34)."""

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, norm: str = "BN"):
        super().__init__(in_channels, out_channels, stride)
        self.shortcut = _projection_shortcut(in_channels, out_channels, stride, norm)
        self.conv1 = Conv2d(
            in_channels, out_channels, 3, stride=stride, padding=1, bias=False, norm=get_norm(norm, out_channels)
        )
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, bias=False, norm=get_norm(norm, out_channels))
        _msra_fill(self.conv1, self.conv2, self.shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(x, relu=True)
        return _conv_add_shortcut_relu(self.conv2, out, x, self.shortcut)


class _BottleneckBase(CNNBlockBase):
    """The ends that both bottleneck kinds share: the shortcut, the 1x1 reduce ``conv1`` and the 1x1 expand
    ``conv3``; a subclass adds its 3x3 ``conv2`` between them."""

    def _add_reduce(
        self, in_channels: int, out_channels: int, bottleneck_channels: int, stride: int, norm: str, stride_in_1x1: bool
    ) -> int:
        """Add ``shortcut`` and ``conv1``. Returns: the stride left for the 3x3 conv."""
        self.shortcut = _projection_shortcut(in_channels, out_channels, stride, norm)
        stride_1x1, stride_3x3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = Conv2d(
            in_channels, bottleneck_channels, 1, stride=stride_1x1, bias=False, norm=get_norm(norm, bottleneck_channels)
        )
        return stride_3x3

    def _add_expand(self, bottleneck_channels: int, out_channels: int, norm: str) -> None:
        """Add ``conv3``, then initialise the convs."""
        self.conv3 = Conv2d(bottleneck_channels, out_channels, 1, bias=False, norm=get_norm(norm, out_channels))
        _msra_fill(self.conv1, self.conv2, self.conv3, self.shortcut)


class BottleneckBlock(_BottleneckBase):
    """1x1 -> 3x3 (grouped, dilated) -> 1x1 convs with a residual connection (ResNet-50+ and ResNeXt).

    Args:
        stride_in_1x1: put the stride on the first 1x1 conv (MSRA / Caffe2 models) instead of the 3x3 conv.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        bottleneck_channels: int,
        stride: int = 1,
        num_groups: int = 1,
        norm: str = "BN",
        stride_in_1x1: bool = False,
        dilation: int = 1,
    ):
        super().__init__(in_channels, out_channels, stride)
        stride_3x3 = self._add_reduce(in_channels, out_channels, bottleneck_channels, stride, norm, stride_in_1x1)
        self.conv2 = Conv2d(
            bottleneck_channels,
            bottleneck_channels,
            3,
            stride=stride_3x3,
            padding=dilation,
            bias=False,
            groups=num_groups,
            dilation=dilation,
            norm=get_norm(norm, bottleneck_channels),
        )
        self._add_expand(bottleneck_channels, out_channels, norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(x, relu=True)
        out = self.conv2(out, relu=True)
        return _conv_add_shortcut_relu(self.conv3, out, x, self.shortcut)


class DeformBottleneckBlock(_BottleneckBase):
    """`BottleneckBlock` whose 3x3 conv is deformable (DCNv1, or DCNv2 when ``deform_modulated``)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        bottleneck_channels: int,
        stride: int = 1,
        num_groups: int = 1,
        norm: str = "BN",
        stride_in_1x1: bool = False,
        dilation: int = 1,
        deform_modulated: bool = False,
        deform_num_groups: int = 1,
    ):
        super().__init__(in_channels, out_channels, stride)
        self.deform_modulated = deform_modulated
        stride_3x3 = self._add_reduce(in_channels, out_channels, bottleneck_channels, stride, norm, stride_in_1x1)
        offset_channels = 27 if deform_modulated else 18
        self.conv2_offset = Conv2d(
            bottleneck_channels,
            offset_channels * deform_num_groups,
            3,
            stride=stride_3x3,
            padding=dilation,
            dilation=dilation,
        )
        deform_conv_op = ModulatedDeformConv if deform_modulated else DeformConv
        self.conv2 = deform_conv_op(
            bottleneck_channels,
            bottleneck_channels,
            kernel_size=3,
            stride=stride_3x3,
            padding=dilation,
            bias=False,
            groups=num_groups,
            dilation=dilation,
            deformable_groups=deform_num_groups,
            norm=get_norm(norm, bottleneck_channels),
        )
        self._add_expand(bottleneck_channels, out_channels, norm)
        # a zero offset makes the block start as a plain bottleneck
        nn.init.constant_(self.conv2_offset.weight, 0)
        nn.init.constant_(self.conv2_offset.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(x, relu=True)
        if self.deform_modulated:
            offset_x, offset_y, mask = torch.chunk(self.conv2_offset(out), 3, dim=1)
            out = self.conv2(out, torch.cat((offset_x, offset_y), dim=1), mask.sigmoid())
        else:
            out = self.conv2(out, self.conv2_offset(out))
        out = F.relu_(out)
        return _conv_add_shortcut_relu(self.conv3, out, x, self.shortcut)


class BasicStem(CNNBlockBase):
    """7x7 stride-2 conv + norm + ReLU, then 3x3 stride-2 max pool (total stride 4)."""

    def __init__(self, in_channels: int = 3, out_channels: int = 64, norm: str = "BN"):
        super().__init__(in_channels, out_channels, 4)
        self.conv1 = Conv2d(
            in_channels, out_channels, 7, stride=2, padding=3, bias=False, norm=get_norm(norm, out_channels)
        )
        c2_msra_fill(self.conv1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x, relu=True)
        return F.max_pool2d(x, kernel_size=3, stride=2, padding=1)


class ResNet(StemStagesBackbone):
    """A ResNet: a stem followed by stages ``res2``..``res5`` (and an optional classifier ``linear``).

    Args:
        stem: the stem module (stride given by its ``stride``).
        stages: one list of `CNNBlockBase` per stage, named res2, res3, ... in order.
        num_classes: if set, add global pooling and a ``linear`` classifier output.
        out_features: names of outputs to return, among "stem", "res2".."res5", "linear"; default: the last one.
        freeze_at: number of leading modules (stem = 1, res2 = 2, ...) to freeze; 0 freezes nothing.
    """

    def __init__(
        self,
        stem: nn.Module,
        stages: List[List[CNNBlockBase]],
        num_classes: Optional[int] = None,
        out_features: Optional[Sequence[str]] = None,
        freeze_at: int = 0,
    ):
        super().__init__()
        self.stem = stem
        self.num_classes = num_classes
        self._record_stem(stem)
        self.stage_names, self.stages = [], []
        if out_features is not None:
            # build only the stages that some requested output needs
            num_stages = max({"res2": 1, "res3": 2, "res4": 3, "res5": 4}.get(f, 0) for f in out_features)
            stages = stages[:num_stages]
        for i, blocks in enumerate(stages):
            if len(blocks) == 0:
                raise ValueError(f"ResNet stage res{i + 2} has no blocks.")
            name = f"res{i + 2}"
            stage = nn.Sequential(*blocks)
            self.add_module(name, stage)
            self.stage_names.append(name)
            self.stages.append(stage)
            self._record_stage(name, blocks)
        self.stage_names = tuple(self.stage_names)
        available = ["stem", *self.stage_names]
        if num_classes is not None:
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.linear = nn.Linear(self._out_feature_channels[self.stage_names[-1]], num_classes)
            nn.init.normal_(self.linear.weight, std=0.01)
            available.append("linear")
        self._set_out_features(out_features if out_features is not None else available[-1:], available)
        self.freeze(freeze_at)

    def _named_stages(self):
        return zip(self.stage_names, self.stages)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: x: Tensor[N, C, H, W]. Returns: ``{name: feature}`` for each of ``out_features``."""
        x, outputs = self._forward_stages(x)
        if self.num_classes is not None:
            x = torch.flatten(self.avgpool(x), 1)
            x = self.linear(x)
            if "linear" in self._out_features:
                outputs["linear"] = x
        return outputs

    @staticmethod
    def make_stage(
        block_class: Type[CNNBlockBase], num_blocks: int, *, in_channels: int, out_channels: int, **kwargs
    ) -> List[CNNBlockBase]:
        """Build the blocks of one stage.

        Args:
            block_class: e.g. `BottleneckBlock`.
            num_blocks: number of blocks.
            in_channels / out_channels: of the first block / of every block.
            kwargs: passed to every block; a key ``xxx_per_block`` with a list of ``num_blocks`` values passes
                ``xxx=list[i]`` to block i (e.g. ``stride_per_block=[2, 1, 1]``).

        Returns:
            list of blocks.
        """
        blocks = []
        for i in range(num_blocks):
            curr_kwargs = {}
            for k, v in kwargs.items():
                if k.endswith("_per_block"):
                    if len(v) != num_blocks:
                        raise ValueError(f"make_stage: {k} has {len(v)} values for {num_blocks} blocks.")
                    newk = k[: -len("_per_block")]
                    if newk in kwargs:
                        raise ValueError(f"make_stage: cannot pass both {k} and {newk}.")
                    curr_kwargs[newk] = v[i]
                else:
                    curr_kwargs[k] = v
            blocks.append(block_class(in_channels=in_channels, out_channels=out_channels, **curr_kwargs))
            in_channels = out_channels
        return blocks

    @staticmethod
    def make_default_stages(depth: int, block_class: Optional[Type[CNNBlockBase]] = None, **kwargs):
        """Stages res2..res5 of a standard ResNet of the given depth (18/34/50/101/152).

        Args:
            depth: ResNet depth.
            block_class: default BasicBlock for depth < 50, else BottleneckBlock.
            kwargs: passed to every block (e.g. ``norm``, ``stride_in_1x1``).

        Returns:
            list of 4 lists of blocks.
        """
        num_blocks_per_stage = _NUM_BLOCKS[depth]
        if block_class is None:
            block_class = BasicBlock if depth < 50 else BottleneckBlock
        if depth < 50:
            in_channels, out_channels = [64, 64, 128, 256], [64, 128, 256, 512]
        else:
            in_channels, out_channels = [64, 256, 512, 1024], [256, 512, 1024, 2048]
        ret = []
        for n, s, i, o in zip(num_blocks_per_stage, [1, 2, 2, 2], in_channels, out_channels):
            if depth >= 50:
                kwargs["bottleneck_channels"] = o // 4
            ret.append(
                ResNet.make_stage(
                    block_class, n, stride_per_block=[s] + [1] * (n - 1), in_channels=i, out_channels=o, **kwargs
                )
            )
        return ret


make_stage = ResNet.make_stage


@BACKBONE_REGISTRY.register()
def build_resnet_backbone(cfg, input_shape: ShapeSpec) -> ResNet:
    """Build a ResNet / ResNeXt from ``cfg.MODEL.RESNETS``.

    Returns:
        a :class:`ResNet` with ``out_features = cfg.MODEL.RESNETS.OUT_FEATURES``.
    """
    r = cfg.MODEL.RESNETS
    norm = r.NORM
    stem = BasicStem(in_channels=input_shape.channels, out_channels=r.STEM_OUT_CHANNELS, norm=norm)
    out_features = r.OUT_FEATURES
    depth = r.DEPTH
    num_groups = r.NUM_GROUPS
    bottleneck_channels = num_groups * r.WIDTH_PER_GROUP
    in_channels = r.STEM_OUT_CHANNELS
    out_channels = r.RES2_OUT_CHANNELS
    res5_dilation = r.RES5_DILATION
    deform_on_per_stage = r.DEFORM_ON_PER_STAGE
    if depth not in _NUM_BLOCKS:
        raise ValueError(f"MODEL.RESNETS.DEPTH={depth} is not supported; use one of {sorted(_NUM_BLOCKS)}.")
    if res5_dilation not in (1, 2):
        raise ValueError(f"MODEL.RESNETS.RES5_DILATION must be 1 or 2, got {res5_dilation}.")
    if depth in (18, 34):
        if out_channels != 64:
            raise ValueError("MODEL.RESNETS.RES2_OUT_CHANNELS must be 64 for ResNet-18/34.")
        if any(deform_on_per_stage):
            raise ValueError("MODEL.RESNETS.DEFORM_ON_PER_STAGE is unsupported for ResNet-18/34.")
        if res5_dilation != 1 or num_groups != 1:
            raise ValueError("RES5_DILATION and NUM_GROUPS must be 1 for ResNet-18/34.")
    num_blocks_per_stage = _NUM_BLOCKS[depth]
    f_to_idx = {"res2": 2, "res3": 3, "res4": 4, "res5": 5}
    max_stage_idx = max(f_to_idx.get(f, 1) for f in out_features)
    stages = []
    for idx, stage_idx in enumerate(range(2, max_stage_idx + 1)):
        dilation = res5_dilation if stage_idx == 5 else 1
        first_stride = 1 if idx == 0 or (stage_idx == 5 and dilation == 2) else 2
        n = num_blocks_per_stage[idx]
        stage_kargs = {
            "num_blocks": n,
            "stride_per_block": [first_stride] + [1] * (n - 1),
            "in_channels": in_channels,
            "out_channels": out_channels,
            "norm": norm,
        }
        if depth in (18, 34):
            stage_kargs["block_class"] = BasicBlock
        else:
            stage_kargs["bottleneck_channels"] = bottleneck_channels
            stage_kargs["stride_in_1x1"] = r.STRIDE_IN_1X1
            stage_kargs["dilation"] = dilation
            stage_kargs["num_groups"] = num_groups
            if deform_on_per_stage[idx]:
                stage_kargs["block_class"] = DeformBottleneckBlock
                stage_kargs["deform_modulated"] = r.DEFORM_MODULATED
                stage_kargs["deform_num_groups"] = r.DEFORM_NUM_GROUPS
            else:
                stage_kargs["block_class"] = BottleneckBlock
        stages.append(ResNet.make_stage(**stage_kargs))
        in_channels = out_channels
        out_channels *= 2
        bottleneck_channels *= 2
    return ResNet(stem, stages, out_features=out_features, freeze_at=cfg.MODEL.BACKBONE.FREEZE_AT)
