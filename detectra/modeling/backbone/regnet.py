"""RegNet and AnyNet backbones ("Designing Network Design Spaces", Radosavovic et al., 2020).

Same class names, constructor arguments and parameter names as Detectron2's ``modeling/backbone/regnet.py``, so
its RegNetX / RegNetY configs (``new_baselines/*regnet*``, ``COCO-InstanceSegmentation/*regnet*``) and checkpoints
load unchanged: stem ``stem.conv`` / ``stem.bn``, stages ``s1``..``s4`` of blocks ``b1``, ``b2``, … whose residual
branch is ``f.a`` / ``f.a_bn`` / ``f.b`` / ``f.b_bn`` (``f.se.f_ex.0`` / ``f.se.f_ex.2``) / ``f.c`` / ``f.c_bn`` and
whose shortcut projection is ``proj`` / ``bn``.

Blocks take ``(w_in, w_out, stride, norm, activation_class, params)`` positionally, as Detectron2's do, where ``params``
holds ``bot_mul`` (bottleneck ratio), ``group_w`` (group width) and ``se_r`` (squeeze-excitation ratio).
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Type

import numpy as np
import torch
from torch import nn

from detectra.layers import CNNBlockBase, get_norm

from .cnn_stages import StemStagesBackbone

__all__ = [
    "AnyNet",
    "RegNet",
    "ResStem",
    "SimpleStem",
    "VanillaBlock",
    "ResBasicBlock",
    "ResBottleneckBlock",
]

ActivationClass = Callable[[], nn.Module]


def _conv(w_in: int, w_out: int, k: int, *, stride: int = 1, groups: int = 1, bias: bool = False) -> nn.Conv2d:
    """A "same"-padded k x k convolution (k odd)."""
    return nn.Conv2d(w_in, w_out, k, stride=stride, padding=(k - 1) // 2, groups=groups, bias=bias)


def _init_weights(m: nn.Module) -> None:
    # pycls' initialisation: He-normal on fan-out for convolutions, unit BN, small-normal linear layers.
    if isinstance(m, nn.Conv2d):
        fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
        nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, mean=0.0, std=0.01)
        nn.init.zeros_(m.bias)


def _run_children(self: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``forward`` of modules that apply their registered children in order (an optional child set to None is not
    registered, hence skipped)."""
    for layer in self.children():
        x = layer(x)
    return x


class _Sequence(CNNBlockBase):
    """A block whose forward runs its children in order."""

    forward = _run_children


class _ConvStem(_Sequence):
    """A stem that starts with a stride-2 conv, its norm and activation (``conv`` / ``bn`` / ``af``);
    ``total_stride`` counts the layers a subclass adds after them."""

    def __init__(
        self, w_in: int, w_out: int, norm: str, activation_class: ActivationClass, kernel_size: int, total_stride: int
    ):
        super().__init__(w_in, w_out, total_stride)
        self.conv = _conv(w_in, w_out, kernel_size, stride=2)
        self.bn = get_norm(norm, w_out)
        self.af = activation_class()


class ResStem(_ConvStem):
    """ResNet-style stem: 7x7 conv (stride 2), norm, activation, 3x3 max-pool (stride 2); total stride 4."""

    def __init__(self, w_in: int, w_out: int, norm: str, activation_class: ActivationClass):
        super().__init__(w_in, w_out, norm, activation_class, kernel_size=7, total_stride=4)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)


class SimpleStem(_ConvStem):
    """RegNet's stem: 3x3 conv (stride 2), norm, activation; total stride 2."""

    def __init__(self, w_in: int, w_out: int, norm: str, activation_class: ActivationClass):
        super().__init__(w_in, w_out, norm, activation_class, kernel_size=3, total_stride=2)


