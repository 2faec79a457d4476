"""Keypoint R-CNN, ResNet-50-FPN: person boxes + 17 COCO keypoints (COCO-Keypoints/keypoint_rcnn_R_50_FPN_*)."""
from detectra.config import LazyCall as L
from detectra.layers import ShapeSpec
from detectra.modeling import KRCNNConvDeconvUpsampleHead

from .mask_rcnn_fpn import model

# The keypoint branch pools as the mask branch did: 14x14 ROIAlignV2 on P2-P5.
model.roi_heads.pop("mask_head")
model.roi_heads.update(
    num_classes=1,
    keypoint_in_features=model.roi_heads.pop("mask_in_features"),
    keypoint_pooler=model.roi_heads.pop("mask_pooler"),
    keypoint_head=L(KRCNNConvDeconvUpsampleHead)(
        input_shape=ShapeSpec(channels=256, width=14, height=14),
        num_keypoints=17,
        conv_dims=[512] * 8,
        loss_normalizer="visible",
    ),
)

# 1000 proposals per image cost box AP here; Detectron2 trains keypoint models with 1500.
model.proposal_generator.post_nms_topk = (1500, 1000)
# Plain L1 (beta 0) improves box AP but lowers keypoint AP.
model.roi_heads.box_predictor.smooth_l1_beta = 0.5
