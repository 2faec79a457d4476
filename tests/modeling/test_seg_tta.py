"""Test-time augmentation: `DatasetMapperTTA`'s copies and transforms, and `GeneralizedRCNNWithTTA` on tiny Mask /
Keypoint R-CNN models (a single un-flipped scale reproduces the plain model; flips and scales give valid outputs)."""
import numpy as np
import pytest
import torch

from detectra.modeling import DatasetMapperTTA, GeneralizedRCNNWithTTA, build_model

from .test_seg_training import seg_cfg


@pytest.fixture(autouse=True)
def _one_thread():
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


def _image(h=128, w=160, seed=0):
    g = torch.Generator().manual_seed(seed)
    img = torch.randint(0, 60, (3, h, w), generator=g, dtype=torch.uint8)
    img[:, 20:70, 30:100] = 200  # a bright object, so there is something to detect
    return img


def test_dataset_mapper_tta_copies_and_transforms():
    mapper = DatasetMapperTTA(min_sizes=[64, 96], max_size=1000, flip=True)
    # the input was already resized 2x down from the original 256 x 320
    copies = mapper({"image": _image(), "height": 256, "width": 320, "image_id": 7})
    assert len(copies) == 4
    assert [tuple(c["image"].shape[1:]) for c in copies] == [(64, 80), (64, 80), (96, 120), (96, 120)]
    assert all(c["image_id"] == 7 and c["height"] == 256 for c in copies)
    box = np.array([[32.0, 16.0, 96.0, 80.0]])  # in the original 320 x 256 image
    np.testing.assert_allclose(copies[0]["transforms"].apply_box(box), [[8, 4, 24, 20]], atol=1e-4)
    np.testing.assert_allclose(copies[1]["transforms"].apply_box(box), [[80 - 24, 4, 80 - 8, 20]], atol=1e-4)
    np.testing.assert_allclose(copies[3]["transforms"].inverse().apply_box([[120 - 36, 6, 120 - 12, 30]]), box, atol=1e-4)
    # a flipped copy is the mirror of the un-flipped one
    assert torch.equal(copies[1]["image"], copies[0]["image"].flip(dims=[2]))


@pytest.mark.parametrize("arch", ["mask_rcnn_fpn", "keypoint_rcnn"])
def test_single_scale_tta_equals_plain_inference(arch):
    """One un-flipped copy at the input's own size: the merged result is the model's own output."""
    cfg = seg_cfg(arch)
    cfg.TEST.AUG.MIN_SIZES = (128,)
    cfg.TEST.AUG.MAX_SIZE = 1000
    cfg.TEST.AUG.FLIP = False
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    inp = {"image": _image(), "height": 192, "width": 240}
    with torch.no_grad():
        plain = model([inp])[0]["instances"]
    tta = GeneralizedRCNNWithTTA(cfg, model)([inp])[0]["instances"]
    assert tta.image_size == plain.image_size == (192, 240)
    assert len(tta) == len(plain) > 0
    torch.testing.assert_close(tta.pred_boxes.tensor, plain.pred_boxes.tensor, atol=1e-3, rtol=1e-4)
    torch.testing.assert_close(tta.scores, plain.scores)
    assert torch.equal(tta.pred_classes, plain.pred_classes)
    if arch == "mask_rcnn_fpn":
        agree = (tta.pred_masks == plain.pred_masks).float().mean().item()
        assert agree > 0.999
    else:
        torch.testing.assert_close(tta.pred_keypoints, plain.pred_keypoints, atol=1e-3, rtol=1e-4)
    # the heads were switched back on after the box-only pass
    assert model.roi_heads.mask_on == (arch == "mask_rcnn_fpn")
    assert model.roi_heads.keypoint_on == (arch == "keypoint_rcnn")


def test_multi_scale_flip_tta_outputs():
    cfg = seg_cfg("mask_rcnn_fpn")
    cfg.TEST.AUG.MIN_SIZES = (96, 128)
    cfg.TEST.AUG.MAX_SIZE = 1000
    cfg.TEST.AUG.FLIP = True
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    tta = GeneralizedRCNNWithTTA(cfg, model, batch_size=2)
    outputs = tta([{"image": _image(), "height": 128, "width": 160}, {"image": _image(96, 128, seed=1)}])
    for out, size in zip(outputs, [(128, 160), (96, 128)]):
        inst = out["instances"]
        assert inst.image_size == size and 0 < len(inst) <= cfg.TEST.DETECTIONS_PER_IMAGE
        assert inst.pred_masks.shape == (len(inst), *size) and inst.pred_masks.dtype == torch.bool
        boxes = inst.pred_boxes.tensor
        assert (boxes[:, 2] <= size[1]).all() and (boxes[:, 3] <= size[0]).all() and (boxes[:, :2] >= 0).all()
        assert (inst.scores[:-1] >= inst.scores[1:]).all()


def test_tta_rejects_other_models():
    cfg = seg_cfg("semantic_fpn")
    with pytest.raises(TypeError, match="GeneralizedRCNN"):
        GeneralizedRCNNWithTTA(cfg, build_model(cfg))
