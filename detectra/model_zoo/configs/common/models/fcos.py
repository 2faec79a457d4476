"""FCOS, ResNet-50-FPN (P3-P7 with P6 / P7 computed from P5), COCO's 80 classes: Detectron2's
``common/models/fcos.py``, derived from the RetinaNet model config."""
from detectra.modeling.meta_arch.fcos import FCOS, FCOSHead

from .retinanet import model

model._target_ = FCOS

# FCOS places one point per location: no anchors, matcher or delta weights to configure.
del model.anchor_generator
del model.box2box_transform
del model.anchor_matcher
del model.input_format

# P6 / P7 come from P5 rather than C5 (FCOS paper, Sec. 2.2).
model.backbone.top_block.in_feature = "p5"
model.backbone.top_block.in_channels = 256

# Scores are sqrt(class probability * centerness), lower than RetinaNet's: a threshold to match.
model.test_score_thresh = 0.2
model.test_nms_thresh = 0.6

model.head._target_ = FCOSHead
del model.head.num_anchors
model.head.norm = "GN"
