"""MViTv2-H (ImageNet-21k) Cascade Mask R-CNN, LVIS v1, 50 epochs, LR 2e-5, with activation checkpointing: the
MViTv2-L LVIS recipe with the huge backbone."""
from ..COCO.cascade_mask_rcnn_mvitv2_h_in21k_36ep import model as _huge, train as _huge_train
from .cascade_mask_rcnn_mvitv2_l_in21k_50ep import dataloader, lr_multiplier, model, optimizer, train

model.backbone.bottom_up = _huge.backbone.bottom_up
train.init_checkpoint = _huge_train.init_checkpoint

optimizer.lr = 2e-5
