"""RetinaNet, ResNet-50-FPN (P3-P7), COCO's 80 classes: the model of Base-RetinaNet.yaml.

Parameter names and shapes equal ``build_model`` on COCO-Detection/retinanet_R_50_FPN_1x.yaml.
"""
from detectra.config import LazyCall as L
from detectra.layers import ShapeSpec
from detectra.modeling import Box2BoxTransform, DefaultAnchorGenerator, LastLevelP6P7, Matcher, RetinaNet, RetinaNetHead

from .mask_rcnn_fpn import model as _mask_rcnn

# Mask R-CNN's ResNet-50-FPN on res3-res5, with P6 / P7 computed from C5 in place of P6 max-pooled from P5.
_backbone = _mask_rcnn.backbone
_backbone.bottom_up.out_features = ["res3", "res4", "res5"]
_backbone.top_block = L(LastLevelP6P7)(in_channels=2048, out_channels="${..out_channels}")

model = L(RetinaNet)(
    backbone=_backbone,
    head=L(RetinaNetHead)(
        input_shape=[ShapeSpec(channels=256)] * 5,  # one per level, P3-P7
        num_classes="${..num_classes}",
        conv_dims=[256, 256, 256, 256],
        prior_prob=0.01,
        num_anchors=9,
    ),
    # Three sizes per octave: x, x * 2^(1/3), x * 2^(2/3).
    anchor_generator=L(DefaultAnchorGenerator)(
        sizes=[[x, x * 2 ** (1.0 / 3), x * 2 ** (2.0 / 3)] for x in [32, 64, 128, 256, 512]],
        aspect_ratios=[0.5, 1.0, 2.0],
        strides=[8, 16, 32, 64, 128],
        offset=0.0,
    ),
    box2box_transform=L(Box2BoxTransform)(weights=[1.0, 1.0, 1.0, 1.0]),
    anchor_matcher=L(Matcher)(thresholds=[0.4, 0.5], labels=[0, -1, 1], allow_low_quality_matches=True),
    num_classes=80,
    head_in_features=["p3", "p4", "p5", "p6", "p7"],
    focal_loss_alpha=0.25,
    focal_loss_gamma=2.0,
    pixel_mean=[103.530, 116.280, 123.675],
    pixel_std=[1.0, 1.0, 1.0],
    input_format="BGR",
)
