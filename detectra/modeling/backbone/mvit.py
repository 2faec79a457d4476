"""Multiscale Vision Transformer v2 backbone (Li et al. 2022): pooling attention, decomposed relative positions,
residual pooling and hybrid window attention, with outputs at strides 4 to 32. Parameter names follow Detectron2 so
its checkpoints load.
"""
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from torch import nn

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

__all__ = ["MViT"]


def attention_pool(x: torch.Tensor, pool: nn.Module, norm: Optional[nn.Module] = None) -> torch.Tensor:
    """Pool a channels-last grid with a channels-first module, then optionally normalize.

    Args:
        x: Tensor[B, H, W, C].
        pool: e.g. a depthwise strided conv or a max pool.
        norm: optional token norm.

    Returns:
        Tensor[B, H', W', C].
    """
    x = pool(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    return norm(x) if norm is not None else x


class MultiScaleAttention(QKVAttention):
    """Pooling attention: q, k and v are each pooled by a depthwise conv (stride ``stride_q`` / ``stride_kv``) and
    normalized before attending, optionally inside windows and with decomposed relative positions.

    Args:
        dim: input token dimension.
        dim_out: output token dimension.
        num_heads: attention heads.
        qkv_bias: whether the qkv projection has a bias.
        norm_layer: norm class of the pooled q / k / v.
        pool_kernel: kernel of the pooling convs.
        stride_q: query pooling stride (downsamples the output).
        stride_kv: key / value pooling stride.
        residual_pooling: add the pooled query to the attention output.
        window_size: window side on the unpooled grid (0: global attention).
        use_rel_pos: add decomposed relative-position biases.
        rel_pos_zero_init: start the relative tables at zero.
        input_size: (H, W) of the unpooled grid the tables are sized for.
    """

    def __init__(
        self,
        dim: int,
        dim_out: int,
        num_heads: int,
        qkv_bias: bool = True,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
        pool_kernel: Tuple[int, int] = (3, 3),
        stride_q: int = 1,
        stride_kv: int = 1,
        residual_pooling: bool = True,
        window_size: int = 0,
        use_rel_pos: bool = False,
        rel_pos_zero_init: bool = True,
        input_size: Optional[Tuple[int, int]] = None,
    ):
        super().__init__(dim, dim_out, num_heads, qkv_bias)
        head_dim = dim_out // num_heads
        padding = [k // 2 for k in pool_kernel]
        for name, stride in (("q", stride_q), ("k", stride_kv), ("v", stride_kv)):
            pool = nn.Conv2d(
                head_dim, head_dim, pool_kernel, stride=stride, padding=padding, groups=head_dim, bias=False
            )
            self.add_module(f"pool_{name}", pool)
            self.add_module(f"norm_{name}", norm_layer(head_dim))

        self.window_size = window_size
        if window_size:
            self.q_win_size = window_size // stride_q
            self.kv_win_size = window_size // stride_kv
        self.residual_pooling = residual_pooling
        self.use_rel_pos = use_rel_pos
        if use_rel_pos:
            if input_size is None or input_size[0] != input_size[1]:
                raise ValueError(f"MultiScaleAttention with use_rel_pos needs a square input_size, got {input_size}.")
            size = input_size[0]
            rel_dim = 2 * max(size // stride_q, size // stride_kv) - 1
            self._add_rel_pos_tables(rel_dim, rel_dim, rel_pos_zero_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[B, H, W, C]. Returns: Tensor[B, H / stride_q, W / stride_q, dim_out]."""
        b, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(b, h, w, 3, self.num_heads, -1).permute(3, 0, 4, 1, 2, 5)  # (3, B, heads, H, W, c)
        q, k, v = qkv.reshape(3, b * self.num_heads, h, w, -1).unbind(0)  # each (B * heads, H, W, c)
        q = attention_pool(q, self.pool_q, self.norm_q)
        k = attention_pool(k, self.pool_k, self.norm_k)
        v = attention_pool(v, self.pool_v, self.norm_v)

        pooled_q = q
        if self.window_size:
            q, q_pad_hw = window_partition(q, self.q_win_size)
            k, _ = window_partition(k, self.kv_win_size)
            v, _ = window_partition(v, self.kv_win_size)
            q_hw = (self.q_win_size, self.q_win_size)
            kv_hw = (self.kv_win_size, self.kv_win_size)
        else:
            q_hw = (q.shape[1], q.shape[2])
            kv_hw = (k.shape[1], k.shape[2])
        q = q.reshape(q.shape[0], q_hw[0] * q_hw[1], -1)
        k = k.reshape(k.shape[0], kv_hw[0] * kv_hw[1], -1)
        v = v.reshape(v.shape[0], kv_hw[0] * kv_hw[1], -1)

        bias = None
        if self.use_rel_pos:
            bias = decomposed_rel_pos_bias(q, self.rel_pos_h, self.rel_pos_w, q_hw, kv_hw)
        x = attention(q, k, v, bias, self.scale)  # (B * heads [* windows], Nq, c)
        x = x.reshape(x.shape[0], q_hw[0], q_hw[1], -1)
        if self.window_size:
            x = window_unpartition(x, self.q_win_size, q_pad_hw, (pooled_q.shape[1], pooled_q.shape[2]))
        if self.residual_pooling:
            x = x + pooled_q
        h, w = x.shape[1], x.shape[2]
        x = x.view(b, self.num_heads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1)
        return self.proj(x)


class MultiScaleBlock(PreNormBlock):
    """A pre-norm block of pooling attention and MLP; the shortcut is projected (``proj``) when the dimension
    changes and max-pooled (``pool_skip``) when the query is strided.

    Args:
        dim, dim_out: input / output token dimension.
        num_heads: attention heads.
        mlp_ratio: MLP hidden size / dim_out.
        qkv_bias: whether the qkv projection has a bias.
        drop_path: stochastic-depth rate.
        norm_layer: token norm class.
        act_layer: activation class.
        qkv_pool_kernel, stride_q, stride_kv, residual_pooling, window_size, use_rel_pos, rel_pos_zero_init,
            input_size: see `MultiScaleAttention`.
    """

    def __init__(
        self,
        dim: int,
        dim_out: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path: float = 0.0,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
        act_layer: type = nn.GELU,
        qkv_pool_kernel: Tuple[int, int] = (3, 3),
        stride_q: int = 1,
        stride_kv: int = 1,
        residual_pooling: bool = True,
        window_size: int = 0,
        use_rel_pos: bool = False,
        rel_pos_zero_init: bool = True,
        input_size: Optional[Tuple[int, int]] = None,
    ):
        super().__init__()
        attn = MultiScaleAttention(
            dim,
            dim_out,
            num_heads=num_heads,
            qkv_bias=qkv_bias,
            norm_layer=norm_layer,
            pool_kernel=qkv_pool_kernel,
            stride_q=stride_q,
            stride_kv=stride_kv,
            residual_pooling=residual_pooling,
            window_size=window_size,
            use_rel_pos=use_rel_pos,
            rel_pos_zero_init=rel_pos_zero_init,
            input_size=input_size,
        )
        self._add_parts(attn, dim, dim_out, mlp_ratio, drop_path, norm_layer, act_layer)
        if dim != dim_out:
            self.proj = nn.Linear(dim, dim_out)
        if stride_q > 1:
            kernel_skip = stride_q + 1
            self.pool_skip = nn.MaxPool2d(kernel_skip, stride_q, kernel_skip // 2, ceil_mode=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[B, H, W, dim]. Returns: Tensor[B, H / stride_q, W / stride_q, dim_out]."""
        x_norm = self.norm1(x)
        x_block = self.attn(x_norm)
        if hasattr(self, "proj"):
            x = self.proj(x_norm)  # the projected shortcut starts from the normalized tokens
        if hasattr(self, "pool_skip"):
            x = attention_pool(x, self.pool_skip)
        return self._mlp_residual(x + self.drop_path(x_block))


class MViT(PatchTokenBackbone):
    """MViTv2 for detection: stages end at ``last_block_indexes``; each next stage halves the grid (query pooling
    in its first block), doubles the dimension and heads, and halves the key / value stride and the window.
    Windowed attention everywhere except the last block of stages 3-5, which attend globally.

    Args:
        img_size: input size the relative-position tables are sized for.
        patch_kernel, patch_stride, patch_padding: of the patch-embedding convolution.
        in_chans: input channels.
        embed_dim: token dimension of the first stage.
        depth: number of blocks.
        num_heads: attention heads of the first stage.
        last_block_indexes: index of the last block of each of the 4 stages.
        qkv_pool_kernel: kernel of the q / k / v pooling convs.
        adaptive_kv_stride: key / value stride of the first stage.
        adaptive_window_size: window side of the first stage.
        residual_pooling: add the pooled query to the attention output.
        mlp_ratio: MLP hidden size / dimension.
        qkv_bias: whether qkv projections have a bias.
        drop_path_rate: stochastic-depth rate of the last block (linear from 0).
        norm_layer: token norm class.
        act_layer: activation class.
        use_abs_pos: add absolute position embeddings (``pos_embed``).
        use_rel_pos: add decomposed relative-position biases.
        rel_pos_zero_init: start the relative tables at zero.
        use_act_checkpoint: recompute block activations in the backward pass to save memory.
        pretrain_img_size: image size of pre-training (sizes ``pos_embed``).
        pretrain_use_cls_token: whether ``pos_embed`` has a leading class-token position.
        out_features: stages to output, among "scale2" ... "scale5" (strides 4 ... 32).
    """

    def __init__(
        self,
        img_size: int = 224,
        patch_kernel: Tuple[int, int] = (7, 7),
        patch_stride: Tuple[int, int] = (4, 4),
        patch_padding: Tuple[int, int] = (3, 3),
        in_chans: int = 3,
        embed_dim: int = 96,
        depth: int = 16,
        num_heads: int = 1,
        last_block_indexes: Sequence[int] = (0, 2, 11, 15),
        qkv_pool_kernel: Tuple[int, int] = (3, 3),
        adaptive_kv_stride: int = 4,
        adaptive_window_size: int = 56,
        residual_pooling: bool = True,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path_rate: float = 0.0,
        norm_layer: Callable[[int], nn.Module] = nn.LayerNorm,
        act_layer: type = nn.GELU,
        use_abs_pos: bool = False,
        use_rel_pos: bool = True,
        rel_pos_zero_init: bool = True,
        use_act_checkpoint: bool = False,
        pretrain_img_size: int = 224,
        pretrain_use_cls_token: bool = True,
        out_features: Sequence[str] = ("scale2", "scale3", "scale4", "scale5"),
    ):
        super().__init__()
        if len(last_block_indexes) != 4 or list(last_block_indexes) != sorted(last_block_indexes):
            raise ValueError(
                f"MViT last_block_indexes must be 4 increasing block indexes, got {list(last_block_indexes)}."
            )
        if last_block_indexes[-1] != depth - 1:
            raise ValueError(f"MViT: the last stage must end at the last block (depth - 1 = {depth - 1}), "
                             f"got last_block_indexes {list(last_block_indexes)}.")
        patch_embed = PatchEmbed(
            kernel_size=patch_kernel, stride=patch_stride, padding=patch_padding, in_chans=in_chans, embed_dim=embed_dim
        )
        num_patches = (pretrain_img_size // patch_stride[0]) * (pretrain_img_size // patch_stride[1])
        self._add_tokens(patch_embed, num_patches, use_abs_pos, pretrain_use_cls_token, use_act_checkpoint)

        rates = torch.linspace(0, drop_path_rate, depth, device="cpu").tolist()  # cpu: builds on "meta" too
        dim_out = embed_dim
        stride_kv = adaptive_kv_stride
        window_size = adaptive_window_size
        input_size = (img_size // patch_stride[0], img_size // patch_stride[1])
        stage = 2
        stride = patch_stride[0]
        self._out_feature_strides: Dict[str, int] = {}
        self._out_feature_channels: Dict[str, int] = {}
        self.blocks = nn.ModuleList()
        for i in range(depth):
            # the last blocks of stages 3 and 4 pool keys / values twice as much (they attend globally)
            block_stride_kv = stride_kv * 2 if i in (last_block_indexes[1], last_block_indexes[2]) else stride_kv
            block_window = 0 if i in last_block_indexes[1:] else window_size
            self.blocks.append(
                MultiScaleBlock(
                    dim=embed_dim,
                    dim_out=dim_out,
                    num_heads=num_heads,
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    drop_path=rates[i],
                    norm_layer=norm_layer,
                    act_layer=act_layer,
                    qkv_pool_kernel=qkv_pool_kernel,
                    stride_q=2 if i - 1 in last_block_indexes else 1,
                    stride_kv=block_stride_kv,
                    residual_pooling=residual_pooling,
                    window_size=block_window,
                    use_rel_pos=use_rel_pos,
                    rel_pos_zero_init=rel_pos_zero_init,
                    input_size=input_size,
                )
            )
            embed_dim = dim_out
            if i in last_block_indexes:
                name = f"scale{stage}"
                if name in out_features:
                    self._out_feature_channels[name] = dim_out
                    self._out_feature_strides[name] = stride
                    self.add_module(f"{name}_norm", norm_layer(dim_out))
                dim_out *= 2
                num_heads *= 2
                stride_kv = max(stride_kv // 2, 1)
                stride *= 2
                stage += 1
            if i - 1 in last_block_indexes:
                # the first block of a stage (query stride 2) was built for the previous grid; the rest use the new one
                window_size //= 2
                input_size = (input_size[0] // 2, input_size[1] // 2)

        unknown = [f for f in out_features if f not in self._out_feature_channels]
        if unknown:
            raise ValueError(f"MViT out_features {unknown} are not among scale2 ... scale5.")
        self._out_features = list(out_features)
        self._last_block_indexes = tuple(last_block_indexes)
        self._init_weights()

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: x: Tensor[B, C, H, W]. Returns: ``{"scale2": Tensor[B, C2, H/4, W/4], ...}``."""
        x = self._embed(x)
        outputs = {}
        start = 0
        for stage, end in enumerate(self._last_block_indexes, start=2):
            x = run_blocks(self.blocks[start : end + 1], x, self.use_act_checkpoint)
            start = end + 1
            name = f"scale{stage}"
            if name in self._out_features:
                outputs[name] = getattr(self, f"{name}_norm")(x).permute(0, 3, 1, 2)
        return outputs
