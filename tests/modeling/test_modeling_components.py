"""Unit tests of the detection building blocks, with hand-computed numbers."""
import math

import pytest
import torch
from torch import nn

from detectra.config import LazyCall as L
from detectra.config import instantiate
from detectra.layers import ShapeSpec
from detectra.modeling import (
    FPN,
    Box2BoxTransform,
    Box2BoxTransformLinear,
    Box2BoxTransformRotated,
    DefaultAnchorGenerator,
    FastRCNNConvFCHead,
    FastRCNNOutputLayers,
    GeneralizedRCNN,
    LastLevelMaxPool,
    Matcher,
    ROIPooler,
    RPN,
    StandardROIHeads,
    StandardRPNHead,
    build_model,
    detector_postprocess,
    subsample_labels,
)
from detectra.modeling.backbone import BasicStem, ResNet
from detectra.modeling.matcher import _classes_of_matches
from detectra.modeling.poolers import assign_boxes_to_levels
from detectra.modeling.proposal_generator import find_top_rpn_proposals
from detectra.modeling.roi_heads import ROI_MASK_HEAD_REGISTRY, fast_rcnn_inference
from detectra.structures import Boxes, Instances
from detectra.utils.events import EventStorage

from .modeling_testing import inference_batch, small_cfg


def test_anchor_grid_layout_and_offset():
    gen = DefaultAnchorGenerator(sizes=[[32]], aspect_ratios=[[0.5, 1.0, 2.0]], strides=[4], offset=0.0)
    assert gen.num_anchors == [3]
    anchors = gen([torch.zeros(1, 1, 2, 3)])[0].tensor
    assert anchors.shape == (2 * 3 * 3, 4)
    w = math.sqrt(32 * 32 / 0.5)
    torch.testing.assert_close(anchors[0], torch.tensor([-w / 2, -w * 0.25, w / 2, w * 0.25]))
    # location-major: anchor (row 1, col 2, ratio 1.0) is centred at (x=8, y=4)
    torch.testing.assert_close(anchors[(1 * 3 + 2) * 3 + 1], torch.tensor([-8.0, -12.0, 24.0, 20.0]))
    half = DefaultAnchorGenerator(sizes=[[32]], aspect_ratios=[[1.0]], strides=[4], offset=0.5)
    torch.testing.assert_close(half([torch.zeros(1, 1, 1, 1)])[0].tensor[0], torch.tensor([-14.0, -14.0, 18.0, 18.0]))
    assert not any("cell_anchors" in k for k in gen.state_dict())  # derived from the config, not checkpointed
    with pytest.raises(ValueError, match="3 per-level entries"):
        DefaultAnchorGenerator(sizes=[[32], [64], [128]], aspect_ratios=[[1.0]], strides=[4, 8])


def test_box2box_round_trip_and_clamp():
    t = Box2BoxTransform(weights=(10.0, 10.0, 5.0, 5.0))
    src = torch.tensor([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 25.0, 15.0]])
    dst = torch.tensor([[2.0, 1.0, 14.0, 17.0], [0.0, 0.0, 40.0, 40.0]])
    deltas = t.get_deltas(src, dst)
    torch.testing.assert_close(deltas[0], torch.tensor([10 * 3 / 10, 10 * -1 / 20, 5 * math.log(1.2), 5 * math.log(0.8)]))
    torch.testing.assert_close(t.apply_deltas(deltas, src), dst)
    # per-class deltas (N, 2 * 4) decode to (N, 2 * 4)
    assert t.apply_deltas(deltas.repeat(1, 2), src).shape == (2, 8)
    huge = t.apply_deltas(torch.tensor([[0.0, 0.0, 1e4, 1e4]]), torch.tensor([[0.0, 0.0, 16.0, 16.0]]))
    torch.testing.assert_close(huge[0, 2] - huge[0, 0], torch.tensor(1000.0))  # exp clamped at log(1000 / 16)

    rot = Box2BoxTransformRotated(weights=(1.0, 1.0, 1.0, 1.0, 1.0))
    src_r = torch.tensor([[10.0, 10.0, 4.0, 8.0, 170.0]])
    dst_r = torch.tensor([[11.0, 9.0, 8.0, 4.0, -170.0]])
    torch.testing.assert_close(rot.apply_deltas(rot.get_deltas(src_r, dst_r), src_r), dst_r)
    lin = Box2BoxTransformLinear()
    torch.testing.assert_close(lin.apply_deltas(lin.get_deltas(src, dst), src), dst)


