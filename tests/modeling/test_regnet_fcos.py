"""RegNet / AnyNet backbones and the FCOS detector on the CPU at tiny sizes: shapes and strides, freezing, a training
step with and without ground truth, an inference pass, and (slow) a short FCOS training on the shapes dataset."""
from __future__ import annotations

import math
import os
from typing import Dict, List

import pytest
import torch
from torch import nn

from detectra import model_zoo
from detectra.config import LazyConfig, instantiate
from detectra.data.dataset_mapper import DatasetMapper
from detectra.data.datasets.coco import load_coco_json
from detectra.data.datasets.shapes import generate_shapes
from detectra.layers import FrozenBatchNorm2d, ShapeSpec
from detectra.modeling import RegNet
from detectra.modeling.backbone.regnet import (
    AnyNet,
    ResBasicBlock,
    ResBottleneckBlock,
    ResStem,
    SimpleStem,
    VanillaBlock,
)
from detectra.utils.events import EventStorage

NUM_CLASSES = 4  # the shapes dataset's things: circle, square, triangle, star
# A RegNet small enough for 128-px images: widths 16, 32, 64, 128 over 1, 1, 3, 3 blocks.
TINY_REGNET = dict(stem_width=16, depth=8, w_a=16, w_0=16, w_m=2, group_width=8, norm="BN", freeze_at=2)


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny models: intra-op threads only add synchronisation cost, and much more on a shared machine
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


@pytest.mark.parametrize(
    "stem_class, block_class, se_ratio",
    [(SimpleStem, ResBottleneckBlock, 0.25), (ResStem, ResBasicBlock, 0.0), (SimpleStem, VanillaBlock, 0.0)],
)
def test_anynet_shapes_strides_and_freezing(stem_class, block_class, se_ratio):
    torch.manual_seed(0)
    net = AnyNet(
        stem_class=stem_class, stem_width=8, block_class=block_class, depths=[1, 2], widths=[16, 24],
        group_widths=[8, 8], strides=[2, 2], bottleneck_ratios=[1.0, 1.0], se_ratio=se_ratio,
        activation_class=nn.ReLU, freeze_at=2, out_features=["stem", "s1", "s2"],
    )  # fmt: skip
    stem_stride = 4 if stem_class is ResStem else 2
    shapes = net.output_shape()
    assert {k: (v.channels, v.stride) for k, v in shapes.items()} == {
        "stem": (8, stem_stride), "s1": (16, 2 * stem_stride), "s2": (24, 4 * stem_stride)
    }  # fmt: skip
    x = torch.randn(2, 3, 64, 96)
    out = net(x)
    for name, spec in shapes.items():
        assert tuple(out[name].shape) == (2, spec.channels, 64 // spec.stride, 96 // spec.stride)
    # freeze_at=2: the stem and s1 are frozen (FrozenBN, no gradient), s2 trains
    assert not any(p.requires_grad for p in [*net.stem.parameters(), *net.s1.parameters()])
    assert isinstance(net.s1.b1.f.a_bn if block_class is not VanillaBlock else net.s1.b1.a_bn, FrozenBatchNorm2d)
    assert all(p.requires_grad for p in net.s2.parameters())
    out["s2"].sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.s2.parameters())


def test_regnet_widths_follow_the_quantized_linear_rule():
    net = RegNet(stem_class=SimpleStem, block_class=ResBottleneckBlock, **TINY_REGNET)
    assert [len(list(stage.children())) for stage, _ in net.stages_and_names] == [1, 1, 3, 3]
    assert {k: v.channels for k, v in net.output_shape().items()} == {"s4": 128}
    # RegNetX-4GF (the mask_rcnn_regnetx_4gf_dds_FPN config): pycls' published widths and depths
    x4 = RegNet(stem_class=SimpleStem, stem_width=32, block_class=ResBottleneckBlock, depth=23, w_a=38.65, w_0=96,
                w_m=2.43, group_width=40, out_features=["s1", "s2", "s3", "s4"])  # fmt: skip
    assert [v.channels for v in x4.output_shape().values()] == [80, 240, 560, 1360]
    assert [len(list(stage.children())) for stage, _ in x4.stages_and_names] == [2, 5, 14, 2]
    assert x4.s2.b1.f.b.groups == 240 // 40
    with pytest.raises(ValueError, match="out_features has 'res5'"):
        RegNet(stem_class=SimpleStem, block_class=ResBottleneckBlock, out_features=["res5"], **TINY_REGNET)


