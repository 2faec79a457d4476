"""Transformer backbones (ViT, SimpleFeaturePyramid, Swin, MViTv2) and their helpers, against direct computations:
windowing, relative / absolute positions, attention through scaled_dot_product_attention, shifted-window masks,
layer-wise LR decay, the model-zoo layouts, and ViT-B activation checkpointing (same gradients, lower peak memory).
"""
import os
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from detectra import model_zoo
from detectra.config import instantiate
from detectra.modeling import MViT, SimpleFeaturePyramid, SwinTransformer, ViT, get_vit_lr_decay_rate
from detectra.modeling.backbone.fpn import LastLevelMaxPool
from detectra.modeling.backbone.swin import BasicLayer, WindowAttention
from detectra.modeling.backbone.utils import (
    add_decomposed_rel_pos,
    get_abs_pos,
    get_rel_pos,
    window_partition,
    window_unpartition,
)
from detectra.modeling.backbone.vit import Attention
from detectra.solver import get_default_optimizer_params


def test_window_partition_pads_and_round_trips():
    x = torch.randn(2, 5, 7, 3)
    windows, (hp, wp) = window_partition(x, 3)
    assert (hp, wp) == (6, 9) and windows.shape == (2 * 2 * 3, 3, 3, 3)
    assert torch.equal(windows[1], x[0, 0:3, 3:6])  # image 0, window row 0, column 1
    assert torch.equal(windows[5, :2, :1], x[0, 3:5, 6:7]) and (windows[5, 2:] == 0).all()  # bottom-right, padded
    assert torch.equal(window_unpartition(windows, 3, (hp, wp), (5, 7)), x)


def test_get_rel_pos_indexes_offsets():
    table = torch.arange(5.0)[:, None].repeat(1, 2)  # row r holds r
    rel = get_rel_pos(3, 3, table)
    assert rel.shape == (3, 3, 2)
    assert torch.equal(rel[..., 0], torch.tensor([[2.0, 1, 0], [3, 2, 1], [4, 3, 2]]))  # q - k + 2
    # keys at twice the query resolution: query i sits at key position 2i
    rel = get_rel_pos(2, 4, torch.arange(7.0)[:, None])
    assert torch.equal(rel[..., 0], torch.tensor([[3.0, 2, 1, 0], [5, 4, 3, 2]]))
    # a table made for another size is linearly resized
    assert get_rel_pos(4, 4, torch.randn(3, 2)).shape == (4, 4, 2)


def test_decomposed_rel_pos_matches_direct_sum():
    torch.manual_seed(0)
    qh, qw, kh, kw, c = 2, 3, 2, 3, 4
    q = torch.randn(2, qh * qw, c, dtype=torch.float64)
    rh = torch.randn(2 * 2 - 1, c, dtype=torch.float64)
    rw = torch.randn(2 * 3 - 1, c, dtype=torch.float64)
    out = add_decomposed_rel_pos(torch.zeros(2, qh * qw, kh * kw, dtype=torch.float64), q, rh, rw, (qh, qw), (kh, kw))
    for b in range(2):
        for i in range(qh * qw):
            for j in range(kh * kw):
                (y, x), (ky, kx) = divmod(i, qw), divmod(j, kw)
                expected = q[b, i] @ rh[y - ky + kh - 1] + q[b, i] @ rw[x - kx + kw - 1]
                assert torch.isclose(out[b, i, j], expected)


def test_get_abs_pos_drops_cls_token_and_resizes():
    pos = torch.randn(1, 1 + 16, 8)
    same = get_abs_pos(pos, True, (4, 4))
    assert torch.equal(same, pos[:, 1:].reshape(1, 4, 4, 8))
    resized = get_abs_pos(pos, True, (6, 3))
    expected = F.interpolate(same.permute(0, 3, 1, 2), size=(6, 3), mode="bicubic", align_corners=False)
    assert torch.allclose(resized, expected.permute(0, 2, 3, 1))
    with pytest.raises(ValueError, match="square grid"):
        get_abs_pos(torch.randn(1, 15, 8), False, (4, 4))


