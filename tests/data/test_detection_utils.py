"""detection_utils: image reading, annotation transforms, Instances building, metadata helpers."""
import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from PIL import Image

import detectra.data.transforms as T
from detectra.data import detection_utils as utils
from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.structures import BitMasks, BoxMode, PolygonMasks


def _rgb_image(h=24, w=32):
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 0] = 200  # red
    image[:4, :6] = (10, 250, 30)  # a green top-left patch, to see orientation
    return image


# ---------------------------------------------------------------- read_image


def test_read_image_formats(tmp_path):
    path = tmp_path / "rgb.png"
    rgb = _rgb_image()
    Image.fromarray(rgb).save(path)
    np.testing.assert_array_equal(utils.read_image(path, "RGB"), rgb)
    np.testing.assert_array_equal(utils.read_image(path, "BGR"), rgb[:, :, ::-1])
    np.testing.assert_array_equal(utils.read_image(path), rgb)
    gray = utils.read_image(path, "L")
    assert gray.shape == (24, 32, 1)
    assert gray[10, 10, 0] == round(0.299 * 200)
    yuv = utils.read_image(path, "YUV-BT.601")
    np.testing.assert_allclose(yuv[10, 10], [0.299 * 200 / 255, -0.14713 * 200 / 255, 0.615 * 200 / 255], atol=1e-6)
    np.testing.assert_allclose(utils.convert_image_to_rgb(yuv, "YUV-BT.601"), rgb, atol=1.0)
    np.testing.assert_array_equal(utils.convert_image_to_rgb(rgb[:, :, ::-1], "BGR"), rgb)
    np.testing.assert_array_equal(utils.convert_image_to_rgb(torch.from_numpy(gray.copy()), "L")[..., 0], gray[..., 0])


def test_read_image_applies_exif_orientation(tmp_path):
    path = tmp_path / "rotated.jpg"
    stored = Image.fromarray(_rgb_image())  # stored 32 wide, 24 high
    exif = Image.Exif()
    exif[274] = 6  # "rotate 90 CW to display"
    stored.save(path, exif=exif, quality=100)
    image = utils.read_image(path, "RGB")
    assert image.shape == (32, 24, 3)
    # The green patch stored at the top-left is displayed at the top-right after a clockwise rotation.
    assert image[1, -2, 1] > 200 and image[1, 1, 1] < 60


