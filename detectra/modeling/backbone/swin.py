"""Swin Transformer backbone (Liu et al. 2021): shifted-window attention in four stages of halving resolution.
Parameter names follow Detectron2 (and the official detection code) so their checkpoints load.
"""
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch import nn

from .backbone import Backbone
from .utils import Mlp, PreNormBlock, attention, init_transformer_weights

__all__ = [
    "Mlp",
    "WindowAttention",
    "SwinTransformerBlock",
    "PatchMerging",
    "BasicLayer",
    "PatchEmbed",
    "SwinTransformer",
    "window_partition",
    "window_reverse",
]

# Logit added between tokens that came from different image regions after the cyclic shift (Swin uses -100, not
# -inf, which keeps the softmax finite for fully masked rows).
_SHIFT_MASK_VALUE = -100.0


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """Cut a grid whose sides are multiples of ``window_size`` into windows.

    Args:
        x: Tensor[B, H, W, C].
        window_size: window side.

    Returns:
        Tensor[B * num_windows, window_size, window_size, C].
    """
    b, h, w, c = x.shape
    x = x.view(b, h // window_size, window_size, w // window_size, window_size, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size, window_size, c)


def window_reverse(windows: torch.Tensor, window_size: int, H: int, W: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`.

    Args:
        windows: Tensor[B * num_windows, window_size, window_size, C].
        window_size: window side.
        H, W: grid size.

    Returns:
        Tensor[B, H, W, C].
    """
    b = windows.shape[0] // ((H // window_size) * (W // window_size))
    x = windows.reshape(b, H // window_size, W // window_size, window_size, window_size, -1)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, H, W, -1)


class WindowAttention(nn.Module):
    """Multi-head self-attention inside a window, with a learned bias per relative offset and head.

    Args:
        dim: token dimension.
        window_size: (Wh, Ww).
        num_heads: attention heads.
        qkv_bias: whether the qkv projection has a bias.
        qk_scale: logit scale (default head_dim ** -0.5).
        attn_drop: dropout on attention weights.
        proj_drop: dropout after the output projection.
    """

    def __init__(
        self,
        dim: int,
        window_size: Tuple[int, int],
        num_heads: int,
        qkv_bias: bool = True,
        qk_scale: Optional[float] = None,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ):
        super().__init__()
        self.dim = dim
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.scale = qk_scale or (dim // num_heads) ** -0.5
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * wh - 1) * (2 * ww - 1), num_heads))
        # index of each (query, key) pair's offset in the table: (dy + wh - 1) * (2 ww - 1) + (dx + ww - 1)
        coords = torch.stack(torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")).flatten(1)  # (2, N)
        offsets = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)  # (N, N, 2)
        index = (offsets[..., 0] + wh - 1) * (2 * ww - 1) + (offsets[..., 1] + ww - 1)
        self.register_buffer("relative_position_index", index)
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """
        Args:
            x: Tensor[B * num_windows, N, C], N = Wh * Ww.
            mask: None or Tensor[num_windows, N, N] of 0 / -100 added to the logits (shifted windows).

        Returns:
            Tensor[B * num_windows, N, C].
        """
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # (B*nW, heads, N, c)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(n, n, -1).permute(2, 0, 1)[None]  # (1, heads, N, N)
        if mask is not None:
            nw = mask.shape[0]
            bias = (bias[:, None] + mask[None, :, None]).expand(bw // nw, -1, -1, -1, -1)  # (B, nW, heads, N, N)
            bias = bias.reshape(bw, self.num_heads, n, n)
        if self.training and self.attn_drop > 0:
            attn = torch.softmax(q @ k.transpose(-2, -1) * self.scale + bias, dim=-1)
            out = F.dropout(attn, self.attn_drop) @ v
        else:
            out = attention(q, k, v, bias, self.scale)
        out = out.transpose(1, 2).reshape(bw, n, c)
        return self.proj_drop(self.proj(out))


class SwinTransformerBlock(PreNormBlock):
    """A pre-norm block of (shifted) window attention and MLP on a token sequence of an H x W grid.

    The grid size is set by the enclosing `BasicLayer` in ``self.H`` / ``self.W`` before each call.

    Args:
        dim: token dimension.
        num_heads: attention heads.
        window_size: window side.
        shift_size: cyclic shift of the grid (0 or window_size // 2).
        mlp_ratio: MLP hidden size / dim.
        qkv_bias, qk_scale: see `WindowAttention`.
        drop: dropout in the MLP and after attention.
        attn_drop: dropout on attention weights.
        drop_path: stochastic-depth rate.
        act_layer: activation class.
        norm_layer: token norm class.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: int = 7,
        shift_size: int = 0,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: Optional[float] = None,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        act_layer: type = nn.GELU,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
    ):
        super().__init__()
        if not 0 <= shift_size < window_size:
            raise ValueError(f"Swin shift_size must be in [0, window_size={window_size}), got {shift_size}.")
        self.dim = dim
        self.num_heads = num_heads
        self.window_size = window_size
        self.shift_size = shift_size
        self.mlp_ratio = mlp_ratio
        attn = WindowAttention(
            dim,
            window_size=(window_size, window_size),
            num_heads=num_heads,
            qkv_bias=qkv_bias,
            qk_scale=qk_scale,
            attn_drop=attn_drop,
            proj_drop=drop,
        )
        self._add_parts(attn, dim, dim, mlp_ratio, drop_path, norm_layer, act_layer, drop=drop)
        self.H: Optional[int] = None
        self.W: Optional[int] = None

    def forward(self, x: torch.Tensor, mask_matrix: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: Tensor[B, H * W, C].
            mask_matrix: Tensor[num_windows, N, N], the shifted-window mask (used when shift_size > 0).

        Returns:
            Tensor[B, H * W, C].
        """
        b, length, c = x.shape
        h, w, ws = self.H, self.W, self.window_size
        if h is None or h * w != length:
            raise RuntimeError(f"SwinTransformerBlock: grid size {h}x{w} does not match {length} tokens.")
        shortcut = x
        x = self.norm1(x).view(b, h, w, c)
        pad_r = (ws - w % ws) % ws
        pad_b = (ws - h % ws) % ws
        x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = x.shape[1], x.shape[2]
        if self.shift_size > 0:
            x = torch.roll(x, shifts=(-self.shift_size, -self.shift_size), dims=(1, 2))
            attn_mask = mask_matrix
        else:
            attn_mask = None
        windows = window_partition(x, ws).view(-1, ws * ws, c)
        windows = self.attn(windows, mask=attn_mask).view(-1, ws, ws, c)
        x = window_reverse(windows, ws, hp, wp)
        if self.shift_size > 0:
            x = torch.roll(x, shifts=(self.shift_size, self.shift_size), dims=(1, 2))
        if pad_r > 0 or pad_b > 0:
            x = x[:, :h, :w, :].contiguous()
        return self._mlp_residual(shortcut + self.drop_path(x.view(b, h * w, c)))


class PatchMerging(nn.Module):
    """Halve the grid: concatenate each 2x2 neighbourhood (4C channels), normalize, project to 2C.

    Args:
        dim: input token dimension.
        norm_layer: norm class.
    """

    def __init__(self, dim: int, norm_layer: Callable[[int], nn.Module] = nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x: torch.Tensor, H: int, W: int) -> torch.Tensor:
        """Args: x: Tensor[B, H * W, C]. Returns: Tensor[B, ceil(H/2) * ceil(W/2), 2C]."""
        b, _, c = x.shape
        x = x.view(b, H, W, c)
        if H % 2 == 1 or W % 2 == 1:
            x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
        # order of the 4 neighbours: (0,0), (1,0), (0,1), (1,1) as (row, col) offsets
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x.view(b, -1, 4 * c)))


class BasicLayer(nn.Module):
    """One Swin stage: ``depth`` blocks alternating regular and shifted windows, then an optional `PatchMerging`.

    Args:
        dim: token dimension.
        depth: number of blocks.
        num_heads: attention heads.
        window_size: window side.
        mlp_ratio, qkv_bias, qk_scale, drop, attn_drop: see `SwinTransformerBlock`.
        drop_path: stochastic-depth rate, one for all blocks or a list of one per block.
        norm_layer: token norm class.
        downsample: class of the downsampling layer at the end (`PatchMerging`), or None.
        use_checkpoint: recompute block activations in the backward pass to save memory.
    """

    def __init__(
        self,
        dim: int,
        depth: int,
        num_heads: int,
        window_size: int = 7,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: Optional[float] = None,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path=0.0,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
        downsample: Optional[type] = None,
        use_checkpoint: bool = False,
    ):
        super().__init__()
        self.window_size = window_size
        self.shift_size = window_size // 2
        self.depth = depth
        self.use_checkpoint = use_checkpoint
        self.blocks = nn.ModuleList(
            SwinTransformerBlock(
                dim=dim,
                num_heads=num_heads,
                window_size=window_size,
                shift_size=0 if i % 2 == 0 else window_size // 2,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                qk_scale=qk_scale,
                drop=drop,
                attn_drop=attn_drop,
                drop_path=drop_path[i] if isinstance(drop_path, (list, tuple)) else drop_path,
                norm_layer=norm_layer,
            )
            for i in range(depth)
        )
        self.downsample = downsample(dim=dim, norm_layer=norm_layer) if downsample is not None else None

    def _shift_mask(self, H: int, W: int, device: torch.device) -> torch.Tensor:
        # after the cyclic shift, windows on the bottom / right border mix tokens from up to 4 regions of the
        # padded grid; tokens of different regions must not attend to each other.
        ws, shift = self.window_size, self.shift_size
        hp = -(-H // ws) * ws
        wp = -(-W // ws) * ws
        region = torch.zeros((1, hp, wp, 1), device=device)
        slices = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
        label = 0
        for hs in slices:
            for wsl in slices:
                region[:, hs, wsl, :] = label
                label += 1
        region_windows = window_partition(region, ws).view(-1, ws * ws)  # (nW, N)
        diff = region_windows[:, None, :] - region_windows[:, :, None]  # (nW, N, N)
        return torch.zeros_like(diff).masked_fill(diff != 0, _SHIFT_MASK_VALUE)

    def forward(self, x: torch.Tensor, H: int, W: int):
        """
        Args:
            x: Tensor[B, H * W, C].
            H, W: grid size.

        Returns:
            (x_out, H, W, x_down, Wh, Ww): this stage's output and grid, and the downsampled tokens and their grid
            (the same as the output when there is no downsampling).
        """
        attn_mask = self._shift_mask(H, W, x.device)
        for blk in self.blocks:
            blk.H, blk.W = H, W
            if self.use_checkpoint and torch.is_grad_enabled():
                x = torch.utils.checkpoint.checkpoint(blk, x, attn_mask, use_reentrant=False)
            else:
                x = blk(x, attn_mask)
        if self.downsample is None:
            return x, H, W, x, H, W
        return x, H, W, self.downsample(x, H, W), (H + 1) // 2, (W + 1) // 2


class PatchEmbed(nn.Module):
    """Image to patch tokens (channels-first output), padding the image to a multiple of the patch size.

    Args:
        patch_size: patch side.
        in_chans: input channels.
        embed_dim: token dimension.
        norm_layer: optional norm class applied to the tokens.
    """

    def __init__(
        self,
        patch_size: int = 4,
        in_chans: int = 3,
        embed_dim: int = 96,
        norm_layer: Optional[Callable[[int], nn.Module]] = None,
    ):
        super().__init__()
        self.patch_size = (patch_size, patch_size)
        self.in_chans = in_chans
        self.embed_dim = embed_dim
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.norm = norm_layer(embed_dim) if norm_layer is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[B, C, H, W]. Returns: Tensor[B, embed_dim, ceil(H/p), ceil(W/p)]."""
        ph, pw = self.patch_size
        h, w = x.shape[-2:]
        x = F.pad(x, (0, (pw - w % pw) % pw, 0, (ph - h % ph) % ph))
        x = self.proj(x)
        if self.norm is not None:
            wh, ww = x.shape[-2:]
            x = self.norm(x.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(-1, self.embed_dim, wh, ww)
        return x


class SwinTransformer(Backbone):
    """Swin Transformer with outputs ``p0`` ... ``p3`` at strides 4, 8, 16, 32 (each with its own LayerNorm
    ``norm{i}``), to be wrapped in an `FPN`.

    Args:
        pretrain_img_size: image size of pre-training (sizes the absolute position embedding, if any).
        patch_size: patch side.
        in_chans: input channels.
        embed_dim: token dimension of stage 0 (doubles per stage).
        depths: blocks per stage.
        num_heads: attention heads per stage.
        window_size: window side.
        mlp_ratio, qkv_bias, qk_scale: see `SwinTransformerBlock`.
        drop_rate: dropout rate.
        attn_drop_rate: attention dropout rate.
        drop_path_rate: stochastic-depth rate of the last block (linear from 0).
        norm_layer: token norm class.
        ape: add an absolute position embedding.
        patch_norm: normalize the patch embedding.
        out_indices: stages to output.
        frozen_stages: -1 trains everything; 0 freezes the patch embedding, 1 also the position embedding,
            k >= 2 also stages 0 .. k - 2.
        use_checkpoint: recompute block activations in the backward pass to save memory.
    """

    def __init__(
        self,
        pretrain_img_size: int = 224,
        patch_size: int = 4,
        in_chans: int = 3,
        embed_dim: int = 96,
        depths: Sequence[int] = (2, 2, 6, 2),
        num_heads: Sequence[int] = (3, 6, 12, 24),
        window_size: int = 7,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        qk_scale: Optional[float] = None,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.2,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
        ape: bool = False,
        patch_norm: bool = True,
        out_indices: Sequence[int] = (0, 1, 2, 3),
        frozen_stages: int = -1,
        use_checkpoint: bool = False,
    ):
        super().__init__()
        if len(depths) != len(num_heads):
            raise ValueError(
                f"SwinTransformer: depths {list(depths)} and num_heads {list(num_heads)} differ in length."
            )
        self.pretrain_img_size = pretrain_img_size
        self.num_layers = len(depths)
        self.embed_dim = embed_dim
        self.ape = ape
        self.patch_norm = patch_norm
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim, norm_layer=norm_layer if patch_norm else None)
        if ape:
            grid = pretrain_img_size // patch_size
            self.absolute_pos_embed = nn.Parameter(torch.zeros(1, embed_dim, grid, grid))
            nn.init.trunc_normal_(self.absolute_pos_embed, std=0.02)
        self.pos_drop = nn.Dropout(p=drop_rate)

        rates = torch.linspace(0, drop_path_rate, sum(depths), device="cpu").tolist()  # cpu: builds on "meta" too
        self.layers = nn.ModuleList()
        for i in range(self.num_layers):
            self.layers.append(
                BasicLayer(
                    dim=embed_dim * 2**i,
                    depth=depths[i],
                    num_heads=num_heads[i],
                    window_size=window_size,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    qk_scale=qk_scale,
                    drop=drop_rate,
                    attn_drop=attn_drop_rate,
                    drop_path=rates[sum(depths[:i]) : sum(depths[: i + 1])],
                    norm_layer=norm_layer,
                    downsample=PatchMerging if i < self.num_layers - 1 else None,
                    use_checkpoint=use_checkpoint,
                )
            )
        self.num_features = [embed_dim * 2**i for i in range(self.num_layers)]
        for i in self.out_indices:
            self.add_module(f"norm{i}", norm_layer(self.num_features[i]))

        self._out_features = [f"p{i}" for i in self.out_indices]
        self._out_feature_channels = {f"p{i}": self.num_features[i] for i in self.out_indices}
        self._out_feature_strides = {f"p{i}": 2 ** (i + 2) for i in self.out_indices}
        self._size_divisibility = 32
        self.apply(init_transformer_weights)
        self._freeze_stages()

    @property
    def size_divisibility(self) -> int:
        return self._size_divisibility

    def _freeze_stages(self) -> None:
        frozen = []
        if self.frozen_stages >= 0:
            frozen.append(self.patch_embed)
        if self.frozen_stages >= 1:
            if self.ape:
                self.absolute_pos_embed.requires_grad = False
            frozen.append(self.pos_drop)
        if self.frozen_stages >= 2:
            frozen.extend(self.layers[: self.frozen_stages - 1])
        for module in frozen:
            module.eval()
            for p in module.parameters():
                p.requires_grad = False

    def train(self, mode: bool = True) -> "SwinTransformer":
        super().train(mode)
        self._freeze_stages()
        return self

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: x: Tensor[B, C, H, W]. Returns: ``{"p0": Tensor[B, C0, H/4, W/4], ...}``."""
        x = self.patch_embed(x)
        wh, ww = x.shape[-2:]
        if self.ape:
            pos = F.interpolate(self.absolute_pos_embed, size=(wh, ww), mode="bicubic")
            x = x + pos
        x = self.pos_drop(x.flatten(2).transpose(1, 2))
        outs = {}
        for i, layer in enumerate(self.layers):
            x_out, h, w, x, wh, ww = layer(x, wh, ww)
            if i in self.out_indices:
                x_out = getattr(self, f"norm{i}")(x_out)
                outs[f"p{i}"] = x_out.view(-1, h, w, self.num_features[i]).permute(0, 3, 1, 2).contiguous()
        return outs
