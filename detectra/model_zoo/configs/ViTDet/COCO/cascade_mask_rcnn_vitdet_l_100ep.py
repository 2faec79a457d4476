"""ViTDet, ViT-L Cascade Mask R-CNN, COCO, 100 epochs: the ViT-L Mask R-CNN recipe with the cascade box heads."""
from .cascade_mask_rcnn_vitdet_b_100ep import model as _cascade
from .mask_rcnn_vitdet_l_100ep import dataloader, lr_multiplier, model, optimizer, train

model.roi_heads = _cascade.roi_heads
