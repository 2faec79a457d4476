"""Training and inference of the transformer-backbone detectors (ViTDet, Swin, MViTv2) on the CPU at tiny sizes.

Each model is the model-zoo LazyConfig (``ViTDet/COCO/...``) with its widths and depths shrunk, so a step takes well
under a second: the same classes, wiring, LayerNorm heads and square padding as the full model.
"""
import math

import pytest
import torch

from detectra import model_zoo
from detectra.config import instantiate
from detectra.data.dataset_mapper import DatasetMapper
from detectra.layers import ShapeSpec
from detectra.structures import BoxMode
from detectra.utils.events import EventStorage

from .modeling_testing import write_image

CONFIGS = {
    "vitdet": "ViTDet/COCO/mask_rcnn_vitdet_b_100ep.py",
    "swin": "ViTDet/COCO/cascade_mask_rcnn_swin_b_in21k_50ep.py",
    "mvit": "ViTDet/COCO/cascade_mask_rcnn_mvitv2_b_in21k_100ep.py",
}
CANVAS = 128  # square_pad of the tiny models; every test image fits in it
CH = 32  # pyramid channels


def tiny_model_config(arch: str):
    """The zoo config of ``arch`` with a 2-4 block backbone, 32-channel pyramid and heads, 3 classes."""
    cfg = model_zoo.get_config(CONFIGS[arch]).model
    backbone = cfg.backbone
    if arch == "vitdet":
        backbone.net.update(img_size=CANVAS, embed_dim=64, depth=2, num_heads=2, drop_path_rate=0.1)
        backbone.net.update(window_size=4, window_block_indexes=[0])  # block 1 attends globally
    elif arch == "swin":
        backbone.bottom_up.update(embed_dim=16, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4], drop_path_rate=0.1)
    else:
        backbone.bottom_up.update(img_size=CANVAS, embed_dim=16, depth=4, last_block_indexes=(0, 1, 2, 3),
                                  adaptive_window_size=8, drop_path_rate=0.1)
    backbone.out_channels = CH
    backbone.square_pad = CANVAS
    cfg.proposal_generator.head.in_channels = CH
    cfg.proposal_generator.anchor_generator.sizes = [[16], [32], [64], [128], [256]]
    cfg.proposal_generator.pre_nms_topk = (300, 300)
    cfg.proposal_generator.post_nms_topk = (100, 100)
    heads = cfg.roi_heads
    heads.num_classes = 3
    heads.batch_size_per_image = 64
    box_heads = heads.box_heads if "box_heads" in heads else [heads.box_head]
    predictors = heads.box_predictors if "box_predictors" in heads else [heads.box_predictor]
    for head, predictor in zip(box_heads, predictors):
        head.update(input_shape=ShapeSpec(channels=CH, height=7, width=7), conv_dims=[CH], fc_dims=[64])
        predictor.input_shape = ShapeSpec(channels=64)
        predictor.test_score_thresh = 0.0
    heads.mask_head.update(input_shape=ShapeSpec(channels=CH, height=14, width=14), conv_dims=[CH, CH])
    return cfg


def _batch(tmp_path, with_gt: bool):
    """Two images (96x128, 112x96) through the real DatasetMapper, with boxes + polygon masks or none."""
    mapper = DatasetMapper(is_train=True, augmentations=[], image_format="RGB", use_instance_mask=True)
    batch = []
    for i, (h, w) in enumerate([(96, 128), (112, 96)]):
        boxes = [[20, 10, 70, 50], [w - 70, h - 50, 50, 40], [4, 4, w - 8, h - 8]] if with_gt else []
        annos = [
            {
                "bbox": b, "bbox_mode": BoxMode.XYWH_ABS, "category_id": c, "iscrowd": 0,
                "segmentation": [[b[0], b[1], b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3], b[0], b[1] + b[3]]],
            }
            for c, b in enumerate(boxes)
        ]  # fmt: skip
        file_name = write_image(tmp_path / f"img{i}.png", h, w, seed=i)
        batch.append(mapper({"file_name": file_name, "height": h, "width": w, "image_id": i, "annotations": annos}))
    return batch


