"""Rotated Faster R-CNN (`RRPN` + `RROIHeads`) on tiny CPU configs, and its selection / inference functions on
hand-made boxes."""
import math

import numpy as np
import pytest
import torch

from detectra.modeling import build_model, detector_postprocess
from detectra.modeling.proposal_generator import RRPN, find_top_rrpn_proposals
from detectra.modeling.roi_heads import RotatedFastRCNNOutputLayers, RROIHeads, fast_rcnn_inference_rotated
from detectra.structures import Instances, RotatedBoxes, pairwise_iou_rotated
from detectra.utils.events import EventStorage

from .modeling_testing import NUM_CLASSES, small_cfg


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One intra-op thread: on the shared 2-core machine, two threads contend and the tiny convs run ~10x slower."""
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


def rotated_cfg():
    """`small_cfg` (R-18, 32-channel FPN) turned into Detectron2's rotated Faster R-CNN, with few proposals."""
    cfg = small_cfg("faster_rcnn_fpn")
    cfg.MODEL.PROPOSAL_GENERATOR.NAME = "RRPN"
    cfg.MODEL.ROI_HEADS.NAME = "RROIHeads"
    cfg.MODEL.ANCHOR_GENERATOR.NAME = "RotatedAnchorGenerator"
    cfg.MODEL.ANCHOR_GENERATOR.ANGLES = [[-90, -60, -30, 0, 30, 60, 90]]
    # one elongated shape (2:1) in 7 orientations; rotated IoU is pure torch, so fewer anchors keep matching fast
    cfg.MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS = [[0.5]]
    cfg.MODEL.RPN.BBOX_REG_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0)
    cfg.MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS = (10.0, 10.0, 5.0, 5.0, 1.0)
    cfg.MODEL.ROI_BOX_HEAD.POOLER_TYPE = "ROIAlignRotated"
    # rotated IoU / NMS are pure torch: keep the proposal sets small so a step stays well under a second
    cfg.MODEL.RPN.PRE_NMS_TOPK_TRAIN = cfg.MODEL.RPN.PRE_NMS_TOPK_TEST = 60
    cfg.MODEL.RPN.POST_NMS_TOPK_TRAIN = cfg.MODEL.RPN.POST_NMS_TOPK_TEST = 40
    return cfg


def _build(cfg=None, seed: int = 0):
    torch.manual_seed(seed)
    return build_model(cfg if cfg is not None else rotated_cfg())


def _inside_rotated_box(h: int, w: int, box) -> np.ndarray:
    """Bool mask [h, w] of the pixel centers inside a (cx, cy, w, h, angle) box, in `RotatedBoxes`' convention
    (counter-clockwise in the image: the width side is (cos, -sin), the height side (sin, cos))."""
    cx, cy, bw, bh, a = box
    t = math.radians(a)
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    dx, dy = xs - cx, ys - cy
    u = dx * math.cos(t) - dy * math.sin(t)
    v = dx * math.sin(t) + dy * math.cos(t)
    return (np.abs(u) <= bw / 2) & (np.abs(v) <= bh / 2)


