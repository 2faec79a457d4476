"""`FastRCNNOutputLayers` options (federated loss, sigmoid CE, class-agnostic / GIoU box regression) and the
thresholds of `fast_rcnn_inference`, each against a hand computation on a tiny input."""
import math

import pytest
import torch

from detectra.config import get_cfg
from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data.detection_utils import get_fed_loss_cls_weights
from detectra.layers import ShapeSpec
from detectra.modeling.box_regression import Box2BoxTransform
from detectra.modeling.roi_heads.fast_rcnn import FastRCNNOutputLayers, fast_rcnn_inference
from detectra.structures import Boxes, Instances
from detectra.utils.events import EventStorage

K = 5  # foreground classes; background is column K


def _bce(x, t):
    """Binary cross-entropy with logits, written out: -(t log s + (1 - t) log(1 - s))."""
    s = 1.0 / (1.0 + math.exp(-x))
    return -(t * math.log(s) + (1 - t) * math.log(1 - s))


def _proposals(gt_classes, boxes=None, gt_boxes=None):
    n = len(gt_classes)
    inst = Instances((64, 64))
    boxes = boxes if boxes is not None else torch.tensor([[4.0, 4, 20, 20]] * n)
    inst.proposal_boxes = Boxes(boxes)
    inst.gt_classes = torch.tensor(gt_classes)
    inst.gt_boxes = Boxes(gt_boxes if gt_boxes is not None else boxes)
    return inst


def _layers(**kwargs):
    kwargs.setdefault("box2box_transform", Box2BoxTransform(weights=(10.0, 10.0, 5.0, 5.0)))
    kwargs.setdefault("num_classes", K)
    return FastRCNNOutputLayers(ShapeSpec(channels=8), **kwargs)


def _losses(layers, scores, deltas, proposals):
    with EventStorage():
        return layers.losses((scores, deltas), proposals)


@pytest.fixture
def lvis_like_dataset():
    name = "test_fast_rcnn_options_lvis_like"
    # LVIS-style metadata: ids 1..K, listed out of order; classes 1 and 5 (contiguous 0 and 4) are never seen
    MetadataCatalog.get(name).set(thing_classes=list("abcde"), class_image_count=[
        {"id": 3, "image_count": 16}, {"id": 1, "image_count": 0}, {"id": 2, "image_count": 9},
        {"id": 5, "image_count": 0}, {"id": 4, "image_count": 0}])  # fmt: skip
    DatasetCatalog.register(name, lambda: [])
    yield name
    DatasetCatalog.remove(name)
    MetadataCatalog.remove(name)


def test_fed_loss_weights_from_class_image_counts(lvis_like_dataset):
    torch.testing.assert_close(get_fed_loss_cls_weights(lvis_like_dataset, 0.5), torch.tensor([0.0, 3, 4, 0, 0]))
    torch.testing.assert_close(get_fed_loss_cls_weights([lvis_like_dataset], 1.0), torch.tensor([0.0, 9, 16, 0, 0]))


def test_fed_loss_involves_only_present_and_sampled_classes(lvis_like_dataset):
    cfg = get_cfg()
    cfg.DATASETS.TRAIN = (lvis_like_dataset,)
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = K
    cfg.MODEL.ROI_BOX_HEAD.USE_FED_LOSS = True
    cfg.MODEL.ROI_BOX_HEAD.USE_SIGMOID_CE = True
    cfg.MODEL.ROI_BOX_HEAD.FED_LOSS_NUM_CLASSES = 3
    cfg.MODEL.ROI_BOX_HEAD.FED_LOSS_FREQ_WEIGHT_POWER = 0.5
    layers = FastRCNNOutputLayers(cfg, ShapeSpec(channels=8))
    torch.testing.assert_close(layers.fed_loss_cls_weights, torch.tensor([0.0, 3, 4, 0, 0]))

    g = torch.Generator().manual_seed(0)
    scores = torch.randn(4, K + 1, generator=g)
    deltas = torch.zeros(4, 4 * K)
    # present: class 2 and background. One more class is sampled with weights [0, 3, 4, 0, 0], class 2 excluded:
    # only class 1 can be drawn. The loss covers columns {1, 2} of every ROI, divided by the number of ROIs.
    gt = [2, K, 2, K]
    for seed in range(3):
        torch.manual_seed(seed)
        loss = _losses(layers, scores, deltas, [_proposals(gt)])["loss_cls"]
        expected = sum(_bce(scores[i, c].item(), float(gt[i] == c)) for i in range(4) for c in (1, 2)) / 4
        assert loss.item() == pytest.approx(expected, rel=1e-5)

    # as many present foreground classes + background as FED_LOSS_NUM_CLASSES: nothing is sampled
    gt = [0, 3, K, 3]
    loss = _losses(layers, scores, deltas, [_proposals(gt)])["loss_cls"]
    expected = sum(_bce(scores[i, c].item(), float(gt[i] == c)) for i in range(4) for c in (0, 3)) / 4
    assert loss.item() == pytest.approx(expected, rel=1e-5)

    with pytest.raises(ValueError, match="USE_SIGMOID_CE"):
        _layers(use_fed_loss=True, get_fed_loss_cls_weights=lambda: torch.ones(K))
    with pytest.raises(ValueError, match="5 classes"):
        _layers(use_fed_loss=True, use_sigmoid_ce=True, get_fed_loss_cls_weights=lambda: torch.ones(3))


