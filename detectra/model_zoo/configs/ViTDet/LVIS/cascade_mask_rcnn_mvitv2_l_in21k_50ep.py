"""MViTv2-L (ImageNet-21k) Cascade Mask R-CNN, LVIS v1, 50 epochs, LR 4e-5."""
from ..COCO.cascade_mask_rcnn_mvitv2_l_in21k_50ep import model as _large, train as _large_train
from .cascade_mask_rcnn_mvitv2_b_in21k_100ep import dataloader, lr_multiplier, model, optimizer, train

model.backbone.bottom_up = _large.backbone.bottom_up
train.init_checkpoint = _large_train.init_checkpoint

train.max_iter = train.max_iter // 2  # 100 -> 50 epochs
lr_multiplier.scheduler.milestones = [m // 2 for m in lr_multiplier.scheduler.milestones]
lr_multiplier.scheduler.num_updates = train.max_iter
lr_multiplier.warmup_length = 250 / train.max_iter

optimizer.lr = 4e-5