def test_matcher_bands_and_low_quality_matches():
    iou = torch.tensor([[0.1, 0.5, 0.8, 0.0], [0.2, 0.1, 0.75, 0.25]])  # (M=2 gt, N=4 predictions)
    matches, labels = Matcher([0.3, 0.7], [0, -1, 1])(iou)
    assert matches.tolist() == [1, 0, 0, 1] and labels.tolist() == [0, -1, 1, 0]
    # gt 1's best prediction (0.75) is taken by gt 0; with low-quality matching its own best (pred 2) stays positive
    # and prediction 3 (its best among the rest? no: 0.25 < 0.75) keeps label 0
    _, labels = Matcher([0.3, 0.7], [0, -1, 1], allow_low_quality_matches=True)(iou)
    assert labels.tolist() == [0, -1, 1, 0]
    _, labels = Matcher([0.3, 0.7], [0, -1, 1], allow_low_quality_matches=True)(torch.tensor([[0.1, 0.2, 0.05]]))
    assert labels.tolist() == [0, 1, 0]
    m, labels = Matcher([0.5], [0, 1])(torch.zeros(0, 5))
    assert m.tolist() == [0] * 5 and labels.tolist() == [0] * 5
    with pytest.raises(ValueError, match="len\\(thresholds\\) \\+ 1"):
        Matcher([0.3, 0.7], [0, 1])


def test_classes_of_matches_marks_background_ignored_and_empty_ground_truth():
    gt_classes = torch.tensor([2, 0])
    matches, labels = Matcher([0.3, 0.7], [0, -1, 1])(torch.tensor([[0.1, 0.5, 0.8, 0.0], [0.2, 0.1, 0.75, 0.25]]))
    # prediction 0: background (K = 3), 1: ignored, 2: gt 0's class, 3: background although matched to gt 1
    assert _classes_of_matches(gt_classes, matches, labels, bg_label=3).tolist() == [3, -1, 2, 3]
    assert gt_classes.tolist() == [2, 0]  # the ground truth is not written to
    matches, labels = Matcher([0.5], [0, 1])(torch.zeros(0, 4))
    empty = _classes_of_matches(torch.zeros(0, dtype=torch.int64), matches, labels, bg_label=3)
    assert empty.tolist() == [3] * 4 and empty.dtype == torch.int64


def test_subsample_labels_respects_fraction_and_availability():
    labels = torch.tensor([1] * 10 + [0] * 100 + [-1] * 5)
    pos, neg = subsample_labels(labels, num_samples=32, positive_fraction=0.25, bg_label=0)
    assert len(pos) == 8 and len(neg) == 24
    assert (labels[pos] == 1).all() and (labels[neg] == 0).all() and len(set(pos.tolist())) == 8
    pos, neg = subsample_labels(labels[:12], num_samples=32, positive_fraction=0.5, bg_label=0)
    assert len(pos) == 10 and len(neg) == 2  # too few of each: take them all


def test_level_assignment_by_canonical_size():
    sizes = [8.0, 111.9, 112.0, 224.0, 447.0, 448.0, 2000.0]
    boxes = Boxes(torch.tensor([[0.0, 0.0, s, s] for s in sizes]))
    levels = assign_boxes_to_levels([boxes], 2, 5, 224, 4)
    # exact powers of two land on the upper level thanks to the +1e-8 in the log
    assert (levels + 2).tolist() == [2, 2, 3, 4, 4, 5, 5]