def test_read_image_converts_grayscale_palette_rgba_cmyk_16bit(tmp_path):
    gray = (np.arange(24 * 32) % 256).astype(np.uint8).reshape(24, 32)
    Image.fromarray(gray, mode="L").save(tmp_path / "gray.png")
    bgr = utils.read_image(tmp_path / "gray.png", "BGR")
    assert bgr.shape == (24, 32, 3)
    np.testing.assert_array_equal(bgr[..., 0], gray)
    np.testing.assert_array_equal(bgr[..., 2], gray)

    palette = Image.fromarray(np.array([[0, 1], [1, 2]], np.uint8), mode="P")
    palette.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    palette.info["transparency"] = 0
    palette.save(tmp_path / "palette.png", transparency=0)
    rgb = utils.read_image(tmp_path / "palette.png", "RGB")
    np.testing.assert_array_equal(rgb[0, 0], [255, 0, 0])  # palette indices -> their colours
    np.testing.assert_array_equal(rgb[0, 1], [0, 255, 0])
    np.testing.assert_array_equal(rgb[1, 1], [0, 0, 255])

    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[...] = (10, 20, 30, 128)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "rgba.png")
    out = utils.read_image(tmp_path / "rgba.png", "BGR")
    assert out.shape == (4, 4, 3)
    np.testing.assert_array_equal(out[0, 0], [30, 20, 10])

    Image.new("CMYK", (6, 5), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg", quality=100)  # pure red in CMYK
    red = utils.read_image(tmp_path / "cmyk.jpg", "RGB")
    assert red.shape == (5, 6, 3)
    assert red[2, 2, 0] > 240 and red[2, 2, 1] < 15 and red[2, 2, 2] < 15

    deep = (np.arange(16, dtype=np.uint16).reshape(4, 4) * 4369)  # 0 .. 65535
    Image.fromarray(deep).save(tmp_path / "deep.png")
    out = utils.read_image(tmp_path / "deep.png", "BGR")
    assert out.shape == (4, 4, 3)
    np.testing.assert_array_equal(out[..., 0], np.round(deep / 257.0).astype(np.uint8))  # not clipped to 255
    assert out[..., 0].max() == 255 and out[0, 1, 0] == 17
    np.testing.assert_array_equal(utils.read_image(tmp_path / "deep.png"), deep)  # format=None: as stored


def test_read_image_missing_or_truncated_file_names_the_file(tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(FileNotFoundError, match="nope.jpg") as err:
        utils.read_image(missing, "BGR")
    assert "file_name" in str(err.value)

    full = tmp_path / "full.jpg"
    Image.fromarray(np.random.RandomState(0).randint(0, 255, (64, 64, 3)).astype(np.uint8)).save(full)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(full.read_bytes()[:400])
    with pytest.raises(OSError, match="truncated.jpg") as err:
        utils.read_image(truncated, "BGR")
    assert "re-download" in str(err.value)

    garbage = tmp_path / "notes.png"
    garbage.write_text("not an image")
    with pytest.raises(OSError, match="notes.png"):
        utils.read_image(garbage)


def test_check_image_size_names_file_id_and_fix():
    image = np.zeros((24, 32, 3), np.uint8)
    record = {"file_name": "a/b.jpg", "image_id": 42, "width": 24, "height": 32}
    with pytest.raises(utils.SizeMismatchError) as err:
        utils.check_image_size(record, image)
    msg = str(err.value)
    assert "a/b.jpg" in msg and "42" in msg and "(32, 24)" in msg and "swapped" in msg and "Fix" in msg
    record = {"file_name": "c.jpg"}
    utils.check_image_size(record, image)
    assert record["width"] == 32 and record["height"] == 24
    utils.check_image_size({"width": 32, "height": 24}, image)


# ------------------------------------------------------ annotation transforms

FLIP_INDICES = [1, 0, 2]  # keypoints: left_eye, right_eye, nose


def _annotation():
    return {
        "bbox": [4.0, 6.0, 10.0, 8.0],  # XYWH
        "bbox_mode": BoxMode.XYWH_ABS,
        "category_id": 2,
        "segmentation": [[4.0, 6.0, 14.0, 6.0, 14.0, 14.0, 4.0, 14.0]],
        "keypoints": [5.0, 7.0, 2, 13.0, 7.0, 2, 9.0, 13.0, 1],
        "iscrowd": 0,
    }


def test_transform_instance_annotations_with_flip_swaps_left_right():
    tfms = T.TransformList([T.HFlipTransform(32)])
    anno = utils.transform_instance_annotations(_annotation(), tfms, (24, 32), keypoint_hflip_indices=FLIP_INDICES)
    np.testing.assert_allclose(anno["bbox"], [18.0, 6.0, 28.0, 14.0])
    assert anno["bbox_mode"] == BoxMode.XYXY_ABS
    np.testing.assert_allclose(np.sort(anno["segmentation"][0][0::2]), [18, 18, 28, 28])
    kps = anno["keypoints"]
    # The left eye (index 0) is now the mirrored right eye, still on the image's left of the right eye.
    np.testing.assert_allclose(kps, [[32 - 13.0, 7, 2], [32 - 5.0, 7, 2], [32 - 9.0, 13, 1]])
    with pytest.raises(ValueError, match="keypoint_hflip_indices"):
        utils.transform_instance_annotations(_annotation(), tfms, (24, 32))


def test_keypoints_outside_image_become_invisible_and_zero():
    tfms = [T.CropTransform(8, 0, 20, 24)]
    kps = utils.transform_keypoint_annotations([5.0, 7.0, 2, 13.0, 7.0, 2, 9.0, 13.0, 1], tfms, (24, 20))
    np.testing.assert_allclose(kps, [[0, 0, 0], [5.0, 7.0, 2], [1.0, 13.0, 1]])


def test_transform_rle_and_box_clipping():
    mask = np.zeros((24, 32), np.uint8, order="F")
    mask[6:14, 4:14] = 1
    anno = _annotation()
    anno["segmentation"] = mask_util.encode(mask)
    anno.pop("keypoints")
    tfms = T.TransformList([T.ResizeTransform(24, 32, 48, 64), T.CropTransform(10, 0, 40, 48)])
    out = utils.transform_instance_annotations(anno, tfms, (48, 40))
    assert out["segmentation"].shape == (48, 40)
    ys, xs = np.nonzero(out["segmentation"])
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (0, 17, 12, 27)
    np.testing.assert_allclose(out["bbox"], [0.0, 12.0, 18.0, 28.0])  # x0 = -2 clipped to 0

    crowd = {"size": [24, 32], "counts": [6 * 24 + 6, 8, 16, 8] + [24 * 32 - 6 * 24 - 6 - 32]}
    anno = {"bbox": [0, 0, 32, 24], "bbox_mode": BoxMode.XYWH_ABS, "category_id": 0, "segmentation": crowd}
    out = utils.transform_instance_annotations(anno, [T.NoOpTransform()], (24, 32))
    assert out["segmentation"].sum() == 16  # uncompressed (crowd-style) RLE is decoded too


def test_boxes_all_at_once_equal_box_by_box():
    # annotation_boxes_xyxy / transform_boxes_xyxy (the one box path of the mapper and of the per-annotation
    # functions) give each box the numbers it gets converted and transformed alone, mixed box modes included.
    rng = np.random.default_rng(0)
    annos = []
    for i in range(40):
        x, y, w, h = (rng.random(4) * [50, 40, 30, 30]).tolist()
        mode = [BoxMode.XYWH_ABS, BoxMode.XYXY_ABS][i % 2] if i >= 20 else BoxMode.XYWH_ABS
        box = [x, y, w, h] if mode == BoxMode.XYWH_ABS else [x, y, x + w, y + h]
        annos.append({"bbox": box if i % 3 else [int(v) for v in box], "bbox_mode": mode, "category_id": 0})
    transforms = T.TransformList([T.ResizeTransform(40, 60, 70, 90), T.HFlipTransform(90),
                                  T.CropTransform(5, 7, 60, 50)])
    for group in (annos[:20], annos[20:]):  # one mode; mixed modes
        alone = []
        for obj in group:
            box = np.array([BoxMode.convert(obj["bbox"], obj["bbox_mode"], BoxMode.XYXY_ABS)], dtype=np.float64)
            alone.append(np.minimum(transforms.apply_box(box)[0].clip(min=0), [60, 50, 60, 50]))
        got = utils.transform_boxes_xyxy(utils.annotation_boxes_xyxy(group), transforms, (50, 60))
        assert got.dtype == np.float64 and got.shape == (20, 4)
        np.testing.assert_array_equal(got, np.stack(alone))
        for obj, expected in zip(group, alone):
            np.testing.assert_array_equal(utils.transform_instance_annotations(dict(obj), transforms, (50, 60))["bbox"],
                                          expected)  # fmt: skip
    assert utils.annotation_boxes_xyxy([]).shape == (0, 4)


def test_annotations_to_instances_polygon_and_bitmask():
    annos = [
        utils.transform_instance_annotations(_annotation(), [T.NoOpTransform()], (24, 32), keypoint_hflip_indices=None)
        for _ in range(2)
    ]
    annos[1]["category_id"] = 5
    inst = utils.annotations_to_instances(annos, (24, 32))
    assert inst.image_size == (24, 32)
    np.testing.assert_allclose(inst.gt_boxes.tensor.numpy(), [[4, 6, 14, 14]] * 2)
    assert inst.gt_classes.tolist() == [2, 5] and inst.gt_classes.dtype == torch.int64
    assert isinstance(inst.gt_masks, PolygonMasks)
    assert inst.gt_keypoints.tensor.shape == (2, 3, 3)

    bit = utils.annotations_to_instances(annos, (24, 32), mask_format="bitmask")
    assert isinstance(bit.gt_masks, BitMasks)
    masks = bit.gt_masks.tensor
    assert masks.shape == (2, 24, 32)
    assert masks[0, 6:14, 4:14].all() and masks[0].sum() == 80

    empty = utils.annotations_to_instances([], (24, 32))
    assert len(empty) == 0 and empty.gt_boxes.tensor.shape == (0, 4)


def test_annotations_to_instances_rotated():
    annos = [{"bbox": [10.0, 10.0, 4.0, 2.0, 30.0], "bbox_mode": BoxMode.XYWHA_ABS, "category_id": 1}]
    inst = utils.annotations_to_instances_rotated(annos, (24, 32))
    np.testing.assert_allclose(inst.gt_boxes.tensor.numpy(), [[10, 10, 4, 2, 30]])
    assert inst.gt_classes.tolist() == [1]


def test_filter_empty_instances():
    annos = [_annotation(), _annotation()]
    annos[1]["bbox"] = [4.0, 6.0, 0.0, 8.0]  # zero width
    annos = [utils.transform_instance_annotations(a, [T.NoOpTransform()], (24, 32)) for a in annos]
    for a in annos:
        a.pop("keypoints")
    inst = utils.annotations_to_instances(annos, (24, 32))
    kept, keep = utils.filter_empty_instances(inst, return_mask=True)
    assert keep.tolist() == [True, False] and len(kept) == 1


# -------------------------------------------------------- metadata & config


@pytest.fixture
def registered_datasets():
    names = ["_test_du_a", "_test_du_b"]
    records = [
        {"file_name": "x.jpg", "image_id": 1, "annotations": [{"category_id": 0}, {"category_id": 2}]},
        {"file_name": "y.jpg", "image_id": 2, "annotations": [{"category_id": 2}, {"category_id": 2}]},
    ]
    for name in names:
        DatasetCatalog.register(name, lambda: records)
        MetadataCatalog.get(name).set(
            thing_classes=["a", "b", "c"], keypoint_names=["left_eye", "right_eye", "nose"],
            keypoint_flip_map=[("left_eye", "right_eye")],
        )
    yield names
    for name in names:
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)


def test_keypoint_hflip_indices_and_metadata_consistency(registered_datasets):
    assert utils.create_keypoint_hflip_indices(registered_datasets) == FLIP_INDICES
    MetadataCatalog.get(registered_datasets[1]).thing_classes  # noqa: B018 (exists)
    utils.check_metadata_consistency("thing_classes", registered_datasets)
    MetadataCatalog.remove(registered_datasets[1])
    MetadataCatalog.get(registered_datasets[1]).set(thing_classes=["a", "b"])
    with pytest.raises(ValueError, match="thing_classes"):
        utils.check_metadata_consistency("thing_classes", registered_datasets)


def test_fed_loss_weights_count_images_per_class(registered_datasets):
    weights = utils.get_fed_loss_cls_weights(registered_datasets[0], freq_weight_power=0.5)
    np.testing.assert_allclose(weights.numpy(), [1.0, 0.0, np.sqrt(2.0)])
    MetadataCatalog.get(registered_datasets[1]).set(
        class_image_count=[{"id": 2, "image_count": 9}, {"id": 1, "image_count": 4}]
    )
    np.testing.assert_allclose(utils.get_fed_loss_cls_weights([registered_datasets[1]]).numpy(), [4.0, 9.0])


def test_build_augmentation_from_cfg():
    from detectra.config import get_cfg

    cfg = get_cfg()
    train = utils.build_augmentation(cfg, is_train=True)
    assert [type(a) for a in train] == [T.ResizeShortestEdge, T.RandomFlip]
    assert train[0].short_edge_length == (800,) and train[0].max_size == 1333 and not train[0].is_range
    test = utils.build_augmentation(cfg, is_train=False)
    assert len(test) == 1 and test[0].short_edge_length == (800, 800)
    cfg.INPUT.RANDOM_FLIP = "vertical"
    assert utils.build_augmentation(cfg, True)[1].vertical
    cfg.INPUT.RANDOM_FLIP = "none"
    assert len(utils.build_augmentation(cfg, True)) == 1


def test_gen_crop_transform_with_instance_contains_the_instance_centre():
    instance = {"bbox": [40.0, 10.0, 20.0, 10.0], "bbox_mode": BoxMode.XYWH_ABS}
    np.random.seed(0)
    for _ in range(20):
        crop = utils.gen_crop_transform_with_instance((16, 16), (60, 80), instance)
        assert crop.x0 <= 50 <= crop.x0 + 16 and crop.y0 <= 15 <= crop.y0 + 16
        assert crop.x0 + 16 <= 80 and crop.y0 + 16 <= 60
    with pytest.raises(ValueError, match="larger"):
        utils.gen_crop_transform_with_instance((100, 100), (60, 80), instance)


def test_transform_proposals():
    record = {
        "proposal_boxes": np.array([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 5.0, 9.0], [2.0, 2.0, 30.0, 20.0]]),
        "proposal_objectness_logits": np.array([0.9, 0.8, 0.7]),
        "proposal_bbox_mode": BoxMode.XYXY_ABS,
    }
    utils.transform_proposals(record, (20, 20), T.TransformList([T.ResizeTransform(20, 20, 20, 20)]), proposal_topk=5)
    props = record["proposals"]
    np.testing.assert_allclose(props.proposal_boxes.tensor.numpy(), [[0, 0, 10, 10], [2, 2, 20, 20]])
    np.testing.assert_allclose(props.objectness_logits.numpy(), [0.9, 0.7])