def test_sigmoid_ce_is_bce_over_one_hot_foreground_columns():
    layers = _layers(use_sigmoid_ce=True)
    scores = torch.tensor([[2.0, -1.0, 0.5, 0.0, 1.0, 3.0],
                           [-0.5, 0.25, -2.0, 1.5, 0.0, -1.0],
                           [0.0, 0.0, 0.0, 0.0, 0.0, 4.0]])  # fmt: skip
    gt = [0, 3, K]  # the background ROI has an all-zero target; the background logit is never used
    loss = _losses(layers, scores, torch.zeros(3, 4 * K), [_proposals(gt)])["loss_cls"]
    expected = sum(_bce(scores[i, c].item(), float(gt[i] == c)) for i in range(3) for c in range(K)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # probabilities at test time are per-class sigmoids, not a softmax
    (probs,) = layers.predict_probs((scores, torch.zeros(3, 4 * K)), [_proposals(gt)])
    torch.testing.assert_close(probs, scores.sigmoid())


def _deltas(src, dst, weights=(10.0, 10.0, 5.0, 5.0)):
    """Box2BoxTransform's encoding written out, for XYXY boxes."""
    wx, wy, ww, wh = weights
    sw, sh = src[2] - src[0], src[3] - src[1]
    dw, dh = dst[2] - dst[0], dst[3] - dst[1]
    scx, scy, dcx, dcy = src[0] + sw / 2, src[1] + sh / 2, dst[0] + dw / 2, dst[1] + dh / 2
    return [wx * (dcx - scx) / sw, wy * (dcy - scy) / sh, ww * math.log(dw / sw), wh * math.log(dh / sh)]


def test_class_agnostic_box_regression_smooth_l1():
    layers = _layers(cls_agnostic_bbox_reg=True)
    assert layers.bbox_pred.out_features == 4 and layers.cls_score.out_features == K + 1
    boxes = torch.tensor([[0.0, 0, 10, 10], [10, 10, 30, 20], [5, 5, 15, 25]])
    gt_boxes = torch.tensor([[1.0, 0, 11, 12], [8, 10, 30, 24], [0, 0, 1, 1]])
    deltas = torch.tensor([[0.5, -0.5, 0.1, 0.2], [0.0, 0.3, -0.1, 0.4], [9.0, 9.0, 9.0, 9.0]])
    gt = [4, 1, K]  # third ROI is background: its (large) deltas must not count
    loss = _losses(layers, torch.zeros(3, K + 1), deltas, [_proposals(gt, boxes, gt_boxes)])["loss_box_reg"]
    l1 = sum(abs(deltas[i, j].item() - _deltas(boxes[i].tolist(), gt_boxes[i].tolist())[j])
             for i in range(2) for j in range(4))  # fmt: skip
    assert loss.item() == pytest.approx(l1 / 3, rel=1e-5)  # smooth_l1 with beta 0 is L1; divided by all ROIs

    # class-specific regression picks the ground-truth class's 4 deltas out of K * 4
    specific = _layers()
    wide = torch.full((3, 4 * K), 7.0)
    wide[0, 16:20], wide[1, 4:8] = deltas[0], deltas[1]
    loss2 = _losses(specific, torch.zeros(3, K + 1), wide, [_proposals(gt, boxes, gt_boxes)])["loss_box_reg"]
    assert loss2.item() == pytest.approx(loss.item(), rel=1e-6)


def _giou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    hull = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    return inter / union - (hull - union) / hull


def test_giou_box_regression_loss():
    layers = _layers(cls_agnostic_bbox_reg=True, box_reg_loss_type="giou")
    boxes = torch.tensor([[0.0, 0, 10, 10], [10, 10, 30, 20]])
    gt_boxes = torch.tensor([[20.0, 0, 30, 10], [8, 10, 30, 24]])  # the first pair does not overlap
    # zero deltas decode to the proposal itself; the second ROI is shifted right by 10 * 0.05 = 1 pixel
    deltas = torch.tensor([[0.0, 0, 0, 0], [0.5, 0, 0, 0]])
    loss = _losses(layers, torch.zeros(2, K + 1), deltas, [_proposals([0, 2], boxes, gt_boxes)])["loss_box_reg"]
    pred = [[0.0, 0, 10, 10], [11.0, 10, 31, 20]]
    expected = sum(1 - _giou(p, g) for p, g in zip(pred, gt_boxes.tolist())) / 2
    assert _giou(pred[0], gt_boxes[0].tolist()) == pytest.approx(-1 / 3)  # 0 IoU, hull 300, union 200
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def _inference_inputs():
    # one image, 4 proposals, 2 classes (class-specific boxes, K * 4 columns), scores with background last
    boxes = torch.tensor([
        [0.0, 0, 10, 10, 40, 40, 50, 50],
        [1.0, 0, 11, 10, 40, 40, 50, 50],  # class 0 box: IoU 9/11 with proposal 0's
        [0.0, 0, 10, 10, 60, 60, 80, 90],  # class 1 box runs past the 64 x 70 (h x w) image: clipped
        [20.0, 20, 30, 30, 20, 20, 30, 30],
    ])  # fmt: skip
    scores = torch.tensor([
        [0.90, 0.05, 0.05],
        [0.80, 0.15, 0.05],
        [0.04, 0.60, 0.36],
        [0.30, 0.50, 0.20],
    ])  # fmt: skip
    return boxes, scores


def _detections(result):
    return sorted((round(s, 4), c, tuple(round(v, 3) for v in b)) for s, c, b in zip(
        result.scores.tolist(), result.pred_classes.tolist(), result.pred_boxes.tensor.tolist()))  # fmt: skip


def test_fast_rcnn_inference_thresholds():
    boxes, scores = _inference_inputs()
    shape = (64, 70)
    (r,), (kept,) = fast_rcnn_inference([boxes], [scores], [shape], 0.1, 0.5, -1)
    # score > 0.1: (0,c0) .9, (1,c0) .8, (1,c1) .15, (2,c1) .6, (3,c0) .3, (3,c1) .5; NMS 0.5 per class removes
    # only (1,c0): IoU 9/11 with (0,c0). (1,c1) stays: (0,c1), on the same box, is under the score threshold.
    assert _detections(r) == [
        (0.15, 1, (40.0, 40.0, 50.0, 50.0)),
        (0.3, 0, (20.0, 20.0, 30.0, 30.0)),
        (0.5, 1, (20.0, 20.0, 30.0, 30.0)),  # same box as the class-0 one: NMS is per class
        (0.6, 1, (60.0, 60.0, 70.0, 64.0)),  # clipped to width 70, height 64
        (0.9, 0, (0.0, 0.0, 10.0, 10.0)),
    ]
    assert r.scores.tolist() == sorted(r.scores.tolist(), reverse=True)
    assert sorted(zip(kept.tolist(), r.pred_classes.tolist())) == [(0, 0), (1, 1), (2, 1), (3, 0), (3, 1)]

    # a looser NMS keeps the overlapping class-0 box; a higher threshold drops the low scores
    (r,), _ = fast_rcnn_inference([boxes], [scores], [shape], 0.1, 0.9, -1)
    assert (0.8, 0, (1.0, 0.0, 11.0, 10.0)) in _detections(r) and len(r) == 6
    (r,), _ = fast_rcnn_inference([boxes], [scores], [shape], 0.55, 0.5, -1)
    assert [(s, c) for s, c, _ in _detections(r)] == [(0.6, 1), (0.9, 0)]
    # top-k keeps the k best over all classes
    (r,), (kept,) = fast_rcnn_inference([boxes], [scores], [shape], 0.1, 0.5, 2)
    assert [round(s, 4) for s in r.scores.tolist()] == [0.9, 0.6] and kept.tolist() == [0, 2]
    (r,), _ = fast_rcnn_inference([boxes], [scores], [shape], 0.1, 0.5, 0)
    assert len(r) == 0


def test_output_layers_inference_uses_test_options():
    _, probs = _inference_inputs()
    layers = _layers(num_classes=2, cls_agnostic_bbox_reg=True, test_score_thresh=0.1, test_nms_thresh=0.5,
                     test_topk_per_image=3)  # fmt: skip
    proposal = Instances((64, 70))
    proposal.proposal_boxes = Boxes(torch.tensor([[0.0, 0, 10, 10], [1, 0, 11, 10], [60, 60, 80, 90],
                                                  [20, 20, 30, 30]]))  # fmt: skip
    # zero deltas decode to the proposals; softmax(log p) = p
    (r,), (kept,) = layers.inference((probs.log(), torch.zeros(4, 4)), [proposal])
    assert [round(s, 4) for s in r.scores.tolist()] == [0.9, 0.6, 0.5] and kept.tolist() == [0, 2, 3]
    assert r.pred_classes.tolist() == [0, 1, 1]
    expected = torch.tensor([[0.0, 0, 10, 10], [60, 60, 70, 64], [20, 20, 30, 30]])  # the second one clipped
    torch.testing.assert_close(r.pred_boxes.tensor, expected)
