"""MViTv2-H (ImageNet-21k) Cascade Mask R-CNN, COCO, 36 epochs, with activation checkpointing."""
from detectra.config import LazyCall as L
from detectra.solver import MultiStepParamScheduler, WarmupParamScheduler

from .cascade_mask_rcnn_mvitv2_b_in21k_100ep import dataloader, model, optimizer, train

model.backbone.bottom_up.embed_dim = 192
model.backbone.bottom_up.depth = 80
model.backbone.bottom_up.num_heads = 3
model.backbone.bottom_up.last_block_indexes = (3, 11, 71, 79)
model.backbone.bottom_up.drop_path_rate = 0.6
model.backbone.bottom_up.use_act_checkpoint = True

train.init_checkpoint = "detectron2://ImageNetPretrained/mvitv2/MViTv2_H_in21k.pyth"

train.max_iter = 67500  # 36 epochs
lr_multiplier = L(WarmupParamScheduler)(
    scheduler=L(MultiStepParamScheduler)(
        values=[1.0, 0.1, 0.01],
        milestones=[52500, 62500, 67500],  # the last one is the end of the schedule
    ),
    warmup_length=250 / train.max_iter,
    warmup_factor=0.001,
)
optimizer.lr = 1.6e-4
