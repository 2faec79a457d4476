"""ViTDet, ViT-B (MAE-pretrained) Mask R-CNN, COCO, 100 epochs of LSJ at batch 64, AdamW with layer-wise LR decay."""
from functools import partial

from detectra.modeling.backbone.vit import get_vit_lr_decay_rate

from ...common.models.mask_rcnn_vitdet import model
from ...common.optim import AdamW as optimizer
from ...common.train import train
from ...new_baselines.mask_rcnn_R_50_FPN_100ep_LSJ import lr_multiplier, train as _lsj_train
from ..common.coco_loader_lsj import dataloader

train.amp.enabled = True
train.ddp.fp16_compression = True
train.init_checkpoint = "detectron2://ImageNetPretrained/MAE/mae_pretrain_vit_base.pth?matching_heuristics=True"

# the 100-epoch LSJ schedule of new_baselines (184375 iterations at batch 64), with a shorter, lower warmup
train.max_iter = _lsj_train.max_iter
lr_multiplier.warmup_length = 250 / train.max_iter
lr_multiplier.warmup_factor = 0.001

optimizer.params.lr_factor_func = partial(get_vit_lr_decay_rate, num_layers=12, lr_decay_rate=0.7)
optimizer.params.overrides = {"pos_embed": {"weight_decay": 0.0}}
