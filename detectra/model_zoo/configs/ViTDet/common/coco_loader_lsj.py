"""COCO with large-scale jitter (LSJ), as ViTDet trains: flip, rescale by 0.1-2.0 around 1024x1024, crop to at most
1024x1024 (no padding: the model pads to its square), RGB images, batch 64; test images resized to a 1024 long side.
"""
import detectra.data.transforms as T
from detectra.config import LazyCall as L

from ...common.data.coco import dataloader

image_size = 1024
dataloader.train.mapper.augmentations = [
    L(T.RandomFlip)(horizontal=True),  # flip first
    L(T.ResizeScale)(min_scale=0.1, max_scale=2.0, target_height=image_size, target_width=image_size),
    L(T.FixedSizeCrop)(crop_size=(image_size, image_size), pad=False),
]
dataloader.train.mapper.image_format = "RGB"
dataloader.train.total_batch_size = 64
dataloader.train.mapper.recompute_boxes = True  # crops cut masks: boxes come from the cropped masks

dataloader.test.mapper.augmentations = [
    L(T.ResizeShortestEdge)(short_edge_length=image_size, max_size=image_size),
]
