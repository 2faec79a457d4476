"""Swin-B (ImageNet-21k) Cascade Mask R-CNN, COCO, 50 epochs of LSJ: the MViTv2 recipe with a Swin backbone."""
from detectra.config import LazyCall as L
from detectra.modeling import SwinTransformer

from ...common.optim import AdamW as optimizer
from .cascade_mask_rcnn_mvitv2_b_in21k_100ep import dataloader, lr_multiplier, model, train

model.backbone.bottom_up = L(SwinTransformer)(
    depths=[2, 2, 18, 2],
    drop_path_rate=0.4,
    embed_dim=128,
    num_heads=[4, 8, 16, 32],
)
model.backbone.in_features = ("p0", "p1", "p2", "p3")
model.backbone.square_pad = 1024

train.init_checkpoint = "detectron2://ImageNetPretrained/swin/swin_base_patch4_window7_224_22k.pth"

# the 100-epoch schedule halved; the warmup stays 250 / 184375 of it (125 iterations)
train.max_iter = train.max_iter // 2
lr_multiplier.scheduler.milestones = [m // 2 for m in lr_multiplier.scheduler.milestones]
lr_multiplier.scheduler.num_updates = train.max_iter

optimizer.lr = 4e-5
optimizer.weight_decay = 0.05
optimizer.params.overrides = {"relative_position_bias_table": {"weight_decay": 0.0}}
