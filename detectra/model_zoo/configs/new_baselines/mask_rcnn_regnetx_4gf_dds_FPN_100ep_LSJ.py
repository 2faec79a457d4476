"""The 100-epoch LSJ recipe (mask_rcnn_R_50_FPN_100ep_LSJ.py) with a RegNetX-4GF backbone in SyncBN, from scratch."""
from ..common.models.regnet import pixel_std as _pixel_std, regnetx_4gf as _regnetx_4gf  # private: not config keys
from .mask_rcnn_R_50_FPN_100ep_LSJ import dataloader, lr_multiplier, model, optimizer, train

model.backbone.bottom_up = _regnetx_4gf
model.backbone.bottom_up.norm = "SyncBN"
del model.backbone.bottom_up.freeze_at  # from scratch: nothing frozen (RegNet's default)
model.pixel_std = _pixel_std

train.cudnn_benchmark = True
