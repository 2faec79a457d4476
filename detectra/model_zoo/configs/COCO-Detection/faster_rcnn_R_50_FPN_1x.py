"""LazyConfig twin of faster_rcnn_R_50_FPN_1x.yaml: the Mask R-CNN R50-FPN config without its mask branch."""
from ..common.coco_schedule import lr_multiplier_1x as lr_multiplier
from ..common.data.coco import dataloader
from ..common.models.mask_rcnn_fpn import model
from ..common.optim import SGD as optimizer
from ..common.train import train

for _key in ("mask_in_features", "mask_pooler", "mask_head"):
    model.roi_heads.pop(_key)
dataloader.train.mapper.use_instance_mask = False
model.backbone.bottom_up.freeze_at = 2
train.init_checkpoint = "detectron2://ImageNetPretrained/MSRA/R-50.pkl"
