"""LazyConfig twin of mask_rcnn_R_50_FPN_3x.yaml: as the 1x config, trained 3x as long."""
from ..common.coco_schedule import lr_multiplier_3x as lr_multiplier
from .mask_rcnn_R_50_FPN_1x import dataloader, model, optimizer, train

train.max_iter = 270000