class SE(nn.Module):
    """Squeeze-and-excitation: channels rescaled by a gate computed from their global average."""

    def __init__(self, w_in: int, w_se: int, activation_class: ActivationClass):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.f_ex = nn.Sequential(
            _conv(w_in, w_se, 1, bias=True), activation_class(), _conv(w_se, w_in, 1, bias=True), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.f_ex(self.avg_pool(x))  # (N, C, H, W) * (N, C, 1, 1)


class VanillaBlock(_Sequence):
    """Two 3x3 conv-norm-activation layers, no shortcut."""

    def __init__(self, w_in: int, w_out: int, stride: int, norm: str, activation_class: ActivationClass, _params=None):
        super().__init__(w_in, w_out, stride)
        self.a = _conv(w_in, w_out, 3, stride=stride)
        self.a_bn = get_norm(norm, w_out)
        self.a_af = activation_class()
        self.b = _conv(w_out, w_out, 3)
        self.b_bn = get_norm(norm, w_out)
        self.b_af = activation_class()


class BasicTransform(nn.Module):
    """Residual branch of `ResBasicBlock`: 3x3 conv-norm-activation, 3x3 conv-norm."""

    def __init__(self, w_in: int, w_out: int, stride: int, norm: str, activation_class: ActivationClass, _params=None):
        super().__init__()
        self.a = _conv(w_in, w_out, 3, stride=stride)
        self.a_bn = get_norm(norm, w_out)
        self.a_af = activation_class()
        self.b = _conv(w_out, w_out, 3)
        self.b_bn = get_norm(norm, w_out)
        if self.b_bn is not None:
            self.b_bn.final_bn = True  # marks the branch's last norm (pycls can zero-initialise it)

    forward = _run_children


class BottleneckTransform(nn.Module):
    """Residual branch of `ResBottleneckBlock`: 1x1 reduce, grouped 3x3 (stride here), optional SE, 1x1 expand."""

    def __init__(self, w_in: int, w_out: int, stride: int, norm: str, activation_class: ActivationClass, params: Dict):
        super().__init__()
        w_b = int(round(w_out * params["bot_mul"]))
        w_se = int(round(w_in * params["se_r"]))  # SE width follows the block's input width, as in pycls
        groups = w_b // params["group_w"]
        self.a = _conv(w_in, w_b, 1)
        self.a_bn = get_norm(norm, w_b)
        self.a_af = activation_class()
        self.b = _conv(w_b, w_b, 3, stride=stride, groups=groups)
        self.b_bn = get_norm(norm, w_b)
        self.b_af = activation_class()
        self.se = SE(w_b, w_se, activation_class) if w_se else None
        self.c = _conv(w_b, w_out, 1)
        self.c_bn = get_norm(norm, w_out)
        if self.c_bn is not None:
            self.c_bn.final_bn = True

    forward = _run_children


class _ResidualBlock(CNNBlockBase):
    """``activation(shortcut(x) + f(x))``; the shortcut is a 1x1 conv + norm when the shape changes."""

    transform_class: Type[nn.Module]

    def __init__(self, w_in: int, w_out: int, stride: int, norm: str, activation_class: ActivationClass, params=None):
        super().__init__(w_in, w_out, stride)
        self.proj, self.bn = None, None
        if w_in != w_out or stride != 1:
            self.proj = _conv(w_in, w_out, 1, stride=stride)
            self.bn = get_norm(norm, w_out)
        self.f = self.transform_class(w_in, w_out, stride, norm, activation_class, params)
        self.af = activation_class()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.bn(self.proj(x)) if self.proj is not None else x
        return self.af(shortcut + self.f(x))


class ResBasicBlock(_ResidualBlock):
    """Residual block with two 3x3 convolutions (`BasicTransform`)."""

    transform_class = BasicTransform


class ResBottleneckBlock(_ResidualBlock):
    """Residual bottleneck block with a grouped 3x3 convolution and optional SE (`BottleneckTransform`)."""

    transform_class = BottleneckTransform


class AnyStage(nn.Module):
    """``d`` blocks named ``b1``..``bd``; the first changes width and applies the stride."""

    def __init__(
        self,
        w_in: int,
        w_out: int,
        stride: int,
        d: int,
        block_class: Type[CNNBlockBase],
        norm: str,
        activation_class: ActivationClass,
        params: Dict,
    ):
        super().__init__()
        for i in range(d):
            self.add_module(f"b{i + 1}", block_class(w_in, w_out, stride, norm, activation_class, params))
            stride, w_in = 1, w_out

    forward = _run_children


class AnyNet(StemStagesBackbone):
    """A stem followed by stages ``s1``, ``s2``, … with per-stage depth, width, stride, bottleneck and group width.

    Args:
        stem_class: e.g. `SimpleStem` or `ResStem`, called as ``stem_class(3, stem_width, norm, activation_class)``.
        stem_width: output channels of the stem.
        block_class: e.g. `ResBottleneckBlock`, `ResBasicBlock` or `VanillaBlock`.
        depths / widths / group_widths / strides / bottleneck_ratios: one value per stage.
        se_ratio: squeeze-excitation width relative to the block input (0 for none).
        activation_class: a zero-argument callable returning the activation module (e.g. ``nn.ReLU``).
        freeze_at: freeze the stem (>= 1) and the first ``freeze_at - 1`` stages.
        norm: normalization for every layer (see `get_norm`).
        out_features: names among "stem", "s1", "s2", …; default: the last stage.
    """

    def __init__(
        self,
        *,
        stem_class: Callable[..., CNNBlockBase],
        stem_width: int,
        block_class: Type[CNNBlockBase],
        depths: Sequence[int],
        widths: Sequence[int],
        group_widths: Sequence[int],
        strides: Sequence[int],
        bottleneck_ratios: Sequence[float],
        se_ratio: float,
        activation_class: ActivationClass,
        freeze_at: int = 0,
        norm: str = "BN",
        out_features: Optional[Sequence[str]] = None,
    ):
        super().__init__()
        per_stage = [depths, widths, group_widths, strides, bottleneck_ratios]
        if len({len(v) for v in per_stage}) != 1:
            raise ValueError(
                "AnyNet needs one value per stage in depths, widths, group_widths, strides and bottleneck_ratios; "
                f"got lengths {[len(v) for v in per_stage]}."
            )
        self.stem = stem_class(3, stem_width, norm, activation_class)
        self._record_stem(self.stem)
        self.stages_and_names: List[Tuple[AnyStage, str]] = []
        w_in = stem_width
        for i, (d, w, s, b, g) in enumerate(zip(depths, widths, strides, bottleneck_ratios, group_widths)):
            params = {"bot_mul": b, "group_w": g, "se_r": se_ratio}
            stage = AnyStage(w_in, w, s, d, block_class, norm, activation_class, params)
            name = f"s{i + 1}"
            self.add_module(name, stage)
            self.stages_and_names.append((stage, name))
            self._record_stage(name, list(stage.children()))
            w_in = w
        self.apply(_init_weights)

        available = ["stem"] + [name for _, name in self.stages_and_names]
        self._set_out_features(out_features if out_features is not None else available[-1:], available)
        self.freeze(freeze_at)

    def _named_stages(self):
        return ((name, stage) for stage, name in self.stages_and_names)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: x: Tensor[N, 3, H, W]. Returns: ``{name: feature}`` for each of ``out_features``."""
        return self._forward_stages(x)[1]


def adjust_block_compatibility(
    ws: Sequence[int], bs: Sequence[float], gs: Sequence[int]
) -> Tuple[List[int], List[float], List[int]]:
    """Make widths, bottleneck ratios and group widths compatible: each bottleneck width a multiple of its group
    width (the group width capped at the bottleneck width).

    Returns:
        adjusted ``(widths, bottleneck_ratios, group_widths)``.
    """
    if not len(ws) == len(bs) == len(gs):
        raise ValueError(f"Per-stage lists differ in length: widths {ws}, bottleneck ratios {bs}, groups {gs}.")
    if not all(w > 0 and b > 0 and g > 0 for w, b, g in zip(ws, bs, gs)):
        raise ValueError(f"Widths, bottleneck ratios and group widths must be positive: {ws}, {bs}, {gs}.")
    bottleneck = [int(max(1, w * b)) for w, b in zip(ws, bs)]
    gs = [int(min(g, v)) for g, v in zip(gs, bottleneck)]
    multiples = [int(np.lcm(g, b)) if b > 1 else g for g, b in zip(gs, bs)]
    bottleneck = [max(m, int(round(v / m) * m)) for v, m in zip(bottleneck, multiples)]
    ws = [int(v / b) for v, b in zip(bottleneck, bs)]
    return ws, list(bs), gs


def generate_regnet_parameters(
    w_a: float, w_0: int, w_m: float, d: int, q: int = 8
) -> Tuple[List[int], List[int], int, float, List[int], List[float]]:
    """Per-stage widths and depths of a RegNet from its linear width rule ``w_j = w_0 + w_a * j``, quantized to
    powers of ``w_m`` times ``w_0`` and to multiples of ``q``.

    Returns:
        ``(widths, depths, num_stages, total_stages, per-block widths, per-block continuous widths)``.
    """
    if not (w_a >= 0 and w_0 > 0 and w_m > 1 and w_0 % q == 0):
        raise ValueError(f"Invalid RegNet parameters: need w_a >= 0, w_0 > 0, w_m > 1, w_0 % {q} == 0; "
                         f"got w_a={w_a}, w_0={w_0}, w_m={w_m}.")
    ws_cont = np.arange(d) * w_a + w_0  # (d,) continuous width of each block
    ks = np.round(np.log(ws_cont / w_0) / np.log(w_m))  # (d,) stage index of each block
    ws_all = (np.round(w_0 * np.power(w_m, ks) / q)).astype(int) * q
    ws, ds = np.unique(ws_all, return_counts=True)  # consecutive equal widths form a stage
    return ws.tolist(), ds.tolist(), len(ws), ks.max() + 1, ws_all.tolist(), ws_cont.tolist()


def _default_activation() -> nn.Module:
    return nn.ReLU(inplace=True)


class RegNet(AnyNet):
    """An `AnyNet` whose stage widths and depths follow RegNet's quantized linear rule.

    Args:
        stem_class / stem_width / block_class: as in `AnyNet`.
        depth: total number of blocks.
        w_a / w_0 / w_m: slope, initial width and quantization factor of the width rule.
        group_width: group width of every stage's grouped convolution.
        stride: stride of every stage (2).
        bottleneck_ratio: bottleneck width / block width (1.0 in RegNetX / Y).
        se_ratio: squeeze-excitation ratio (0 for RegNetX, 0.25 for RegNetY).
        activation_class: default ``ReLU(inplace=True)``.
        freeze_at / norm / out_features: as in `AnyNet`.
    """

    def __init__(
        self,
        *,
        stem_class: Callable[..., CNNBlockBase],
        stem_width: int,
        block_class: Type[CNNBlockBase],
        depth: int,
        w_a: float,
        w_0: int,
        w_m: float,
        group_width: int,
        stride: int = 2,
        bottleneck_ratio: float = 1.0,
        se_ratio: float = 0.0,
        activation_class: Optional[ActivationClass] = None,
        freeze_at: int = 0,
        norm: str = "BN",
        out_features: Optional[Sequence[str]] = None,
    ):
        ws, ds = generate_regnet_parameters(w_a, w_0, w_m, depth)[:2]
        ws, bs, gs = adjust_block_compatibility(ws, [bottleneck_ratio] * len(ws), [group_width] * len(ws))
        super().__init__(
            stem_class=stem_class,
            stem_width=stem_width,
            block_class=block_class,
            depths=ds,
            widths=ws,
            strides=[stride] * len(ws),
            group_widths=gs,
            bottleneck_ratios=bs,
            se_ratio=se_ratio,
            activation_class=_default_activation if activation_class is None else activation_class,
            freeze_at=freeze_at,
            norm=norm,
            out_features=out_features,
        )
