"""mask_rcnn_regnetx_4gf_dds_FPN_100ep_LSJ.py trained for 200 epochs: 2x the iterations."""
from .mask_rcnn_regnetx_4gf_dds_FPN_100ep_LSJ import dataloader, lr_multiplier, model, optimizer, train

train.max_iter *= 2
lr_multiplier.scheduler.milestones = [m * 2 for m in lr_multiplier.scheduler.milestones]
lr_multiplier.scheduler.num_updates = train.max_iter
