"""Mask R-CNN with a RegNetY-4GF backbone (pycls' DDS baseline ImageNet weights) and FPN, 1x schedule."""
from ..common.coco_schedule import lr_multiplier_1x as lr_multiplier
from ..common.data.coco import dataloader
from ..common.models.mask_rcnn_fpn import model
from ..common.models.regnet import pixel_std as _pixel_std, regnety_4gf as _regnety_4gf  # private: not config keys
from ..common.optim import SGD as optimizer
from ..common.train import train

model.backbone.bottom_up = _regnety_4gf
model.pixel_std = _pixel_std

optimizer.weight_decay = 5e-5
train.init_checkpoint = "https://dl.fbaipublicfiles.com/pycls/dds_baselines/160906838/RegNetY-4.0GF_dds_8gpu.pyth"
train.cudnn_benchmark = True  # fixed-size grouped convolutions: cudnn's autotuner pays off
