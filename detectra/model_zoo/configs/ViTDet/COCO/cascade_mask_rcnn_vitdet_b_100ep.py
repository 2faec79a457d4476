"""ViTDet, ViT-B Cascade Mask R-CNN, COCO, 100 epochs: three 4conv1fc LayerNorm box heads with class-agnostic
regression at IoU 0.5 / 0.6 / 0.7."""
from detectra.config import LazyCall as L
from detectra.layers import ShapeSpec
from detectra.modeling.roi_heads import CascadeROIHeads, FastRCNNConvFCHead

from ...common.models.cascade_rcnn import model as _cascade  # its predictors and matchers
from .mask_rcnn_vitdet_b_100ep import dataloader, lr_multiplier, model, optimizer, train

for key in ("box_head", "box_predictor", "proposal_matcher"):  # single-stage arguments
    model.roi_heads.pop(key)

model.roi_heads.update(
    _target_=CascadeROIHeads,
    box_heads=[
        L(FastRCNNConvFCHead)(
            input_shape=ShapeSpec(channels=256, height=7, width=7),
            conv_dims=[256, 256, 256, 256],
            fc_dims=[1024],
            conv_norm="LN",
        )
        for _ in range(3)
    ],
    box_predictors=_cascade.roi_heads.box_predictors,
    proposal_matchers=_cascade.roi_heads.proposal_matchers,
)