def test_roi_pooler_routes_boxes_to_their_level_and_keeps_order():
    # level k's feature map is the constant k: pooled values reveal the level each box used
    feats = [torch.full((2, 1, 64 // 2**i, 64 // 2**i), float(i + 2)) for i in range(4)]
    pooler = ROIPooler(output_size=2, scales=[1 / 4, 1 / 8, 1 / 16, 1 / 32], sampling_ratio=0, pooler_type="ROIAlignV2")
    b0 = Boxes(torch.tensor([[0.0, 0.0, 250.0, 250.0], [0.0, 0.0, 20.0, 20.0]]))
    b1 = Boxes(torch.tensor([[0.0, 0.0, 120.0, 120.0]]))
    out = pooler(feats, [b0, b1])
    assert out.shape == (3, 1, 2, 2)
    assert out[:, 0, 0, 0].tolist() == [4.0, 2.0, 3.0]
    assert pooler(feats[:1] * 4, [Boxes(torch.zeros(0, 4))] * 2).shape[0] == 0


def test_find_top_rpn_proposals_topk_nms_and_clipping():
    boxes = torch.tensor([[[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.5], [20.0, 20.0, 60.0, 50.0], [5.0, 5.0, 5.5, 30.0]]])
    logits = torch.tensor([[3.0, 2.0, 1.0, 4.0]])
    # level 1: one box that only survives through a separate NMS per level
    boxes_l1 = torch.tensor([[[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 3.0, 3.0]]])
    logits_l1 = torch.tensor([[0.5, -1.0]])
    (res,) = find_top_rpn_proposals(
        [boxes, boxes_l1], [logits, logits_l1], [(40, 50)], nms_thresh=0.7, pre_nms_topk=3, post_nms_topk=3,
        min_box_size=1.0, training=False,
    )
    # level 0 top-3 = [idx3 (too thin: dropped), idx0, idx1 (suppressed by idx0)]; level 1 top-3 = both boxes
    assert res.objectness_logits.tolist() == [3.0, 0.5, -1.0]
    torch.testing.assert_close(res.proposal_boxes.tensor[0], torch.tensor([0.0, 0.0, 10.0, 10.0]))
    nan = torch.full_like(logits, float("nan"))
    with pytest.raises(FloatingPointError):
        find_top_rpn_proposals([boxes], [nan], [(40, 50)], 0.7, 3, 3, 0.0, training=True)


def test_fast_rcnn_inference_per_class_nms_and_topk():
    # 2 proposals, 2 classes (+ background), class-specific boxes
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0, 0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 11.0, 50.0, 50.0, 120.0, 90.0]])
    scores = torch.tensor([[0.6, 0.3, 0.1], [0.5, 0.45, 0.05]])
    (inst,), (kept,) = fast_rcnn_inference([boxes], [scores], [(80, 100)], 0.2, 0.5, 100)
    # class 0: the two overlapping boxes -> one; class 1: disjoint boxes -> both (second clipped to the image)
    assert inst.pred_classes.tolist() == [0, 1, 1] and kept.tolist() == [0, 1, 0]
    torch.testing.assert_close(inst.scores, torch.tensor([0.6, 0.45, 0.3]))
    torch.testing.assert_close(inst.pred_boxes.tensor[1], torch.tensor([50.0, 50.0, 100.0, 80.0]))
    (inst,), _ = fast_rcnn_inference([boxes], [scores], [(80, 100)], 0.2, 0.5, 2)
    assert len(inst) == 2


def test_detector_postprocess_rescales_clips_and_drops_empty():
    inst = Instances((50, 100))
    inst.pred_boxes = Boxes(torch.tensor([[10.0, 5.0, 30.0, 25.0], [99.0, 10.0, 120.0, 20.0], [120.0, 0.0, 130.0, 5.0]]))
    inst.scores = torch.tensor([0.9, 0.8, 0.7])
    out = detector_postprocess(inst, 100, 150)
    assert out.image_size == (100, 150) and len(out) == 2  # the third box lies outside the image
    torch.testing.assert_close(out.pred_boxes.tensor, torch.tensor([[15.0, 10.0, 45.0, 50.0], [148.5, 20.0, 150.0, 40.0]]))


def test_resnet_freeze_and_fpn_shapes():
    cfg = small_cfg("faster_rcnn_fpn")
    model = build_model(cfg)
    fpn = model.backbone
    assert fpn.size_divisibility == 32
    assert {k: (v.channels, v.stride) for k, v in fpn.output_shape().items()} == {
        f"p{i}": (32, 2**i) for i in range(2, 7)
    }
    out = fpn(torch.zeros(1, 3, 64, 96))
    # P6 subsamples P5 (2 x 3) with stride 2: ceil -> (1, 2)
    assert {k: tuple(v.shape[-2:]) for k, v in out.items()} == {
        "p2": (16, 24), "p3": (8, 12), "p4": (4, 6), "p5": (2, 3), "p6": (1, 2)
    }
    bottom_up = fpn.bottom_up
    assert not any(p.requires_grad for p in bottom_up.stem.parameters())
    assert not any(p.requires_grad for p in bottom_up.res2.parameters())
    assert all(p.requires_grad for p in bottom_up.res3.parameters())
    assert type(bottom_up.res2[0].conv1.norm).__name__ == "FrozenBatchNorm2d"
    assert type(bottom_up.res3[0].conv1.norm).__name__ == "BatchNorm2d"
    with pytest.raises(KeyError, match="build_resnet_fpn_backbone"):
        cfg.MODEL.BACKBONE.NAME = "build_resnet_fpn_backbonee"
        build_model(cfg)


