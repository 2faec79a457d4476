"""LazyConfig twin of cascade_mask_rcnn_R_50_FPN_1x.yaml: Cascade Mask R-CNN R50-FPN, 1x."""
from ..common.coco_schedule import lr_multiplier_1x as lr_multiplier
from ..common.data.coco import dataloader
from ..common.models.cascade_rcnn import model
from ..common.optim import SGD as optimizer
from ..common.train import train

model.backbone.bottom_up.freeze_at = 2
train.init_checkpoint = "detectron2://ImageNetPretrained/MSRA/R-50.pkl"
