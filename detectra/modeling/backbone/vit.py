"""Plain Vision Transformer backbone for detection (ViTDet, Li et al. 2022): `ViT`, `SimpleFeaturePyramid`, and the
layer-wise learning-rate decay `get_vit_lr_decay_rate`. Parameter names follow Detectron2 so its checkpoints load.
"""
import math
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from detectra.layers import CNNBlockBase, Conv2d, get_norm

from ..weight_init import c2_msra_fill
from .backbone import Backbone
from .fpn import PyramidBackbone, run_top_block
from .utils import (
    PatchEmbed,
    PatchTokenBackbone,
    PreNormBlock,
    QKVAttention,
    attention,
    decomposed_rel_pos_bias,
    run_blocks,
    window_partition,
    window_unpartition,
)

__all__ = ["ViT", "SimpleFeaturePyramid", "get_vit_lr_decay_rate"]


class Attention(QKVAttention):
    """Multi-head self-attention over a token grid, optionally with decomposed relative-position biases.

    Args:
        dim: token dimension.
        num_heads: attention heads.
        qkv_bias: whether the qkv projection has a bias.
        use_rel_pos: add decomposed relative-position biases (tables ``rel_pos_h`` / ``rel_pos_w``).
        rel_pos_zero_init: start the tables at zero (otherwise truncated normal, std 0.02).
        input_size: (H, W) of the grid the tables are sized for; needed with `use_rel_pos`.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int = 8,
        qkv_bias: bool = True,
        use_rel_pos: bool = False,
        rel_pos_zero_init: bool = True,
        input_size: Optional[Tuple[int, int]] = None,
    ):
        super().__init__(dim, dim, num_heads, qkv_bias)
        self.use_rel_pos = use_rel_pos
        if use_rel_pos:
            if input_size is None:
                raise ValueError("Attention with use_rel_pos=True needs input_size to size its position tables.")
            self._add_rel_pos_tables(2 * input_size[0] - 1, 2 * input_size[1] - 1, rel_pos_zero_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[B, H, W, C]. Returns: Tensor[B, H, W, C]."""
        b, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(b, h * w, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)  # (3, B, heads, HW, c)
        q, k, v = qkv.unbind(0)
        bias = None
        if self.use_rel_pos:
            q_flat = q.reshape(b * self.num_heads, h * w, -1)
            bias = decomposed_rel_pos_bias(q_flat, self.rel_pos_h, self.rel_pos_w, (h, w), (h, w))
            bias = bias.view(b, self.num_heads, h * w, h * w)
        x = attention(q, k, v, bias, self.scale)  # (B, heads, HW, c)
        x = x.permute(0, 2, 1, 3).reshape(b, h, w, -1)
        return self.proj(x)


class ResBottleneckBlock(CNNBlockBase):
    """A residual 1x1 -> 3x3 -> 1x1 conv block on the channels-first grid, inserted after some ViT blocks; its last
    norm starts at zero so the block starts as an identity.

    Args:
        in_channels, out_channels, bottleneck_channels: channel counts.
        norm: norm of every conv (see `get_norm`).
        act_layer: activation class.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        bottleneck_channels: int,
        norm: str = "LN",
        act_layer: type = nn.GELU,
    ):
        super().__init__(in_channels, out_channels, 1)
        self.conv1 = Conv2d(in_channels, bottleneck_channels, 1, bias=False)
        self.norm1 = get_norm(norm, bottleneck_channels)
        self.act1 = act_layer()
        self.conv2 = Conv2d(bottleneck_channels, bottleneck_channels, 3, padding=1, bias=False)
        self.norm2 = get_norm(norm, bottleneck_channels)
        self.act2 = act_layer()
        self.conv3 = Conv2d(bottleneck_channels, out_channels, 1, bias=False)
        self.norm3 = get_norm(norm, out_channels)
        for layer in [self.conv1, self.conv2, self.conv3]:
            c2_msra_fill(layer)
        for layer in [self.norm1, self.norm2]:
            layer.weight.data.fill_(1.0)
            layer.bias.data.zero_()
        self.norm3.weight.data.zero_()
        self.norm3.bias.data.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[B, C, H, W]. Returns: Tensor[B, C, H, W]."""
        out = x
        for layer in self.children():
            out = layer(out)
        return x + out


