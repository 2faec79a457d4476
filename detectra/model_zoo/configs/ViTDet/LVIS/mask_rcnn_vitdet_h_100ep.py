"""ViTDet, ViT-H Mask R-CNN, LVIS v1, 100 epochs: the ViT-B LVIS recipe with COCO ViT-H's backbone (drop-path 0.4
instead of 0.5) and optimizer settings, at LR 1e-4."""
from ..COCO.mask_rcnn_vitdet_h_75ep import model as _huge, optimizer as _huge_optimizer, train as _huge_train
from .mask_rcnn_vitdet_b_100ep import dataloader, lr_multiplier, model, optimizer, train

train.init_checkpoint = _huge_train.init_checkpoint
model.backbone.net = _huge.backbone.net
model.backbone.net.drop_path_rate = 0.4

optimizer.lr = 1e-4
optimizer.params.lr_factor_func = _huge_optimizer.params.lr_factor_func
optimizer.params.overrides = {}
optimizer.params.weight_decay_norm = None