def test_pycls_checkpoint_loads_into_the_detector_backbone(tmp_path):
    """A pycls ``.pyth`` RegNet checkpoint (what the RegNet configs' ``train.init_checkpoint`` names: its keys are the
    backbone's own, plus pycls' classifier) fills the detector's ``backbone.bottom_up`` by name matching."""
    from detectra.checkpoint import DetectionCheckpointer

    torch.manual_seed(1)
    pycls = RegNet(stem_class=SimpleStem, block_class=ResBottleneckBlock, out_features=["s1", "s2", "s3", "s4"],
                   **{**TINY_REGNET, "freeze_at": 0})  # fmt: skip
    state = {k: v + 1.0 if v.is_floating_point() else v for k, v in pycls.state_dict().items()}  # differ from init
    state["head.fc.weight"], state["head.fc.bias"] = torch.zeros(10, 128), torch.zeros(10)
    torch.save({"model_state": state, "epoch": 100}, tmp_path / "regnet.pyth")

    model = _build("mask_rcnn_regnet")
    DetectionCheckpointer(model).load(str(tmp_path / "regnet.pyth"))
    ours = model.backbone.bottom_up.state_dict()
    loaded = [k for k, v in state.items() if not k.startswith("head.") and v.is_floating_point()]
    assert len(loaded) > 100  # the BN step counters are integers: FrozenBN (stem, s1) has none
    for k in loaded:
        assert torch.equal(ours[k], state[k]), k


def _fcos_cfg():
    cfg = model_zoo.get_config("common/models/fcos.py").model
    cfg.backbone.bottom_up = {"_target_": RegNet, "stem_class": SimpleStem, "block_class": ResBottleneckBlock,
                              "out_features": ["s2", "s3", "s4"], **TINY_REGNET}  # fmt: skip
    cfg.backbone.in_features = ["s2", "s3", "s4"]
    cfg.backbone.out_channels = 32
    cfg.backbone.top_block.in_channels = 32
    cfg.head.conv_dims = [32, 32]
    cfg.head.input_shape = [ShapeSpec(channels=32)] * 5
    cfg.num_classes = NUM_CLASSES
    cfg.pixel_std = [57.375, 57.120, 58.395]
    cfg.test_score_thresh = 0.05
    return cfg


def _mask_rcnn_regnet_cfg():
    cfg = model_zoo.get_config("COCO-InstanceSegmentation/mask_rcnn_regnetx_4gf_dds_fpn_1x.py").model
    for k, v in TINY_REGNET.items():
        cfg.backbone.bottom_up[k] = v
    cfg.roi_heads.num_classes = NUM_CLASSES
    # the heads keep the zoo's sizes (256-channel FPN, 1024-wide box head): cheap at 128 px
    LazyConfig.apply_overrides(cfg, [
        "roi_heads.batch_size_per_image=64", "roi_heads.box_predictor.test_score_thresh=0.0",
        "proposal_generator.pre_nms_topk=[300,300]", "proposal_generator.post_nms_topk=[100,100]",
    ])  # fmt: skip
    return cfg


BUILDERS = {"fcos_regnet": _fcos_cfg, "mask_rcnn_regnet": _mask_rcnn_regnet_cfg}


def _build(arch: str, **bottom_up) -> nn.Module:
    torch.manual_seed(0)
    cfg = BUILDERS[arch]()
    cfg.backbone.bottom_up.update(bottom_up)
    return instantiate(cfg)


