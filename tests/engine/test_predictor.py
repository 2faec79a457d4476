"""DefaultPredictor / BatchPredictor on a real (tiny) GeneralizedRCNN built from a config, with saved weights."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from PIL import Image

from detectra.checkpoint import DetectionCheckpointer
from detectra.config import get_cfg
from detectra.data import transforms as T
from detectra.engine.predictor import BatchPredictor, DefaultPredictor
from detectra.modeling import build_model


def _tiny_cfg():
    cfg = get_cfg()
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.META_ARCHITECTURE = "GeneralizedRCNN"
    cfg.MODEL.BACKBONE.NAME = "build_resnet_fpn_backbone"
    cfg.MODEL.RESNETS.DEPTH = 18
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 64
    cfg.MODEL.RESNETS.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
    cfg.MODEL.FPN.IN_FEATURES = ["res2", "res3", "res4", "res5"]
    cfg.MODEL.FPN.OUT_CHANNELS = 32
    cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[32], [64], [128], [256], [512]]
    cfg.MODEL.RPN.IN_FEATURES = ["p2", "p3", "p4", "p5", "p6"]
    cfg.MODEL.ROI_HEADS.NAME = "StandardROIHeads"
    cfg.MODEL.ROI_HEADS.IN_FEATURES = ["p2", "p3", "p4", "p5"]
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = 3
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0
    cfg.MODEL.ROI_BOX_HEAD.NAME = "FastRCNNConvFCHead"
    cfg.MODEL.ROI_BOX_HEAD.NUM_FC = 2
    cfg.MODEL.ROI_BOX_HEAD.FC_DIM = 64
    cfg.INPUT.MIN_SIZE_TEST = 64
    cfg.INPUT.MAX_SIZE_TEST = 128
    cfg.DATALOADER.NUM_WORKERS = 0
    return cfg


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A state dict saved by DetectionCheckpointer from a seeded model, and the model itself."""
    torch.manual_seed(0)
    model = build_model(_tiny_cfg()).eval()
    out_dir = tmp_path_factory.mktemp("weights")
    DetectionCheckpointer(model, save_dir=str(out_dir)).save("model_tiny")
    return str(out_dir / "model_tiny.pth"), model


def _bgr(seed, h=48, w=72):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def _assert_same_instances(a, b, atol=1e-4):
    assert a.image_size == b.image_size
    assert torch.allclose(a.pred_boxes.tensor, b.pred_boxes.tensor, atol=atol)
    assert torch.allclose(a.scores, b.scores, atol=atol)
    assert torch.equal(a.pred_classes, b.pred_classes)


def test_default_predictor_loads_weights_and_matches_manual_pipeline(weights):
    path, reference = weights
    cfg = _tiny_cfg()
    cfg.MODEL.WEIGHTS = path
    predictor = DefaultPredictor(cfg)
    for key, value in reference.state_dict().items():
        assert torch.equal(predictor.model.state_dict()[key], value), key
    assert not predictor.model.training

    img = _bgr(1)
    outputs = predictor(img)
    inst = outputs["instances"]
    assert inst.image_size == (48, 72)  # original size, not the resized 64 x 96
    assert len(inst) > 0

    resized = T.ResizeShortestEdge([64, 64], 128).get_transform(img).apply_image(img)
    assert resized.shape[:2] == (64, 96)
    with torch.no_grad():
        manual = reference([{"image": torch.as_tensor(resized.transpose(2, 0, 1).astype("float32")),
                             "height": 48, "width": 72}])[0]["instances"]  # fmt: skip
    _assert_same_instances(inst, manual)
    boxes = inst.pred_boxes.tensor
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= 72).all() and (boxes[:, 3] <= 48).all()


def test_rgb_input_format_flips_channels(weights):
    path, _ = weights
    cfg = _tiny_cfg()
    cfg.MODEL.WEIGHTS = path
    cfg.INPUT.FORMAT = "RGB"
    predictor = DefaultPredictor(cfg)
    seen = []
    model = predictor.model
    predictor.model = lambda inputs: seen.append(inputs) or model(inputs)
    img = _bgr(2)
    predictor(img)
    fed = seen[0][0]["image"]
    assert fed.device.type == "cpu" and fed.dtype == torch.float32
    expected = T.ResizeShortestEdge([64, 64], 128).get_transform(img).apply_image(img[:, :, ::-1].copy())
    assert torch.equal(fed, torch.as_tensor(expected.transpose(2, 0, 1).astype("float32")))


def test_bad_inputs():
    cfg = _tiny_cfg()
    cfg.INPUT.FORMAT = "YUV-BT.601"
    with pytest.raises(ValueError, match="INPUT.FORMAT"):
        DefaultPredictor(cfg)


