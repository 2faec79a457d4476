"""MViTv2-B (ImageNet-21k) Cascade Mask R-CNN, LVIS v1, 100 epochs: the COCO recipe with LVIS data, sampling and
predictors, LR 1e-4."""
from detectra.data.detection_utils import get_fed_loss_cls_weights

from ..COCO.cascade_mask_rcnn_mvitv2_b_in21k_100ep import dataloader, lr_multiplier, model, optimizer, train
from .cascade_mask_rcnn_vitdet_b_100ep import dataloader as _lvis_data, model as _lvis

dataloader.train.dataset.names = _lvis_data.train.dataset.names
dataloader.train.sampler = _lvis_data.train.sampler
dataloader.test.dataset.names = _lvis_data.test.dataset.names
dataloader.evaluator = _lvis_data.evaluator

model.roi_heads.num_classes = _lvis.roi_heads.num_classes
model.roi_heads.box_predictors = _lvis.roi_heads.box_predictors

# the federated-loss class weights follow this file's training set
for _predictor in model.roi_heads.box_predictors:
    _predictor.get_fed_loss_cls_weights = lambda: get_fed_loss_cls_weights(dataloader.train.dataset.names, 0.5)

# 100 epochs = 156250 iterations x 64 images / 100k images per epoch
train.max_iter = 156250
train.eval_period = 30000
lr_multiplier.scheduler.milestones = [138889, 150463]
lr_multiplier.scheduler.num_updates = train.max_iter
lr_multiplier.warmup_length = 250 / train.max_iter

optimizer.lr = 1e-4
