"""mask_rcnn_regnetx_4gf_dds_FPN_100ep_LSJ.py trained for 400 epochs: 4x the iterations."""
from .mask_rcnn_regnetx_4gf_dds_FPN_100ep_LSJ import dataloader, lr_multiplier, model, optimizer, train

train.max_iter *= 4
lr_multiplier.scheduler.milestones = [m * 4 for m in lr_multiplier.scheduler.milestones]
lr_multiplier.scheduler.num_updates = train.max_iter
