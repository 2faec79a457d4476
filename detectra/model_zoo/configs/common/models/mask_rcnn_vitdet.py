"""Mask R-CNN with a plain ViT-B backbone (ViTDet): a SimpleFeaturePyramid (P2-P6) built from ViT's stride-16 map,
LayerNorm in the pyramid and the heads, 2 convs in the RPN head, a 4conv1fc box head, RGB inputs padded to
1024x1024."""
from functools import partial

import torch.nn as nn

from detectra.config import LazyCall as L
from detectra.modeling import SimpleFeaturePyramid, ViT
from detectra.modeling.backbone.fpn import LastLevelMaxPool

from ..data.constants import constants
from .mask_rcnn_fpn import model

model.pixel_mean = constants.imagenet_rgb256_mean
model.pixel_std = constants.imagenet_rgb256_std
model.input_format = "RGB"

model.backbone = L(SimpleFeaturePyramid)(
    net=L(ViT)(
        img_size=1024,
        patch_size=16,
        embed_dim=768,
        depth=12,
        num_heads=12,
        drop_path_rate=0.1,
        window_size=14,
        mlp_ratio=4,
        qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6),
        window_block_indexes=[0, 1, 3, 4, 6, 7, 9, 10],  # blocks 2, 5, 8, 11 attend globally
        residual_block_indexes=[],
        use_rel_pos=True,
        out_feature="last_feat",
    ),
    in_feature="${.net.out_feature}",
    out_channels=256,
    scale_factors=(4.0, 2.0, 1.0, 0.5),
    top_block=L(LastLevelMaxPool)(),
    norm="LN",
    square_pad=1024,
)

model.roi_heads.box_head.conv_norm = model.roi_heads.mask_head.conv_norm = "LN"
model.proposal_generator.head.conv_dims = [-1, -1]  # two 3x3 convs in the RPN head
model.roi_heads.box_head.conv_dims = [256, 256, 256, 256]  # 4conv1fc box head
model.roi_heads.box_head.fc_dims = [1024]