@pytest.fixture(scope="module")
def shapes_dicts(tmp_path_factory) -> List[Dict]:
    root = str(tmp_path_factory.mktemp("shapes"))
    paths = generate_shapes(root, 4, image_size=(96, 128), seed=11)
    return load_coco_json(paths["json_file"], paths["image_root"], "regnet_fcos_test_shapes")


def _mapped(dicts: List[Dict], empty: bool) -> List[Dict]:
    mapper = DatasetMapper(is_train=True, augmentations=[], image_format="BGR", use_instance_mask=True)
    return [mapper({**d, "annotations": [] if empty else d["annotations"]}) for d in dicts[:2]]


@pytest.mark.parametrize("empty", [False, True], ids=["boxes", "empty"])
@pytest.mark.parametrize("arch", sorted(BUILDERS))
def test_train_step(arch, empty, shapes_dicts):
    model = _build(arch).train()
    batch = _mapped(shapes_dicts, empty)
    assert all((len(x["instances"]) == 0) == empty for x in batch)
    with EventStorage():
        losses = model(batch)
    expected = {"loss_fcos_cls", "loss_fcos_loc", "loss_fcos_ctr"} if arch == "fcos_regnet" else {
        "loss_rpn_cls", "loss_rpn_loc", "loss_cls", "loss_box_reg", "loss_mask"}  # fmt: skip
    assert set(losses) == expected
    for k, v in losses.items():
        assert v.dim() == 0 and math.isfinite(v.item()), f"{arch}: {k} = {v}"
    sum(losses.values()).backward()
    if empty:  # no foreground: no box, centerness or mask signal
        assert all(v.item() == 0.0 for k, v in losses.items() if k.endswith(("_loc", "_ctr", "box_reg", "mask")))
        return
    for name, p in model.named_parameters():
        if name.startswith("backbone.top_block.p7.") and arch == "fcos_regnet":
            # P7 is 1x1 on these images, and the head's GroupNorm (one channel per group) maps a 1x1 map to its
            # bias: no gradient can flow back to P7 there
            continue
        if p.requires_grad:
            assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name
        else:  # freeze_at=2: the RegNet stem and s1
            assert name.startswith(("backbone.bottom_up.stem.", "backbone.bottom_up.s1.")), name


@pytest.mark.parametrize("arch", sorted(BUILDERS))
def test_inference(arch):
    model = _build(arch).eval()
    g = torch.Generator().manual_seed(0)
    batch = [{"image": torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8), "height": 2 * h,
              "width": 2 * w} for h, w in [(96, 128), (64, 96)]]  # fmt: skip
    if arch == "fcos_regnet":
        model.test_score_thresh = 0.0  # random weights score low: keep every candidate
    with torch.no_grad():
        outputs = model(batch)
    for out, inp in zip(outputs, batch):
        inst = out["instances"]
        assert inst.image_size == (inp["height"], inp["width"]) and 0 < len(inst) <= 100
        boxes = inst.pred_boxes.tensor
        assert (boxes[:, 0::2] >= 0).all() and (boxes[:, 0::2] <= inp["width"]).all()
        assert (boxes[:, 1::2] >= 0).all() and (boxes[:, 1::2] <= inp["height"]).all()
        assert ((inst.pred_classes >= 0) & (inst.pred_classes < NUM_CLASSES)).all()
        assert (inst.scores[:-1] >= inst.scores[1:]).all()
        if arch == "mask_rcnn_regnet":
            assert tuple(inst.pred_masks.shape[1:]) == (inp["height"], inp["width"])


@pytest.mark.parametrize("arch", sorted(BUILDERS))
def test_bf16_autocast(arch, shapes_dicts):
    """A training step and an inference pass under CPU bf16 autocast; detections come out in float32."""
    model = _build(arch)
    batch = _mapped(shapes_dicts, empty=False)
    with EventStorage(), torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model(batch)
    assert all(math.isfinite(v.item()) for v in losses.values()), losses
    sum(losses.values()).backward()
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        outputs = model([{"image": x["image"]} for x in batch])
    for out in outputs:
        inst = out["instances"]
        assert inst.pred_boxes.tensor.dtype == torch.float32 and inst.scores.dtype == torch.float32
        assert torch.isfinite(inst.pred_boxes.tensor).all()