def _image_with_boxes(h: int, w: int, boxes, seed: int = 0) -> torch.Tensor:
    """uint8 Tensor[3, h, w]: dark noise with each rotated box filled in a bright colour."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, size=(h, w, 3), dtype=np.uint8)
    colours = [(220, 60, 60), (60, 220, 60), (60, 60, 220)]
    for i, box in enumerate(boxes):
        img[_inside_rotated_box(h, w, box)] = colours[i % len(colours)]
    return torch.from_numpy(img).permute(2, 0, 1).contiguous()


def _train_input(h: int, w: int, boxes, classes, seed: int = 0) -> dict:
    gt = Instances(
        (h, w),
        gt_boxes=RotatedBoxes(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 5)),
        gt_classes=torch.tensor(classes, dtype=torch.int64),
    )
    return {"image": _image_with_boxes(h, w, boxes, seed), "instances": gt, "height": h, "width": w}


TWO_IMAGE_GT = [
    # (h, w), boxes (cx, cy, w, h, angle), classes
    ((64, 96), [[30, 24, 40, 16, 30], [70, 44, 30, 16, -60], [48, 32, 70, 44, 0]], [0, 1, 2]),
    ((80, 64), [[32, 40, 50, 14, 90]], [1]),
]


@pytest.mark.parametrize("kind", ["boxes", "empty"])
def test_train_step(kind):
    """One training step: the four losses are finite scalars and every trainable parameter, backbone included,
    gets a finite non-zero gradient; without ground truth the box-regression losses are exactly 0."""
    model = _build().train()
    assert isinstance(model.proposal_generator, RRPN) and isinstance(model.roi_heads, RROIHeads)
    assert isinstance(model.roi_heads.box_predictor, RotatedFastRCNNOutputLayers)
    assert model.roi_heads.box_predictor.bbox_pred.out_features == NUM_CLASSES * 5
    batch = [
        _train_input(h, w, boxes if kind == "boxes" else [], classes if kind == "boxes" else [], seed=i)
        for i, ((h, w), boxes, classes) in enumerate(TWO_IMAGE_GT)
    ]
    with EventStorage():
        losses = model(batch)
    assert set(losses) == {"loss_cls", "loss_box_reg", "loss_rpn_cls", "loss_rpn_loc"}
    for k, v in losses.items():
        assert v.dim() == 0 and math.isfinite(v.item()), f"{kind}: {k} = {v}"
    sum(losses.values()).backward()

    if kind == "boxes":
        assert losses["loss_box_reg"].item() > 0 and losses["loss_rpn_loc"].item() > 0
        for name, p in model.named_parameters():
            if p.requires_grad:
                assert p.grad is not None, f"no gradient for {name}"
                assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, f"zero/bad gradient {name}"
        assert model.backbone.bottom_up.res3[0].conv1.weight.grad.abs().sum() > 0
    else:
        assert losses["loss_box_reg"].item() == 0.0 and losses["loss_rpn_loc"].item() == 0.0
        assert losses["loss_cls"].item() > 0 and losses["loss_rpn_cls"].item() > 0
        assert model.backbone.bottom_up.res3[0].conv1.weight.grad.abs().sum() > 0


def test_inference_rotated_boxes_in_output_coordinates():
    """Inference gives per image Instances of the requested size with RotatedBoxes (N, 5), sorted scores and valid
    classes; postprocessing doubles centers and sizes (outputs asked at 2x) and keeps the angles."""
    model = _build().eval()
    batch = []
    for i, (h, w) in enumerate([(64, 96), (48, 64)]):
        image = _image_with_boxes(h, w, [[w / 2, h / 2, 40, 16, 30]], seed=i)
        batch.append({"image": image, "height": 2 * h, "width": 2 * w})
    with torch.no_grad():
        raw = model.inference(batch, do_postprocess=False)
        outputs = model(batch)
    assert len(outputs) == 2
    for out, raw_i, inp in zip(outputs, raw, batch):
        inst = out["instances"]
        assert inst.image_size == (inp["height"], inp["width"])
        assert isinstance(inst.pred_boxes, RotatedBoxes)
        boxes = inst.pred_boxes.tensor
        assert boxes.dim() == 2 and boxes.shape[1] == 5 and 0 < len(inst) <= 100
        assert len(inst.scores) == len(inst.pred_classes) == len(inst)
        assert (inst.scores[:-1] >= inst.scores[1:]).all()
        assert ((inst.pred_classes >= 0) & (inst.pred_classes < NUM_CLASSES)).all()
        # output = network-resolution detections scaled by exactly 2 (uniform scale: exact for rotated boxes)
        raw_boxes = raw_i.pred_boxes.tensor
        assert raw_i.image_size == (inp["image"].shape[1], inp["image"].shape[2])
        assert len(raw_i) == len(inst)  # none became empty
        torch.testing.assert_close(boxes[:, :4], raw_boxes[:, :4] * 2, rtol=1e-4, atol=1e-3)
        angle_diff = (boxes[:, 4] - raw_boxes[:, 4] + 180) % 360 - 180
        assert angle_diff.abs().max() < 1e-3
        # only nearly horizontal boxes are clipped (rotated ones have no single clipped form, as in Detectron2)
        horizontal = boxes[boxes[:, 4].abs() <= 1.0]
        assert (horizontal[:, 0] - horizontal[:, 2] / 2 >= -1e-3).all()
        assert (horizontal[:, 0] + horizontal[:, 2] / 2 <= inp["width"] + 1e-3).all()
        assert (horizontal[:, 1] - horizontal[:, 3] / 2 >= -1e-3).all()
        assert (horizontal[:, 1] + horizontal[:, 3] / 2 <= inp["height"] + 1e-3).all()


def test_detector_postprocess_scales_and_clips_rotated_boxes():
    """detector_postprocess on RotatedBoxes: scale 2x; a nearly horizontal box sticking out is clipped to the
    output image, a truly rotated one is only scaled."""
    res = Instances((50, 60))
    res.pred_boxes = RotatedBoxes(
        torch.tensor([[10.0, 20.0, 8.0, 4.0, 0.5], [55.0, 25.0, 20.0, 10.0, 0.0], [30.0, 25.0, 10.0, 6.0, 45.0]])
    )
    res.scores = torch.tensor([0.9, 0.8, 0.7])
    out = detector_postprocess(res, 100, 120)
    assert out.image_size == (100, 120)
    b = out.pred_boxes.tensor
    torch.testing.assert_close(b[0], torch.tensor([20.0, 40.0, 16.0, 8.0, 0.5]))
    # second box: x in [90, 130] at 2x, clipped to [90, 120]
    torch.testing.assert_close(b[1], torch.tensor([105.0, 50.0, 30.0, 20.0, 0.0]))
    torch.testing.assert_close(b[2], torch.tensor([60.0, 50.0, 20.0, 12.0, 45.0]))


def _level(boxes, scores):
    """One level, one image: Tensor[1, R, 5] and Tensor[1, R]."""
    return torch.tensor(boxes, dtype=torch.float32)[None], torch.tensor(scores, dtype=torch.float32)[None]


def test_find_top_rrpn_proposals_nms_per_level_and_min_size():
    """A rotated near-duplicate of a better box is suppressed within its level, but not across levels; boxes with a
    side below min_box_size are dropped; the result is sorted by score."""
    box_a = [50.0, 50.0, 30.0, 12.0, 30.0]
    dup_a = [51.0, 50.0, 30.0, 12.0, 33.0]  # rotated IoU with A is about 0.8
    assert pairwise_iou_rotated(RotatedBoxes(torch.tensor([box_a])), RotatedBoxes(torch.tensor([dup_a])))[0, 0] > 0.7
    far = [20.0, 80.0, 14.0, 10.0, -45.0]
    thin = [80.0, 20.0, 20.0, 1.5, 60.0]  # 1.5 px wide: below min_box_size=2
    p0, s0 = _level([box_a, dup_a, far, thin], [3.0, 2.5, 1.0, 5.0])
    p1, s1 = _level([dup_a], [0.5])  # the same duplicate on another level survives (NMS is per level)
    (res,) = find_top_rrpn_proposals([p0, p1], [s0, s1], [(100, 100)], 0.7, 10, 10, 2.0, training=False)
    assert isinstance(res.proposal_boxes, RotatedBoxes)
    torch.testing.assert_close(res.objectness_logits, torch.tensor([3.0, 1.0, 0.5]))
    torch.testing.assert_close(res.proposal_boxes.tensor, torch.tensor([box_a, far, dup_a]))
    # inputs are not modified in place by the clipping
    torch.testing.assert_close(p0[0, 1], torch.tensor(dup_a))


def test_find_top_rrpn_proposals_topk_and_clip():
    """pre_nms_topk is per level, post_nms_topk per image; nearly horizontal boxes are clipped to the image and
    rotated ones are not."""
    # 8 disjoint boxes on one level, scores 0..7
    boxes = [[12.0 + 24 * (i % 4), 12.0 + 40 * (i // 4), 10.0, 10.0, 45.0] for i in range(8)]
    p0, s0 = _level(boxes, list(range(8)))
    (res,) = find_top_rrpn_proposals([p0], [s0], [(100, 100)], 0.7, 5, 3, 0.0, training=False)
    torch.testing.assert_close(res.objectness_logits, torch.tensor([7.0, 6.0, 5.0]))
    (res,) = find_top_rrpn_proposals([p0, p0.clone()], [s0, s0 - 0.5], [(100, 100)], 0.7, 2, 100, 0.0, False)
    torch.testing.assert_close(res.objectness_logits, torch.tensor([7.0, 6.5, 6.0, 5.5]))

    horizontal = [95.0, 10.0, 20.0, 10.0, 0.4]  # x in [85, 105] -> [85, 100]
    rotated = [95.0, 50.0, 20.0, 10.0, 30.0]
    p, s = _level([horizontal, rotated], [1.0, 0.5])
    (res,) = find_top_rrpn_proposals([p], [s], [(100, 100)], 0.7, 10, 10, 0.0, False)
    torch.testing.assert_close(res.proposal_boxes.tensor, torch.tensor([[92.5, 10.0, 15.0, 10.0, 0.4], rotated]))


def test_find_top_rrpn_proposals_non_finite():
    """Non-finite proposals raise in training (diverged) and are dropped in inference."""
    p, s = _level([[50.0, 50.0, 20.0, 10.0, 0.0], [float("nan"), 50.0, 20.0, 10.0, 0.0]], [1.0, 2.0])
    with pytest.raises(FloatingPointError):
        find_top_rrpn_proposals([p], [s], [(100, 100)], 0.7, 10, 10, 0.0, training=True)
    (res,) = find_top_rrpn_proposals([p], [s], [(100, 100)], 0.7, 10, 10, 0.0, training=False)
    assert len(res) == 1 and res.objectness_logits.item() == 1.0


def test_fast_rcnn_inference_rotated():
    """Score threshold, rotated NMS per class (a duplicate of another class survives), top-k per image, and the
    proposal index of each detection."""
    a = [40.0, 40.0, 30.0, 10.0, 30.0]
    dup = [41.0, 40.0, 30.0, 10.0, 32.0]
    b = [80.0, 20.0, 16.0, 16.0, -20.0]
    # 3 proposals, 2 classes, class-specific boxes: (R, K * 5)
    boxes = torch.tensor([a + a, dup + dup, b + b])
    scores = torch.tensor([[0.6, 0.3, 0.1], [0.5, 0.45, 0.05], [0.02, 0.9, 0.08]])  # (R, K + 1)
    (inst,), (kept,) = fast_rcnn_inference_rotated([boxes], [scores], [(100, 100)], 0.05, 0.5, 100)
    assert isinstance(inst.pred_boxes, RotatedBoxes)
    # class 0: a (0.6) suppresses dup (0.5); b's 0.02 is under the threshold. class 1: b 0.9, dup 0.45 > a 0.3
    torch.testing.assert_close(inst.scores, torch.tensor([0.9, 0.6, 0.45]))
    assert inst.pred_classes.tolist() == [1, 0, 1] and kept.tolist() == [2, 0, 1]
    torch.testing.assert_close(inst.pred_boxes.tensor, torch.tensor([b, a, dup]))
    (inst,), _ = fast_rcnn_inference_rotated([boxes], [scores], [(100, 100)], 0.05, 0.5, 2)
    assert len(inst) == 2
    # class-agnostic boxes (R, 5)
    (inst,), _ = fast_rcnn_inference_rotated([boxes[:, :5]], [scores], [(100, 100)], 0.05, 0.5, 100)
    assert inst.pred_classes.tolist() == [1, 0, 1]


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("MODEL.ROI_BOX_HEAD.POOLER_TYPE", "ROIAlignV2", "ROIAlignRotated"),
        ("MODEL.MASK_ON", True, "MASK_ON"),
        ("MODEL.RPN.BBOX_REG_WEIGHTS", (1.0, 1.0, 1.0, 1.0), "RPN.BBOX_REG_WEIGHTS"),
        ("MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS", (10.0, 10.0, 5.0, 5.0), "ROI_BOX_HEAD.BBOX_REG_WEIGHTS"),
        ("MODEL.ANCHOR_GENERATOR.NAME", "DefaultAnchorGenerator", "RotatedAnchorGenerator"),
    ],
)
def test_config_errors(key, value, match):
    """Configurations RRPN / RROIHeads cannot run say which key to change."""
    cfg = rotated_cfg()
    node = cfg
    *parents, leaf = key.split(".")
    for name in parents:
        node = node[name]
    node[leaf] = value
    with pytest.raises(ValueError, match=match):
        build_model(cfg)


def test_learns_one_rotated_box():
    """40 SGD steps on one image with one rotated object (FrozenBN, Detectron2's default norm): the total loss falls
    below 30% of its start (about 2.1 -> 0.1-0.2 over seeds), the ROI classifier fits and no loss turns non-finite."""
    gt_box = [46.0, 32.0, 48.0, 18.0, 30.0]
    inp = _train_input(64, 96, [gt_box], [1])
    cfg = rotated_cfg()
    cfg.MODEL.RESNETS.NORM = "FrozenBN"
    model = _build(cfg).train()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    history = []
    with EventStorage() as storage:
        for it in range(40):
            storage.iter = it
            losses = model([inp])
            total = sum(losses.values())
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            history.append({k: v.item() for k, v in losses.items()} | {"total": total.item()})
    first = history[0]
    last = {k: sum(h[k] for h in history[-5:]) / 5 for k in first}
    assert all(math.isfinite(v) for h in history for v in h.values())
    assert last["total"] < 0.3 * first["total"], f"loss did not drop enough: {first} -> {last}"
    assert last["loss_cls"] < 0.2 * first["loss_cls"], f"ROI classifier did not fit: {first} -> {last}"