@pytest.fixture(scope="module", params=list(CONFIGS))
def arch(request):
    return request.param


def _build(arch: str):
    torch.manual_seed(0)
    return instantiate(tiny_model_config(arch))


@pytest.mark.parametrize("with_gt", [True, False], ids=["gt", "empty"])
def test_train_step(arch, with_gt, tmp_path):
    model = _build(arch).train()
    batch = _batch(tmp_path, with_gt)
    assert [len(x["instances"]) for x in batch] == ([3, 3] if with_gt else [0, 0])
    with EventStorage():
        losses = model(batch)
    assert {"loss_rpn_cls", "loss_rpn_loc", "loss_mask"} <= set(losses)
    for k, v in losses.items():
        assert v.dim() == 0 and math.isfinite(v.item()), f"{arch}: {k} = {v}"
    sum(losses.values()).backward()
    if with_gt:
        for name, p in model.backbone.named_parameters():
            if p.requires_grad:
                assert p.grad is not None and torch.isfinite(p.grad).all(), f"{arch}: no / bad gradient for {name}"
        assert losses["loss_mask"].item() > 0
    else:
        box_losses = [v for k, v in losses.items() if "loc" in k or "box_reg" in k]
        assert all(v.item() == 0.0 for v in box_losses), losses
        assert losses["loss_mask"].item() == 0.0


def test_inference(arch):
    model = _build(arch).eval()
    g = torch.Generator().manual_seed(0)
    batch = [
        {"image": torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8), "height": 2 * h, "width": 2 * w}
        for h, w in [(96, 128), (64, 96)]
    ]
    with torch.no_grad():
        outputs = model(batch)
    for out, inp in zip(outputs, batch):
        inst = out["instances"]
        assert inst.image_size == (inp["height"], inp["width"])
        assert 0 < len(inst) <= 100
        boxes = inst.pred_boxes.tensor
        assert (boxes[:, 0::2] >= 0).all() and (boxes[:, 0::2] <= inp["width"]).all()
        assert (boxes[:, 1::2] >= 0).all() and (boxes[:, 1::2] <= inp["height"]).all()
        assert tuple(inst.pred_masks.shape[1:]) == (inp["height"], inp["width"])


def test_features_on_square_canvas(arch):
    model = _build(arch).eval()
    images = torch.randn(1, 3, CANVAS, CANVAS)
    with torch.no_grad():
        features = model.backbone(images)
    shapes = model.backbone.output_shape()
    assert list(features) == ["p2", "p3", "p4", "p5", "p6"] == list(shapes)
    for name, f in features.items():
        assert f.shape == (1, CH, CANVAS // shapes[name].stride, CANVAS // shapes[name].stride)
        assert shapes[name].channels == CH


def test_bf16_autocast(arch, tmp_path):
    """A training step and inference run under CPU bfloat16 autocast (attention, relative positions, LayerNorms)."""
    model = _build(arch).train()
    batch = _batch(tmp_path, True)
    with EventStorage(), torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model(batch)
    assert all(math.isfinite(v.item()) for v in losses.values())
    sum(losses.values()).backward()
    model.eval()
    qkv = next(m for name, m in model.backbone.named_modules() if name.endswith("attn.qkv"))
    dtypes = []
    qkv.register_forward_hook(lambda m, i, o: dtypes.append(o.dtype))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        features = model.backbone(torch.randn(1, 3, CANVAS, CANVAS))
        outputs = model([{"image": batch[0]["image"]}])
    assert dtypes[0] == torch.bfloat16  # attention really ran in bfloat16
    assert all(torch.isfinite(f).all() for f in features.values())
    assert len(outputs[0]["instances"]) > 0