def test_vit_attention_equals_explicit_softmax():
    torch.manual_seed(0)
    attn = Attention(16, num_heads=2, use_rel_pos=True, rel_pos_zero_init=False, input_size=(3, 4)).double()
    x = torch.randn(2, 3, 4, 16, dtype=torch.float64)
    b, h, w, c = x.shape
    qkv = attn.qkv(x).reshape(b, h * w, 3, 2, -1).permute(2, 0, 3, 1, 4).reshape(3, b * 2, h * w, -1)
    q, k, v = qkv.unbind(0)
    logits = (q * attn.scale) @ k.transpose(-2, -1)
    logits = add_decomposed_rel_pos(logits, q, attn.rel_pos_h, attn.rel_pos_w, (h, w), (h, w))
    out = (logits.softmax(-1) @ v).view(b, 2, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1)
    assert torch.allclose(attn(x), attn.proj(out), atol=1e-12)


def test_swin_window_attention_with_shift_mask_equals_explicit():
    torch.manual_seed(0)
    layer = BasicLayer(dim=8, depth=2, num_heads=2, window_size=3).double()
    mask = layer._shift_mask(5, 5, torch.device("cpu"))  # padded to 6x6: 4 windows of 9 tokens
    assert mask.shape == (4, 9, 9) and set(mask.unique().tolist()) == {-100.0, 0.0}
    assert (mask[0] == 0).all() and (mask[3] != 0).any()  # top-left window is whole; bottom-right mixes regions
    attn: WindowAttention = layer.blocks[1].attn
    x = torch.randn(2 * 4, 9, 8, dtype=torch.float64)
    q, k, v = attn.qkv(x).reshape(8, 9, 3, 2, 4).permute(2, 0, 3, 1, 4)
    bias = attn.relative_position_bias_table[attn.relative_position_index.view(-1)].view(9, 9, 2).permute(2, 0, 1)
    logits = (q * attn.scale) @ k.transpose(-2, -1) + bias + mask.repeat(2, 1, 1)[:, None]
    expected = attn.proj((logits.softmax(-1) @ v).transpose(1, 2).reshape(8, 9, 8))
    assert torch.allclose(attn(x, mask), expected, atol=1e-12)
    # the offset index: (dy + 2) * 5 + (dx + 2) between token (0, 0) and token (2, 1)
    assert attn.relative_position_index[0, 2 * 3 + 1].item() == (0 - 2 + 2) * 5 + (0 - 1 + 2)


def _tiny_vit(**kwargs):
    defaults = dict(img_size=64, patch_size=16, embed_dim=32, depth=3, num_heads=2, window_size=2,
                    window_block_indexes=[0, 2], use_rel_pos=True)  # fmt: skip
    return ViT(**{**defaults, **kwargs})


def test_vit_and_simple_feature_pyramid_shapes():
    torch.manual_seed(0)
    net = _tiny_vit(residual_block_indexes=[1])
    assert net.blocks[0].attn.rel_pos_h.shape == (3, 16) and net.blocks[1].attn.rel_pos_h.shape == (7, 16)
    # any input size: position embeddings are resized, windows padded (80 px -> 5x5 tokens, 2x2 windows)
    assert net(torch.randn(1, 3, 80, 48))["last_feat"].shape == (1, 32, 5, 3)
    sfp = SimpleFeaturePyramid(net, "last_feat", 8, (4.0, 2.0, 1.0, 0.5), top_block=LastLevelMaxPool(), square_pad=64)
    assert sfp.padding_constraints == {"size_divisibility": 32, "square_size": 64}
    out = sfp(torch.randn(1, 3, 64, 64))
    sizes = {k: tuple(v.shape[2:]) for k, v in out.items()}
    assert sizes == {"p2": (16, 16), "p3": (8, 8), "p4": (4, 4), "p5": (2, 2), "p6": (1, 1)}
    assert {k: s.stride for k, s in sfp.output_shape().items()} == {"p2": 4, "p3": 8, "p4": 16, "p5": 32, "p6": 64}
    with pytest.raises(ValueError, match="scale_factors"):
        SimpleFeaturePyramid(_tiny_vit(), "last_feat", 8, (3.0,))
    with pytest.raises(ValueError, match="not a net output"):
        SimpleFeaturePyramid(_tiny_vit(), "res5", 8, (1.0,))