def test_batch_predictor_folder_and_arrays_match_single_predictions(weights, tmp_path):
    path, _ = weights
    cfg = _tiny_cfg()
    cfg.MODEL.WEIGHTS = path
    images = [_bgr(s) for s in range(3)]
    for i, img in enumerate(images):
        Image.fromarray(img[:, :, ::-1]).save(tmp_path / f"img_{i}.png")  # files are RGB on disk
    (tmp_path / "notes.txt").write_text("not an image")

    single = DefaultPredictor(cfg)
    batch = BatchPredictor(cfg, batch_size=2, show_progress=False)
    from_folder = list(batch(tmp_path))
    assert [k for k, _ in from_folder] == [str(tmp_path / f"img_{i}.png") for i in range(3)]
    from_arrays = list(batch(images))
    assert [k for k, _ in from_arrays] == [0, 1, 2]
    for i, img in enumerate(images):
        expected = single(img)["instances"]
        _assert_same_instances(from_folder[i][1]["instances"], expected)
        _assert_same_instances(from_arrays[i][1]["instances"], expected)

    with pytest.raises(FileNotFoundError, match="No images"):
        list(batch(_empty_dir(tmp_path)))


def test_batch_predictor_mixed_sizes_match_single_predictions(weights):
    """Images of different sizes in one batch get what they get alone (`detectra eval`, exported models): padded
    to a larger neighbour's size, a trained shapes Mask R-CNN's detections changed (57 of 89 kept)."""
    path, _ = weights
    cfg = _tiny_cfg()
    cfg.MODEL.WEIGHTS = path
    images = [_bgr(0, 48, 72), _bgr(1, 72, 48), _bgr(2, 48, 72)]
    single = DefaultPredictor(cfg)
    batched = list(BatchPredictor(cfg, batch_size=3, show_progress=False)(images))
    assert [k for k, _ in batched] == [0, 1, 2]
    for (_, outputs), img in zip(batched, images):
        assert len(outputs["instances"]) > 0
        _assert_same_instances(outputs["instances"], single(img)["instances"])


def test_batch_predictor_shares_a_model_call_between_sizes_padded_alike(weights):
    """64 x 96 and 64 x 93 (resized from 48 x 72 and 48 x 70) both pad to 64 x 96 for the FPN's divisibility of 32:
    one model call, and each still gets its single prediction; 96 x 64 pads to another size, so a second call."""
    path, _ = weights
    cfg = _tiny_cfg()
    cfg.MODEL.WEIGHTS = path
    images = [_bgr(0, 48, 72), _bgr(1, 48, 70), _bgr(2, 72, 48)]
    single = DefaultPredictor(cfg)
    predictor = BatchPredictor(cfg, batch_size=3, show_progress=False)
    calls, run_model = [], predictor._run_model

    def counting(inputs):
        calls.append([tuple(x["image"].shape[-2:]) for x in inputs])
        return run_model(inputs)

    predictor._run_model = counting
    batched = list(predictor(images))
    assert calls == [[(64, 96), (64, 93)], [(96, 64)]]
    for (_, outputs), img in zip(batched, images):
        assert len(outputs["instances"]) > 0
        _assert_same_instances(outputs["instances"], single(img)["instances"])


def _empty_dir(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    return d


@pytest.mark.parametrize(
    "image,error,fix",
    [
        (np.zeros((48, 72, 4), np.uint8), ValueError, r"image\[:, :, :3\]"),  # RGBA: used to fail inside the model
        (np.zeros((48, 72, 1), np.uint8), ValueError, r"np\.repeat"),  # one channel: used to run, broadcast
        (np.zeros((48, 72), np.uint8), ValueError, r"np\.repeat"),
        (np.zeros((3, 48, 72), np.uint8), ValueError, r"transpose\(1, 2, 0\)"),  # CHW: used to fail in PIL
        (np.zeros((0, 72, 3), np.uint8), ValueError, "empty image"),  # used to divide by zero in the resize
        (torch.zeros(48, 72, 3, dtype=torch.uint8), TypeError, r"image\.numpy\(\)"),
    ],
    ids=["rgba", "one_channel", "gray_2d", "chw", "empty", "tensor"],
)
def test_predictor_refuses_images_it_cannot_take_with_the_fix(image, error, fix):
    predictor = DefaultPredictor(_tiny_cfg())
    with pytest.raises(error, match=r"\(H, W, 3\) BGR numpy image") as info:
        predictor(image)
    assert re.search(fix, str(info.value)), str(info.value)


def test_predictors_and_default_trainer_refuse_a_lazyconfig_naming_what_to_use():
    from detectra import model_zoo
    from detectra.engine import DefaultTrainer

    lazy = model_zoo.get_config("COCO-Detection/retinanet_R_50_FPN_1x.py")
    for cls in (DefaultPredictor, BatchPredictor):  # this used to be omegaconf's "Missing key INPUT"
        with pytest.raises(TypeError, match=rf"{cls.__name__} takes a yacs CfgNode.*instantiate\(cfg\.model\)"):
            cls(lazy)
    with pytest.raises(TypeError, match=r"not a LazyConfig: train a LazyConfig \(\.py\) with .*LazyTrainer\(cfg\)"):
        DefaultTrainer(lazy)
