"""MViTv2-H (ImageNet-21k) Cascade Mask R-CNN, LVIS v1, 50 epochs, LR 2e-5, with activation checkpointing."""
from ..COCO.cascade_mask_rcnn_mvitv2_h_in21k_36ep import model as _huge, train as _huge_train
from .cascade_mask_rcnn_mvitv2_b_in21k_100ep import dataloader, lr_multiplier, model, optimizer, train

model.backbone.bottom_up = _huge.backbone.bottom_up
train.init_checkpoint = _huge_train.init_checkpoint

train.max_iter = train.max_iter // 2  # 100 -> 50 epochs
lr_multiplier.scheduler.milestones = [m // 2 for m in lr_multiplier.scheduler.milestones]
lr_multiplier.scheduler.num_updates = train.max_iter
lr_multiplier.warmup_length = 250 / train.max_iter

optimizer.lr = 2e-5
