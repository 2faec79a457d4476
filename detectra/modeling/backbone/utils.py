"""Pieces shared by the transformer backbones (ViT, MViT, Swin): windowing, relative / absolute position terms, patch
embedding, the attention, MLP and drop-path layers built from them, and the bases the models' classes share
(`QKVAttention`, `PreNormBlock`, `PatchTokenBackbone`).

Tokens travel as channels-last grids, Tensor[B, H, W, C], between these functions.
"""
import math
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch import nn
from torchvision.ops import StochasticDepth

from .backbone import Backbone

__all__ = [
    "window_partition",
    "window_unpartition",
    "get_rel_pos",
    "add_decomposed_rel_pos",
    "get_abs_pos",
    "PatchEmbed",
]


def window_partition(x: torch.Tensor, window_size: int) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Cut a token grid into non-overlapping square windows, zero-padding the bottom / right first.

    Args:
        x: Tensor[B, H, W, C].
        window_size: window side.

    Returns:
        windows: Tensor[B * num_windows, window_size, window_size, C], row-major over the windows of each image.
        (Hp, Wp): the padded grid size.
    """
    b, h, w, c = x.shape
    pad_h = (window_size - h % window_size) % window_size
    pad_w = (window_size - w % window_size) % window_size
    if pad_h > 0 or pad_w > 0:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = h + pad_h, w + pad_w
    x = x.view(b, hp // window_size, window_size, wp // window_size, window_size, c)
    windows = x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size, window_size, c)
    return windows, (hp, wp)


def window_unpartition(
    windows: torch.Tensor, window_size: int, pad_hw: Tuple[int, int], hw: Tuple[int, int]
) -> torch.Tensor:
    """Inverse of :func:`window_partition`: stitch windows back into a grid and drop the padding.

    Args:
        windows: Tensor[B * num_windows, window_size, window_size, C].
        window_size: window side.
        pad_hw: (Hp, Wp), the padded grid size returned by `window_partition`.
        hw: (H, W), the grid size before padding.

    Returns:
        Tensor[B, H, W, C].
    """
    hp, wp = pad_hw
    h, w = hw
    b = windows.shape[0] // ((hp // window_size) * (wp // window_size))
    x = windows.reshape(b, hp // window_size, wp // window_size, window_size, window_size, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, -1)
    if hp > h or wp > w:
        x = x[:, :h, :w, :].contiguous()
    return x


def get_rel_pos(q_size: int, k_size: int, rel_pos: torch.Tensor) -> torch.Tensor:
    """Relative-position embeddings for every (query, key) coordinate pair along one axis.

    The table is linearly resized when it was made for another size; when query and key sizes differ (pooled keys),
    the coarser axis is stretched so both span the same extent.

    Args:
        q_size: query size along the axis.
        k_size: key size along the axis.
        rel_pos: Tensor[L, C], one embedding per relative offset.

    Returns:
        Tensor[q_size, k_size, C].
    """
    max_rel_dist = int(2 * max(q_size, k_size) - 1)
    if rel_pos.shape[0] != max_rel_dist:
        resized = F.interpolate(
            rel_pos.reshape(1, rel_pos.shape[0], -1).permute(0, 2, 1), size=max_rel_dist, mode="linear"
        )
        rel_pos = resized.reshape(-1, max_rel_dist).permute(1, 0)
    q_coords = torch.arange(q_size, device=rel_pos.device)[:, None] * max(k_size / q_size, 1.0)
    k_coords = torch.arange(k_size, device=rel_pos.device)[None, :] * max(q_size / k_size, 1.0)
    relative_coords = (q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)
    return rel_pos[relative_coords.long()]


def decomposed_rel_pos_bias(
    q: torch.Tensor,
    rel_pos_h: torch.Tensor,
    rel_pos_w: torch.Tensor,
    q_size: Tuple[int, int],
    k_size: Tuple[int, int],
) -> torch.Tensor:
    """The attention bias of decomposed relative positions (MViTv2): a height term plus a width term, each the dot
    product of the query with the embedding of its offset along that axis.

    Args:
        q: Tensor[B, q_h * q_w, C], queries (not scaled).
        rel_pos_h, rel_pos_w: Tensor[L, C], the height / width tables.
        q_size: (q_h, q_w).
        k_size: (k_h, k_w).

    Returns:
        Tensor[B, q_h * q_w, k_h * k_w] in the dtype of ``q``.
    """
    q_h, q_w = q_size
    k_h, k_w = k_size
    rh = get_rel_pos(q_h, k_h, rel_pos_h).to(q.dtype)  # (q_h, k_h, C)
    rw = get_rel_pos(q_w, k_w, rel_pos_w).to(q.dtype)  # (q_w, k_w, C)
    b, _, dim = q.shape
    r_q = q.reshape(b, q_h, q_w, dim)
    rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, rh)  # (B, q_h, q_w, k_h)
    rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, rw)  # (B, q_h, q_w, k_w)
    bias = rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]  # (B, q_h, q_w, k_h, k_w)
    return bias.reshape(b, q_h * q_w, k_h * k_w)


def add_decomposed_rel_pos(
    attn: torch.Tensor,
    q: torch.Tensor,
    rel_pos_h: torch.Tensor,
    rel_pos_w: torch.Tensor,
    q_size: Tuple[int, int],
    k_size: Tuple[int, int],
) -> torch.Tensor:
    """Add decomposed relative-position terms to attention logits.

    Args:
        attn: Tensor[B, q_h * q_w, k_h * k_w], attention logits.
        q: Tensor[B, q_h * q_w, C], queries (not scaled).
        rel_pos_h, rel_pos_w: Tensor[L, C], the height / width tables.
        q_size: (q_h, q_w).
        k_size: (k_h, k_w).

    Returns:
        Tensor[B, q_h * q_w, k_h * k_w].
    """
    return attn + decomposed_rel_pos_bias(q, rel_pos_h, rel_pos_w, q_size, k_size)


def get_abs_pos(abs_pos: torch.Tensor, has_cls_token: bool, hw: Tuple[int, int]) -> torch.Tensor:
    """Absolute position embeddings for an H x W grid, bicubically resized from the pre-training grid.

    Args:
        abs_pos: Tensor[1, num_positions, C], a square grid of positions, after a class token if `has_cls_token`.
        has_cls_token: whether the first position belongs to a class token (dropped).
        hw: (H, W) of the token grid.

    Returns:
        Tensor[1, H, W, C].
    """
    h, w = hw
    if has_cls_token:
        abs_pos = abs_pos[:, 1:]
    num = abs_pos.shape[1]
    size = int(math.isqrt(num))
    if size * size != num:
        raise ValueError(f"Absolute position embeddings must form a square grid; got {num} positions.")
    grid = abs_pos.reshape(1, size, size, -1)
    if size == h and size == w:
        return grid
    resized = F.interpolate(grid.permute(0, 3, 1, 2), size=(h, w), mode="bicubic", align_corners=False)
    return resized.permute(0, 2, 3, 1)


class PatchEmbed(nn.Module):
    """Image to patch tokens: one strided convolution, output channels-last.

    Args:
        kernel_size, stride, padding: of the projection convolution.
        in_chans: input image channels.
        embed_dim: token dimension.
    """

    def __init__(
        self,
        kernel_size: Tuple[int, int] = (16, 16),
        stride: Tuple[int, int] = (16, 16),
        padding: Tuple[int, int] = (0, 0),
        in_chans: int = 3,
        embed_dim: int = 768,
    ):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[B, C, H, W]. Returns: Tensor[B, H', W', embed_dim]."""
        return self.proj(x).permute(0, 2, 3, 1)


