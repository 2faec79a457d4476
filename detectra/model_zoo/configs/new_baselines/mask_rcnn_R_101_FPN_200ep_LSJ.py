"""mask_rcnn_R_50_FPN_200ep_LSJ.py with a ResNet-101 backbone."""
from .mask_rcnn_R_50_FPN_200ep_LSJ import dataloader, lr_multiplier, model, optimizer, train

model.backbone.bottom_up.stages.depth = 101