def _lazy_faster_rcnn():
    stages = ResNet.make_default_stages(18, norm="FrozenBN")
    return L(GeneralizedRCNN)(
        backbone=L(FPN)(
            bottom_up=L(ResNet)(
                stem=L(BasicStem)(in_channels=3, out_channels=64, norm="FrozenBN"),
                stages=stages,
                out_features=["res2", "res3", "res4", "res5"],
                freeze_at=2,
            ),
            in_features=["res2", "res3", "res4", "res5"],
            out_channels=32,
            top_block=L(LastLevelMaxPool)(),
        ),
        proposal_generator=L(RPN)(
            in_features=["p2", "p3", "p4", "p5", "p6"],
            head=L(StandardRPNHead)(in_channels=32, num_anchors=3),
            anchor_generator=L(DefaultAnchorGenerator)(
                sizes=[[16], [32], [64], [128], [256]], aspect_ratios=[0.5, 1.0, 2.0], strides=[4, 8, 16, 32, 64],
                offset=0.0,
            ),
            anchor_matcher=L(Matcher)(thresholds=[0.3, 0.7], labels=[0, -1, 1], allow_low_quality_matches=True),
            box2box_transform=L(Box2BoxTransform)(weights=[1.0, 1.0, 1.0, 1.0]),
            batch_size_per_image=64,
            positive_fraction=0.5,
            pre_nms_topk=(200, 100),
            post_nms_topk=(100, 50),
        ),
        roi_heads=L(StandardROIHeads)(
            num_classes=3,
            batch_size_per_image=32,
            positive_fraction=0.25,
            proposal_matcher=L(Matcher)(thresholds=[0.5], labels=[0, 1], allow_low_quality_matches=False),
            box_in_features=["p2", "p3", "p4", "p5"],
            box_pooler=L(ROIPooler)(
                output_size=7, scales=(1 / 4, 1 / 8, 1 / 16, 1 / 32), sampling_ratio=0, pooler_type="ROIAlignV2"
            ),
            box_head=L(FastRCNNConvFCHead)(input_shape=ShapeSpec(channels=32, height=7, width=7), conv_dims=[], fc_dims=[64]),
            box_predictor=L(FastRCNNOutputLayers)(
                input_shape=ShapeSpec(channels=64),
                box2box_transform=L(Box2BoxTransform)(weights=(10, 10, 5, 5)),
                num_classes=3,
                test_topk_per_image=20,
            ),
        ),
        pixel_mean=[103.53, 116.28, 123.675],
        pixel_std=[57.375, 57.12, 58.395],
        input_format="BGR",
    )


def test_lazy_config_instantiates_and_runs():
    model = instantiate(_lazy_faster_rcnn()).eval()
    assert isinstance(model, GeneralizedRCNN)
    with torch.no_grad():
        out = model(inference_batch())
    assert [len(o["instances"]) for o in out] == [20, 20]


class _RecordingMaskHead(nn.Module):
    """A stand-in mask head that records what StandardROIHeads feeds it (the plug-in contract)."""

    def __init__(self, cfg, input_shape):
        super().__init__()
        self.input_shape = input_shape
        self.scale = nn.Parameter(torch.ones(()))
        self.calls = []

    def forward(self, x, instances):
        self.calls.append((tuple(x.shape), [len(i) for i in instances]))
        if self.training:
            return {"loss_mask": self.scale * x.mean()}
        for inst in instances:
            inst.pred_masks = torch.zeros(len(inst), 1, 4, 4)
        return instances


ROI_MASK_HEAD_REGISTRY.register(_RecordingMaskHead, name="_RecordingMaskHead")


def test_mask_head_plugs_into_standard_roi_heads(tmp_path):
    from .modeling_testing import mapped_batch

    cfg = small_cfg("faster_rcnn_fpn")
    cfg.MODEL.MASK_ON = True
    cfg.MODEL.ROI_MASK_HEAD.NAME = "_RecordingMaskHead"
    cfg.MODEL.ROI_MASK_HEAD.POOLER_RESOLUTION = 5
    model = build_model(cfg)
    head = model.roi_heads.mask_head
    assert model.roi_heads.mask_on and head.input_shape == ShapeSpec(channels=32, height=5, width=5)
    with EventStorage():
        losses = model(mapped_batch(tmp_path, "boxes"))
    assert "loss_mask" in losses
    (shape, counts), = head.calls
    assert shape[1:] == (32, 5, 5) and shape[0] == sum(counts) > 0  # foreground proposals only
    head.calls.clear()
    model.eval()
    with torch.no_grad():
        out = model(inference_batch())
    (shape, counts), = head.calls
    assert counts == [100, 100] and shape[0] == 200  # every detection
    assert all(o["instances"].has("pred_masks") for o in out)
