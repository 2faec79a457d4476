"""MViTv2-B (ImageNet-21k) Cascade Mask R-CNN, LVIS v1, 100 epochs: the COCO recipe with LVIS data, sampling and
predictors, LR 1e-4."""
from detectra.data.detection_utils import get_fed_loss_cls_weights

from ..COCO.cascade_mask_rcnn_mvitv2_b_in21k_100ep import dataloader, model, optimizer, train
from .cascade_mask_rcnn_vitdet_b_100ep import dataloader as _lvis_data, lr_multiplier, model as _lvis
from .cascade_mask_rcnn_vitdet_b_100ep import train as _lvis_train

dataloader.train.dataset.names = _lvis_data.train.dataset.names
dataloader.train.sampler = _lvis_data.train.sampler
dataloader.test.dataset.names = _lvis_data.test.dataset.names
dataloader.evaluator = _lvis_data.evaluator

model.roi_heads.num_classes = _lvis.roi_heads.num_classes
model.roi_heads.box_predictors = _lvis.roi_heads.box_predictors

# the federated-loss class weights follow this file's training set
for _predictor in model.roi_heads.box_predictors:
    _predictor.get_fed_loss_cls_weights = lambda: get_fed_loss_cls_weights(dataloader.train.dataset.names, 0.5)

# the LVIS 100-epoch schedule, as lr_multiplier
train.max_iter = _lvis_train.max_iter
train.eval_period = _lvis_train.eval_period

optimizer.lr = 1e-4
