"""ViTDet, ViT-B (MAE-pretrained) Mask R-CNN, COCO, 100 epochs of LSJ at batch 64, AdamW with layer-wise LR decay."""
from functools import partial

from detectra.config import LazyCall as L
from detectra.modeling.backbone.vit import get_vit_lr_decay_rate
from detectra.solver import MultiStepParamScheduler, WarmupParamScheduler

from ...common.models.mask_rcnn_vitdet import model
from ...common.optim import AdamW as optimizer
from ...common.train import train
from ..common.coco_loader_lsj import dataloader

train.amp.enabled = True
train.ddp.fp16_compression = True
train.init_checkpoint = "detectron2://ImageNetPretrained/MAE/mae_pretrain_vit_base.pth?matching_heuristics=True"

# 100 epochs = 184375 iterations x 64 images / 118k images per epoch
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

optimizer.params.lr_factor_func = partial(get_vit_lr_decay_rate, num_layers=12, lr_decay_rate=0.7)
optimizer.params.overrides = {"pos_embed": {"weight_decay": 0.0}}