def test_swin_shapes_odd_sizes_and_frozen_stages():
    torch.manual_seed(0)
    swin = SwinTransformer(embed_dim=8, depths=(2, 2, 2, 2), num_heads=(1, 1, 2, 2), window_size=3, frozen_stages=2)
    out = swin(torch.randn(1, 3, 70, 45))  # patches 18x12 -> 9x6 -> 5x3 -> 3x2
    assert {k: tuple(v.shape[1:]) for k, v in out.items()} == {
        "p0": (8, 18, 12), "p1": (16, 9, 6), "p2": (32, 5, 3), "p3": (64, 3, 2)}  # fmt: skip
    assert {k: s.stride for k, s in swin.output_shape().items()} == {"p0": 4, "p1": 8, "p2": 16, "p3": 32}
    frozen = {".".join(n.split(".")[:2] if n.startswith("layers") else n.split(".")[:1])
              for n, p in swin.named_parameters() if not p.requires_grad}  # fmt: skip
    assert frozen == {"patch_embed", "layers.0"}
    swin.train()
    assert not swin.layers[0].training and swin.layers[1].training


def test_mvit_stage_layout_of_the_zoo_config():
    """MViTv2-B as the COCO config builds it (on the meta device): pooling strides, windows and the sizes of the
    relative-position tables per block, which Detectron2 checkpoints must match."""
    cfg = model_zoo.get_config("ViTDet/COCO/cascade_mask_rcnn_mvitv2_b_in21k_100ep.py").model.backbone.bottom_up
    with torch.device("meta"):
        mvit = instantiate(cfg)
    sizes = [blk.attn.rel_pos_h.shape[0] for blk in mvit.blocks]
    assert sizes == [111, 111, 55, 55, 55, 55] + [27] * 16 + [13, 13]
    assert [i for i, blk in enumerate(mvit.blocks) if hasattr(blk, "pool_skip")] == [2, 5, 21]
    assert [blk.attn.window_size for blk in mvit.blocks[:7]] == [56, 56, 56, 28, 0, 28, 14]  # before q pooling
    assert {k: (s.channels, s.stride) for k, s in mvit.output_shape().items()} == {
        "scale2": (96, 4), "scale3": (192, 8), "scale4": (384, 16), "scale5": (768, 32)}  # fmt: skip
    out = MViT(img_size=64, embed_dim=8, depth=4, last_block_indexes=(0, 1, 2, 3), adaptive_window_size=8)(
        torch.randn(1, 3, 96, 64)
    )
    sizes = {k: tuple(v.shape[2:]) for k, v in out.items()}
    assert sizes == {"scale2": (24, 16), "scale3": (12, 8), "scale4": (6, 4), "scale5": (3, 2)}
    with pytest.raises(ValueError, match="last_block_indexes"):
        MViT(depth=4, last_block_indexes=(0, 1, 2))


@pytest.mark.parametrize(
    "name,rate",
    [
        ("backbone.net.pos_embed", 0.7**13),
        ("backbone.net.patch_embed.proj.weight", 0.7**13),
        ("backbone.net.blocks.0.attn.qkv.weight", 0.7**12),
        ("backbone.net.blocks.11.mlp.fc2.bias", 0.7),
        ("backbone.net.blocks.3.residual.conv1.weight", 1.0),
        ("backbone.simfp_2.0.weight", 1.0),
        ("roi_heads.box_head.fc1.weight", 1.0),
    ],
)
def test_vit_lr_decay_rate(name, rate):
    assert get_vit_lr_decay_rate(name, lr_decay_rate=0.7, num_layers=12) == pytest.approx(rate)


def test_vit_optimizer_groups_from_the_zoo_config():
    optimizer = model_zoo.get_config("ViTDet/COCO/mask_rcnn_vitdet_b_100ep.py").optimizer
    model = nn.Module()
    model.backbone = nn.Module()
    model.backbone.net = _tiny_vit(depth=12, window_block_indexes=[])
    groups = get_default_optimizer_params(
        model, base_lr=optimizer.lr, weight_decay=optimizer.weight_decay, weight_decay_norm=0.0,
        lr_factor_func=optimizer.params.lr_factor_func, overrides=optimizer.params.overrides,
    )  # fmt: skip
    by_param = {id(p): g for g in groups for p in g["params"]}
    net = model.backbone.net
    assert by_param[id(net.pos_embed)]["lr"] == pytest.approx(1e-4 * 0.7**13)
    assert by_param[id(net.pos_embed)]["weight_decay"] == 0.0
    assert by_param[id(net.blocks[11].attn.qkv.weight)]["lr"] == pytest.approx(1e-4 * 0.7)
    assert by_param[id(net.blocks[11].attn.qkv.weight)]["weight_decay"] == 0.1
    assert by_param[id(net.blocks[0].norm1.weight)]["weight_decay"] == 0.0


