"""Swin-B (ImageNet-21k) Cascade Mask R-CNN, COCO, 50 epochs of LSJ: the MViTv2 recipe with a Swin backbone."""
from detectra.config import LazyCall as L
from detectra.modeling import SwinTransformer
from detectra.solver import MultiStepParamScheduler, WarmupParamScheduler

from ...common.optim import AdamW as optimizer
from ...common.train import train
from ..common.coco_loader_lsj import dataloader
from .cascade_mask_rcnn_mvitv2_b_in21k_100ep import model

model.backbone.bottom_up = L(SwinTransformer)(
    depths=[2, 2, 18, 2],
    drop_path_rate=0.4,
    embed_dim=128,
    num_heads=[4, 8, 16, 32],
)
model.backbone.in_features = ("p0", "p1", "p2", "p3")
model.backbone.square_pad = 1024

train.amp.enabled = True
train.ddp.fp16_compression = True
train.init_checkpoint = "detectron2://ImageNetPretrained/swin/swin_base_patch4_window7_224_22k.pth"

# the 100-epoch schedule (184375 iterations x 64 images / 118k images per epoch), then halved; the warmup keeps its
# 100-epoch fraction
train.max_iter = 184375
lr_multiplier = L(WarmupParamScheduler)(
    scheduler=L(MultiStepParamScheduler)(
        values=[1.0, 0.1, 0.01],
        milestones=[163889, 177546],
        num_updates=train.max_iter,
    ),
    warmup_length=250 / train.max_iter,
    warmup_factor=0.001,
)
train.max_iter = train.max_iter // 2  # 100 -> 50 epochs
lr_multiplier.scheduler.milestones = [m // 2 for m in lr_multiplier.scheduler.milestones]
lr_multiplier.scheduler.num_updates = train.max_iter

optimizer.lr = 4e-5
optimizer.weight_decay = 0.05
optimizer.params.overrides = {"relative_position_bias_table": {"weight_decay": 0.0}}