def test_fcos_matching_and_centerness_targets():
    """One 64x64 box on a 128x128 image: matched locations lie inside it, within 1.5 strides of its center, on the
    level whose range (4-8 strides) holds its largest side distance; centerness is 1 at the center."""
    model = _build("fcos_regnet")
    from detectra.structures import Boxes, Instances

    features = [torch.zeros(1, 1, 128 // s, 128 // s) for s in (8, 16, 32, 64, 128)]
    anchors = model.anchor_generator(features)
    gt = Instances((128, 128), gt_boxes=Boxes(torch.tensor([[32.0, 32.0, 96.0, 96.0]])), gt_classes=torch.tensor([2]))
    labels, boxes = model.label_anchors(anchors, [gt])
    centers = torch.cat([a.get_centers() for a in anchors])
    levels = torch.cat([torch.full((len(a),), s) for a, s in zip(anchors, (8, 16, 32, 64, 128))])
    fg = labels[0] == 2
    assert fg.sum() > 0 and set(labels[0][~fg].tolist()) == {NUM_CLASSES}
    assert ((centers[fg] - 64).abs().amax(dim=1) < 1.5 * levels[fg]).all()
    assert set(levels[fg].tolist()) == {8}  # largest side distance <= 32 + 12 = 44 < 8 * 8: the P3 range
    ctr = model.compute_ctrness_targets(anchors, boxes)[0]
    assert ctr[fg].max() <= 1.0 and ctr[fg].min() > 0.5
    assert torch.allclose(ctr[fg][(centers[fg] - 64).abs().amax(dim=1) < 1e-6], torch.ones(1))


@pytest.mark.slow
def test_fcos_learns_shapes(tmp_path):
    """FCOS (tiny RegNet from scratch, trainable BN) trained for 150 AdamW iterations (batch 4) on 16 generated shapes
    images reaches a box AP well above zero on those images (54 when written; random weights give ~0): it learns to
    detect and classify. About 17 s of CPU time on one thread."""
    from detectra.data.datasets.shapes import register_shapes
    from detectra.evaluation import COCOEvaluator

    # at least 129 px: P7 must be larger than 1x1 for the head's GroupNorm on single images
    paths = generate_shapes(str(tmp_path / "shapes"), 16, image_size=(136, 176), seed=21)
    register_shapes("fcos_test_shapes", splits={"mini": os.path.dirname(paths["json_file"])})
    dicts = load_coco_json(paths["json_file"], paths["image_root"], "fcos_test_shapes_mini")
    mapper = DatasetMapper(is_train=True, augmentations=[], image_format="BGR")
    data = [mapper(d) for d in dicts]

    model = _build("fcos_regnet", freeze_at=0)  # from scratch: nothing frozen
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-3, weight_decay=1e-4)
    g = torch.Generator().manual_seed(0)
    model.train()
    with EventStorage() as storage:
        for it in range(150):
            storage.iter = it
            idx = torch.randperm(len(data), generator=g)[:4].tolist()
            losses = model([data[i] for i in idx])
            optimizer.zero_grad()
            sum(losses.values()).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()

    model.eval()
    evaluator = COCOEvaluator("fcos_test_shapes_mini", output_dir=str(tmp_path / "eval"))
    evaluator.reset()
    with torch.no_grad():
        for d, x in zip(dicts, data):
            inputs = [{"image": x["image"], "height": d["height"], "width": d["width"], "image_id": d["image_id"]}]
            evaluator.process(inputs, model(inputs))
    ap = evaluator.evaluate()["bbox"]["AP"]
    assert ap > 20, f"box AP {ap:.1f} after 150 iterations"
