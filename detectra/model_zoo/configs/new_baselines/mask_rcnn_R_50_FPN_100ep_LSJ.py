"""Mask R-CNN R50-FPN trained from scratch for 100 COCO epochs with large-scale jitter (LSJ).

1024x1024 crops of images rescaled by 0.1-2.0, SyncBN in backbone and FPN (NaiveSyncBatchNorm in the ROI heads,
which may see empty batches), 2 convs in the RPN head, a 4conv1fc box head, batch 64, AMP.
"""
import detectra.data.transforms as T
from detectra.config import LazyCall as L
from detectra.layers import NaiveSyncBatchNorm
from detectra.solver import MultiStepParamScheduler, WarmupParamScheduler

from ..common.data.coco import dataloader
from ..common.models.mask_rcnn_fpn import model
from ..common.optim import SGD as optimizer
from ..common.train import train

# From scratch: nothing frozen, nothing loaded.
train.init_checkpoint = ""
train.amp.enabled = True
train.ddp.fp16_compression = True
model.backbone.bottom_up.freeze_at = 0

model.backbone.bottom_up.stem.norm = "SyncBN"
model.backbone.bottom_up.stages.norm = "SyncBN"
model.backbone.norm = "SyncBN"
# torch.nn.SyncBatchNorm fails on an empty batch, which ROI heads can get; the naive version averages per-GPU
# statistics weighted by each GPU's batch size ("N") and handles it.
model.roi_heads.box_head.conv_norm = lambda c: NaiveSyncBatchNorm(c, stats_mode="N")
model.roi_heads.mask_head.conv_norm = lambda c: NaiveSyncBatchNorm(c, stats_mode="N")

model.proposal_generator.head.conv_dims = [-1, -1]  # two 3x3 convs in the RPN head
model.roi_heads.box_head.conv_dims = [256, 256, 256, 256]  # 4conv1fc box head
model.roi_heads.box_head.fc_dims = [1024]

image_size = 1024
dataloader.train.mapper.augmentations = [
    L(T.ResizeScale)(min_scale=0.1, max_scale=2.0, target_height=image_size, target_width=image_size),
    L(T.FixedSizeCrop)(crop_size=(image_size, image_size)),
    L(T.RandomFlip)(horizontal=True),
]
dataloader.train.mapper.recompute_boxes = True  # crops cut masks: boxes come from the cropped masks
dataloader.train.total_batch_size = 64

# 100 epochs = 184375 iterations x 64 images / 118k images per epoch.
train.max_iter = 184375

lr_multiplier = L(WarmupParamScheduler)(
    scheduler=L(MultiStepParamScheduler)(
        values=[1.0, 0.1, 0.01],
        milestones=[163889, 177546],
        num_updates=train.max_iter,
    ),
    warmup_length=500 / train.max_iter,
    warmup_factor=0.067,
)

optimizer.lr = 0.1
optimizer.weight_decay = 4e-5