@pytest.mark.parametrize("arch", ["swin", "mvit"])
def test_swin_and_mvit_checkpointing_keep_gradients(arch):
    x = torch.randn(2, 3, 64, 64)
    grads = []
    for use_ckpt in (False, True):
        torch.manual_seed(0)
        if arch == "swin":
            net = SwinTransformer(embed_dim=8, depths=(2, 2), num_heads=(1, 2), window_size=3, out_indices=(0, 1),
                                  drop_path_rate=0.2, use_checkpoint=use_ckpt)  # fmt: skip
        else:
            net = MViT(img_size=64, embed_dim=8, depth=4, last_block_indexes=(0, 1, 2, 3), adaptive_window_size=8,
                       drop_path_rate=0.2, use_act_checkpoint=use_ckpt)  # fmt: skip
        torch.manual_seed(1)
        sum(f.square().mean() for f in net.train()(x).values()).backward()
        grads.append({n: p.grad for n, p in net.named_parameters()})
    for n, g in grads[0].items():
        assert torch.allclose(g, grads[1][n], rtol=1e-5, atol=1e-7), n


def _vit_b(use_act_checkpoint: bool) -> ViT:
    torch.manual_seed(0)
    return ViT(
        img_size=224, embed_dim=768, depth=12, num_heads=12, drop_path_rate=0.1, window_size=14,
        window_block_indexes=[0, 1, 3, 4, 6, 7, 9, 10], use_rel_pos=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6), use_act_checkpoint=use_act_checkpoint,
    ).train()  # fmt: skip


# Peak memory of one training step, in a fresh process: the high-water mark of its resident set (VmHWM; not
# ru_maxrss, which a child inherits from the parent at fork) minus the resident set before the step. The weight
# gradients are allocated beforehand (as in any step after the first), so the difference is activations and
# temporaries; MALLOC_MMAP_THRESHOLD_ keeps glibc from raising its mmap threshold, so that freed tensors leave the
# resident set at once.
_PEAK_SCRIPT = textwrap.dedent(
    """
    import sys, torch
    sys.path.insert(0, {tests_dir!r})
    from test_backbone_transformers import _vit_b

    def status_kib(key):
        line = next(l for l in open("/proc/self/status") if l.startswith(key + ":"))
        return int(line.split()[1])

    model = _vit_b({ckpt})
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    x = torch.randn(2, 3, 224, 224)
    resident = status_kib("VmRSS")
    model(x)["last_feat"].square().mean().backward()
    print((status_kib("VmHWM") - resident) * 1024)
    """
)


@pytest.mark.slow  # ViT-B: two forward / backward passes at 112 px here, one at 224 px in each of two subprocesses
def test_vit_b_activation_checkpointing_same_gradients_less_memory():
    x = torch.randn(1, 3, 112, 112)
    grads = []
    for use_ckpt in (False, True):
        model = _vit_b(use_ckpt)
        torch.manual_seed(1)  # same drop-path draws; the recomputation replays them
        model(x)["last_feat"].square().mean().backward()
        grads.append({n: p.grad for n, p in model.named_parameters()})
    assert grads[0].keys() == grads[1].keys()
    for n in grads[0]:
        assert torch.allclose(grads[0][n], grads[1][n], rtol=1e-5, atol=1e-7), n

    if not sys.platform.startswith("linux"):
        pytest.skip("peak memory is read from /proc/self/status (Linux)")
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
    peaks = []
    for use_ckpt in (False, True):
        script = _PEAK_SCRIPT.format(tests_dir=str(Path(__file__).parent), ckpt=use_ckpt)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
        peaks.append(int(out.stdout.split()[-1]))
    plain, ckpt = peaks
    # measured: ~335 MiB without checkpointing, ~85 MiB with (batch of 2 at 224 px)
    mib = 2**20
    assert ckpt < 0.5 * plain, f"peak activation memory: {ckpt / mib:.0f} MiB checkpointed, {plain / mib:.0f} MiB not"