class Block(PreNormBlock):
    """A pre-norm transformer block with window (``window_size > 0``) or global attention, and an optional
    residual conv block after it.

    Args:
        dim: token dimension.
        num_heads: attention heads.
        mlp_ratio: MLP hidden size / dim.
        qkv_bias: whether the qkv projection has a bias.
        drop_path: stochastic-depth rate.
        norm_layer: token norm class (called with ``dim``).
        act_layer: activation class.
        use_rel_pos, rel_pos_zero_init: see `Attention`.
        window_size: attention window side; 0 for global attention.
        use_residual_block: append a `ResBottleneckBlock`.
        input_size: (H, W) of the token grid (sizes the position tables of global attention).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path: float = 0.0,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
        act_layer: type = nn.GELU,
        use_rel_pos: bool = False,
        rel_pos_zero_init: bool = True,
        window_size: int = 0,
        use_residual_block: bool = False,
        input_size: Optional[Tuple[int, int]] = None,
    ):
        super().__init__()
        attn = Attention(
            dim,
            num_heads=num_heads,
            qkv_bias=qkv_bias,
            use_rel_pos=use_rel_pos,
            rel_pos_zero_init=rel_pos_zero_init,
            input_size=input_size if window_size == 0 else (window_size, window_size),
        )
        self._add_parts(attn, dim, dim, mlp_ratio, drop_path, norm_layer, act_layer)
        self.window_size = window_size
        self.use_residual_block = use_residual_block
        if use_residual_block:
            self.residual = ResBottleneckBlock(dim, dim, dim // 2, norm="LN", act_layer=act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[B, H, W, C]. Returns: Tensor[B, H, W, C]."""
        shortcut = x
        x = self.norm1(x)
        if self.window_size > 0:
            hw = (x.shape[1], x.shape[2])
            # padded tokens are zeros after the norm and take part in the attention of border windows
            x, pad_hw = window_partition(x, self.window_size)
            x = window_unpartition(self.attn(x), self.window_size, pad_hw, hw)
        else:
            x = self.attn(x)
        x = self._mlp_residual(shortcut + self.drop_path(x))
        if self.use_residual_block:
            x = self.residual(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return x


class ViT(PatchTokenBackbone):
    """Plain ViT (Dosovitskiy et al.) adapted to detection: window attention in most blocks, global attention in a
    few, position embeddings resized to the input, one stride-``patch_size`` output feature.

    Args:
        img_size: input size the relative-position tables of global blocks are sized for.
        patch_size: patch side (the output stride).
        in_chans: input channels.
        embed_dim: token dimension.
        depth: number of blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden size / embed_dim.
        qkv_bias: whether qkv projections have a bias.
        drop_path_rate: stochastic-depth rate of the last block (linear from 0).
        norm_layer: token norm class.
        act_layer: activation class.
        use_abs_pos: add absolute position embeddings (``pos_embed``).
        use_rel_pos: add decomposed relative-position biases in every block.
        rel_pos_zero_init: start the relative tables at zero.
        window_size: window side of the window blocks.
        window_block_indexes: indexes of the blocks with window attention (the others are global).
        residual_block_indexes: indexes of the blocks followed by a residual conv block.
        use_act_checkpoint: recompute block activations in the backward pass to save memory.
        pretrain_img_size: image size of pre-training (sizes ``pos_embed``).
        pretrain_use_cls_token: whether ``pos_embed`` has a leading class-token position.
        out_feature: name of the output feature.
    """

    def __init__(
        self,
        img_size: int = 1024,
        patch_size: int = 16,
        in_chans: int = 3,
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path_rate: float = 0.0,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
        act_layer: type = nn.GELU,
        use_abs_pos: bool = True,
        use_rel_pos: bool = False,
        rel_pos_zero_init: bool = True,
        window_size: int = 0,
        window_block_indexes: Sequence[int] = (),
        residual_block_indexes: Sequence[int] = (),
        use_act_checkpoint: bool = False,
        pretrain_img_size: int = 224,
        pretrain_use_cls_token: bool = True,
        out_feature: str = "last_feat",
    ):
        super().__init__()
        patch_embed = PatchEmbed(
            kernel_size=(patch_size, patch_size),
            stride=(patch_size, patch_size),
            in_chans=in_chans,
            embed_dim=embed_dim,
        )
        num_patches = (pretrain_img_size // patch_size) ** 2
        self._add_tokens(patch_embed, num_patches, use_abs_pos, pretrain_use_cls_token, use_act_checkpoint)

        rates = torch.linspace(0, drop_path_rate, depth, device="cpu").tolist()  # cpu: builds on "meta" too
        self.blocks = nn.ModuleList(
            Block(
                dim=embed_dim,
                num_heads=num_heads,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                drop_path=rates[i],
                norm_layer=norm_layer,
                act_layer=act_layer,
                use_rel_pos=use_rel_pos,
                rel_pos_zero_init=rel_pos_zero_init,
                window_size=window_size if i in window_block_indexes else 0,
                use_residual_block=i in residual_block_indexes,
                input_size=(img_size // patch_size, img_size // patch_size),
            )
            for i in range(depth)
        )
        self._out_feature_channels = {out_feature: embed_dim}
        self._out_feature_strides = {out_feature: patch_size}
        self._out_features = [out_feature]
        self._init_weights()

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: x: Tensor[B, C, H, W]. Returns: ``{out_feature: Tensor[B, embed_dim, H / patch, W / patch]}``."""
        x = run_blocks(self.blocks, self._embed(x), self.use_act_checkpoint)
        return {self._out_features[0]: x.permute(0, 3, 1, 2)}


class SimpleFeaturePyramid(PyramidBackbone):
    """A feature pyramid built from the single last map of a plain backbone (ViTDet): each level rescales that map
    (deconvolutions up, max-pool down), then a 1x1 and a 3x3 conv; no top-down path.

    Args:
        net: the plain backbone (e.g. `ViT`).
        in_feature: the ``net`` output to build from.
        out_channels: channels of every level.
        scale_factors: one level per factor, among 4.0, 2.0, 1.0, 0.5 (strides = net stride / factor).
        top_block: optional module adding coarser levels (e.g. `LastLevelMaxPool` for P6).
        norm: norm of the convs ("" for none: then the convs have a bias).
        square_pad: if > 0, batches are padded to a square of this size.
    """

    def __init__(
        self,
        net: Backbone,
        in_feature: str,
        out_channels: int,
        scale_factors: Sequence[float],
        top_block: Optional[nn.Module] = None,
        norm: str = "LN",
        square_pad: int = 0,
    ):
        super().__init__()
        (input_shape,) = self._input_shapes(net, [in_feature])
        self.scale_factors = tuple(scale_factors)
        strides = [int(input_shape.stride / scale) for scale in scale_factors]
        self._set_pyramid_outputs(strides, top_block, out_channels, square_pad)
        dim = input_shape.channels
        use_bias = norm == ""

        self.stages = []
        for scale, stride in zip(scale_factors, strides):
            layers, out_dim = _rescale_layers(scale, dim, norm)
            layers += [
                Conv2d(out_dim, out_channels, kernel_size=1, bias=use_bias, norm=get_norm(norm, out_channels)),
                Conv2d(
                    out_channels,
                    out_channels,
                    kernel_size=3,
                    padding=1,
                    bias=use_bias,
                    norm=get_norm(norm, out_channels),
                ),
            ]
            stage = nn.Sequential(*layers)
            self.add_module(f"simfp_{int(math.log2(stride))}", stage)
            self.stages.append(stage)

        self.net = net
        self.in_feature = in_feature
        self.top_block = top_block

    @property
    def padding_constraints(self) -> Dict[str, int]:
        return {"size_divisibility": self._size_divisibility, "square_size": self._square_pad}

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: x: Tensor[B, C, H, W]. Returns: ``{"p2": ..., "p6": ...}`` from fine to coarse."""
        bottom_up_features = self.net(x)
        features = bottom_up_features[self.in_feature]
        results = [stage(features) for stage in self.stages]
        if self.top_block is not None:
            results.extend(run_top_block(self.top_block, bottom_up_features, dict(zip(self._out_features, results))))
        return dict(zip(self._out_features, results))


def _rescale_layers(scale: float, dim: int, norm: str):
    # the layers that bring the stride-16 map to stride 16 / scale, and their output channels
    if scale == 4.0:
        layers = [
            nn.ConvTranspose2d(dim, dim // 2, kernel_size=2, stride=2),
            get_norm(norm, dim // 2),
            nn.GELU(),
            nn.ConvTranspose2d(dim // 2, dim // 4, kernel_size=2, stride=2),
        ]
        return layers, dim // 4
    if scale == 2.0:
        return [nn.ConvTranspose2d(dim, dim // 2, kernel_size=2, stride=2)], dim // 2
    if scale == 1.0:
        return [], dim
    if scale == 0.5:
        return [nn.MaxPool2d(kernel_size=2, stride=2)], dim
    raise ValueError(f"SimpleFeaturePyramid scale_factors must be among 4.0, 2.0, 1.0, 0.5; got {scale}.")


def get_vit_lr_decay_rate(name: str, lr_decay_rate: float = 1.0, num_layers: int = 12) -> float:
    """Layer-wise learning-rate decay for a ViT backbone (as ``lr_factor_func`` of `get_default_optimizer_params`).

    The patch / position embeddings count as layer 0, block i as layer i + 1, everything else (the pyramid and
    the heads) as layer ``num_layers + 1``, which gets the full learning rate.

    Args:
        name: full parameter name, e.g. "backbone.net.blocks.3.attn.qkv.weight".
        lr_decay_rate: decay per layer.
        num_layers: number of ViT blocks.

    Returns:
        the LR multiplier, ``lr_decay_rate ** (num_layers + 1 - layer_id)``.
    """
    layer_id = num_layers + 1
    if name.startswith("backbone"):
        if ".pos_embed" in name or ".patch_embed" in name:
            layer_id = 0
        elif ".blocks." in name and ".residual." not in name:
            layer_id = int(name[name.find(".blocks.") :].split(".")[2]) + 1
    return lr_decay_rate ** (num_layers + 1 - layer_id)