class Mlp(nn.Module):
    """Two linear layers with an activation between them (the transformer feed-forward block).

    Args:
        in_features: input dimension.
        hidden_features: hidden dimension (default: ``in_features``).
        out_features: output dimension (default: ``in_features``).
        act_layer: activation class.
        drop: dropout after the activation and after the second layer.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: Optional[int] = None,
        out_features: Optional[int] = None,
        act_layer: type = nn.GELU,
        drop: float = 0.0,
    ):
        super().__init__()
        hidden_features = hidden_features or in_features
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class QKVAttention(nn.Module):
    """What the ViT and MViT attentions share: the joint ``qkv`` projection, the output ``proj``, the logit scale
    and the optional decomposed relative-position tables ``rel_pos_h`` / ``rel_pos_w``.

    Args:
        dim: input token dimension.
        dim_out: output token dimension (heads * head dimension).
        num_heads: attention heads.
        qkv_bias: whether the qkv projection has a bias.
    """

    def __init__(self, dim: int, dim_out: int, num_heads: int, qkv_bias: bool):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim_out // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim_out * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim_out, dim_out)

    def _add_rel_pos_tables(self, rows_h: int, rows_w: int, zero_init: bool) -> None:
        """One embedding per relative offset and axis (``rows`` = 2 * size - 1), of the head dimension."""
        head_dim = self.proj.in_features // self.num_heads
        self.rel_pos_h = nn.Parameter(torch.zeros(rows_h, head_dim))
        self.rel_pos_w = nn.Parameter(torch.zeros(rows_w, head_dim))
        if not zero_init:
            nn.init.trunc_normal_(self.rel_pos_h, std=0.02)
            nn.init.trunc_normal_(self.rel_pos_w, std=0.02)


class PreNormBlock(nn.Module):
    """What the transformer blocks share: ``norm1`` before the attention ``attn``, ``norm2`` before the MLP
    ``mlp``, stochastic depth ``drop_path`` on both residual branches."""

    def _add_parts(
        self,
        attn: nn.Module,
        dim: int,
        dim_out: int,
        mlp_ratio: float,
        drop_path: float,
        norm_layer: Callable[[int], nn.Module],
        act_layer: type,
        drop: float = 0.0,
    ) -> None:
        """Register the parts (in Detectron2's order); the MLP works on ``dim_out`` tokens."""
        self.norm1 = norm_layer(dim)
        self.attn = attn
        self.drop_path = drop_path_layer(drop_path)
        self.norm2 = norm_layer(dim_out)
        self.mlp = Mlp(in_features=dim_out, hidden_features=int(dim_out * mlp_ratio), act_layer=act_layer, drop=drop)

    def _mlp_residual(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchTokenBackbone(Backbone):
    """What ViT and MViT share: the patch embedding ``patch_embed``, the optional absolute position embedding
    ``pos_embed`` (sized for the pre-training grid, resized to the input), their initialisation, and activation
    checkpointing of the blocks."""

    def _add_tokens(
        self,
        patch_embed: PatchEmbed,
        num_patches: int,
        use_abs_pos: bool,
        pretrain_use_cls_token: bool,
        use_act_checkpoint: bool,
    ) -> None:
        """Register the patch and position embeddings (before the blocks, as Detectron2 does)."""
        self.pretrain_use_cls_token = pretrain_use_cls_token
        self.use_act_checkpoint = use_act_checkpoint
        self.patch_embed = patch_embed
        if use_abs_pos:
            num_positions = num_patches + 1 if pretrain_use_cls_token else num_patches
            self.pos_embed = nn.Parameter(torch.zeros(1, num_positions, patch_embed.proj.out_channels))
        else:
            self.pos_embed = None

    def _init_weights(self) -> None:
        if self.pos_embed is not None:
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.apply(init_transformer_weights)

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[B, C, H, W]. Returns: tokens Tensor[B, H', W', embed_dim] with positions added."""
        x = self.patch_embed(x)
        if self.pos_embed is not None:
            x = x + get_abs_pos(self.pos_embed, self.pretrain_use_cls_token, (x.shape[1], x.shape[2]))
        return x


def drop_path_layer(rate: float) -> nn.Module:
    """Stochastic depth on a residual branch (whole samples dropped, survivors scaled by 1 / (1 - rate)); an identity
    when ``rate`` is 0."""
    return StochasticDepth(rate, mode="row") if rate > 0.0 else nn.Identity()


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: Optional[torch.Tensor], scale: float
) -> torch.Tensor:
    """softmax(q k^T * scale + bias) v through `F.scaled_dot_product_attention` (one fused kernel).

    Args:
        q: Tensor[B, heads, Nq, C]; k, v: Tensor[B, heads, Nk, C].
        bias: None or an additive Tensor broadcastable to [B, heads, Nq, Nk].
        scale: logit scale (usually C ** -0.5).

    Returns:
        Tensor[B, heads, Nq, C].
    """
    if bias is not None:
        bias = bias.to(q.dtype)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=scale)


def init_transformer_weights(m: nn.Module) -> None:
    """ViT / MAE initialisation, for ``module.apply``: truncated-normal (std 0.02) linear weights, zero biases, unit
    LayerNorms."""
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.LayerNorm):
        nn.init.constant_(m.bias, 0)
        nn.init.constant_(m.weight, 1.0)


def run_blocks(blocks: nn.ModuleList, x: torch.Tensor, use_act_checkpoint: bool) -> torch.Tensor:
    """Apply ``blocks`` in order; with ``use_act_checkpoint`` (and gradients on), each block's activations are
    recomputed in the backward pass instead of stored (same gradients, less memory)."""
    for blk in blocks:
        if use_act_checkpoint and torch.is_grad_enabled():
            x = torch.utils.checkpoint.checkpoint(blk, x, use_reentrant=False)
        else:
            x = blk(x)
    return x
