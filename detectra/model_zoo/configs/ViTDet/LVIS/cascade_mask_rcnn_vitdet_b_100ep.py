"""ViTDet, ViT-B Cascade Mask R-CNN, LVIS v1, 100 epochs: the LVIS Mask R-CNN recipe with the cascade box heads, each
predictor with the LVIS settings."""
from ..COCO.cascade_mask_rcnn_vitdet_b_100ep import model as _cascade
from .mask_rcnn_vitdet_b_100ep import dataloader, lr_multiplier, model, optimizer, train

_LVIS_PREDICTOR_KEYS = (
    "test_score_thresh", "test_topk_per_image", "use_sigmoid_ce", "use_fed_loss", "get_fed_loss_cls_weights"
)
_lvis_predictor = {k: model.roi_heads.box_predictor[k] for k in _LVIS_PREDICTOR_KEYS}
_cascade.roi_heads.num_classes = model.roi_heads.num_classes
model.roi_heads = _cascade.roi_heads
for _predictor in model.roi_heads.box_predictors:
    _predictor.update(_lvis_predictor)
