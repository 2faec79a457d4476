"""ViTDet, ViT-H Cascade Mask R-CNN, LVIS v1, 100 epochs: the ViT-H LVIS recipe with the LVIS cascade box heads."""
from detectra.data.detection_utils import get_fed_loss_cls_weights

from .cascade_mask_rcnn_vitdet_b_100ep import model as _cascade
from .mask_rcnn_vitdet_h_100ep import dataloader, lr_multiplier, model, optimizer, train

model.roi_heads = _cascade.roi_heads

# the federated-loss class weights follow this file's training set
for _predictor in model.roi_heads.box_predictors:
    _predictor.get_fed_loss_cls_weights = lambda: get_fed_loss_cls_weights(dataloader.train.dataset.names, 0.5)
