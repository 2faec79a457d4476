"""ViTDet, ViT-L Mask R-CNN, LVIS v1, 100 epochs: the ViT-B LVIS recipe with COCO ViT-L's backbone and LR decay."""
from ..COCO.mask_rcnn_vitdet_l_100ep import model as _large, optimizer as _large_optimizer, train as _large_train
from .mask_rcnn_vitdet_b_100ep import dataloader, lr_multiplier, model, optimizer, train

train.init_checkpoint = _large_train.init_checkpoint
model.backbone.net = _large.backbone.net
optimizer.params.lr_factor_func = _large_optimizer.params.lr_factor_func
