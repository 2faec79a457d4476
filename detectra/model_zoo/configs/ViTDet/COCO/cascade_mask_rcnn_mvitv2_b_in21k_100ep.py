"""MViTv2-B (ImageNet-21k) Cascade Mask R-CNN, COCO, 100 epochs of LSJ: an FPN over MViT's four stages with
LayerNorm, and the ViTDet cascade heads."""
from functools import partial

import torch.nn as nn

from detectra.config import LazyCall as L
from detectra.modeling import MViT

from ...common.data.constants import constants as _constants
from ...common.models.mask_rcnn_fpn import model
from ...common.optim import AdamW as optimizer
from .cascade_mask_rcnn_vitdet_b_100ep import dataloader, lr_multiplier, train  # LSJ data, 100-epoch schedule
from .cascade_mask_rcnn_vitdet_b_100ep import model as _cascade

model.pixel_mean = _constants.imagenet_rgb256_mean
model.pixel_std = _constants.imagenet_rgb256_std
model.input_format = "RGB"
model.backbone.bottom_up = L(MViT)(
    embed_dim=96,
    depth=24,
    num_heads=1,
    last_block_indexes=(1, 4, 20, 23),
    residual_pooling=True,
    drop_path_rate=0.4,
    norm_layer=partial(nn.LayerNorm, eps=1e-6),
    out_features=("scale2", "scale3", "scale4", "scale5"),
)
model.backbone.in_features = "${.bottom_up.out_features}"
model.backbone.square_pad = 1024
model.backbone.norm = "LN"  # LayerNorm in the FPN

model.proposal_generator.head.conv_dims = [-1, -1]  # two 3x3 convs in the RPN head
model.roi_heads = _cascade.roi_heads  # LayerNorm 4conv1fc cascade heads; LayerNorm mask head

train.init_checkpoint = "detectron2://ImageNetPretrained/mvitv2/MViTv2_B_in21k.pyth"

optimizer.params.overrides = {"pos_embed": {"weight_decay": 0.0}}
optimizer.lr = 8e-5
