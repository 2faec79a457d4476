"""Malformed COCO jsons, generated here: the loader refuses each with one message naming the file, the entry and the
fix (never a KeyError / TypeError from inside pycocotools, never a silent loss), and validate-data reports the
same case instead of crashing."""
import json
import logging

import numpy as np
import pytest
from PIL import Image

from detectra.data import DatasetMapper
from detectra.data import transforms as T
from detectra.data.datasets import load_coco_json
from detectra.data.validate import validate_dataset

NAN = float("nan")


def _base():
    return {
        "images": [{"id": 1, "file_name": "1.png", "width": 64, "height": 48},
                   {"id": 2, "file_name": "2.png", "width": 64, "height": 48}],
        "annotations": [{"id": 1, "image_id": 1, "bbox": [1, 2, 10, 12], "category_id": 1, "iscrowd": 0,
                         "segmentation": [[1, 2, 11, 2, 11, 14, 1, 14]]}],
        "categories": [{"id": 1, "name": "thing"}],
    }  # fmt: skip


def _write(tmp_path, data):
    (tmp_path / "img").mkdir(exist_ok=True)
    for i in (1, 2):
        Image.fromarray(np.full((48, 64, 3), 90 * i, np.uint8)).save(tmp_path / "img" / f"{i}.png")
    path = tmp_path / "train.json"
    path.write_text(json.dumps(data))
    return path


def _edit(change):
    """A json (from `_base`) where ``change(data)`` broke something."""
    data = _base()
    change(data)
    return data


STRUCTURE = [
    (lambda d: d["images"].append("3.png"), "images[2] is '3.png', not a dict"),
    (lambda d: d["annotations"].append(None), "annotations[1] is 'None', not a dict"),
    (lambda d: d["categories"].append("dog"), "categories[1] is dog; every category needs an 'id' and a 'name'"),
    (lambda d: d["categories"].append({"id": 1, "name": "dog"}), "category id 1 is used twice (the second is 'dog')"),
    (lambda d: d["categories"][0].pop("name"), "categories[0] is {'id': 1}; every category needs an 'id' and a 'name'"),
    (lambda d: d["annotations"][0].pop("id"), "annotations[0] (id <none>, image id 1) lacks ['id']"),
    (lambda d: d["annotations"][0].pop("image_id"), "annotations[0] (id 1, image id <none>) lacks ['image_id']"),
    (lambda d: d["annotations"][0].pop("category_id"), "annotations[0] (id 1, image id 1) lacks ['category_id']"),
    (lambda d: d["images"][0].update(id=[1]), "image '1.png' has id [1]; ids are integers"),
    (lambda d: d["images"][1].update(id="2"), "image ids mix int (1) and str ('2')"),
    (lambda d: d["images"][0].update(file_name=5), "image id 1 has file_name 5; it must be a path"),
    (lambda d: d["images"][0].update(width="64"), "image id 1 ('1.png') has width '64'; it must be the image's size"),
    (lambda d: d["images"][0].update(height=0), "image id 1 ('1.png') has height 0"),
]


@pytest.mark.parametrize("change, expected", STRUCTURE, ids=[
    "image_not_dict", "annotation_not_dict", "category_not_dict", "duplicate_category_id", "category_without_name",
    "annotation_without_id", "annotation_without_image_id", "annotation_without_category_id", "image_id_list",
    "image_ids_mixed_types", "file_name_not_str", "width_str", "height_zero"])  # fmt: skip
def test_entries_the_loader_cannot_index_are_named(tmp_path, change, expected):
    path = _write(tmp_path, _edit(change))
    with pytest.raises(ValueError) as e:
        load_coco_json(path, tmp_path / "img", "malformed_structure")
    assert str(e.value).startswith(f"'{path}': ") and expected in str(e.value), str(e.value)
    problems = validate_dataset(str(path), image_root=str(tmp_path / "img"))
    assert [p.kind for p in problems] == ["malformed_json"] and expected in problems[0].message


FIELDS = [
    ({"iscrowd": "0"}, "iscrowd '0' is not 0 or 1", "bad_iscrowd"),
    ({"iscrowd": None}, "iscrowd None is not 0 or 1", "bad_iscrowd"),
    ({"segmentation": "abc"}, "segmentation 'abc' is neither a list of polygons nor an RLE dict", "bad_segmentation"),
    ({"segmentation": [1, 2, 11, 2, 11, 14]}, "segmentation is one flat list of numbers", "bad_segmentation"),
    ({"segmentation": [[[1, 2], [11, 2], [11, 14]]]}, "polygon 0 has nested lists", "bad_segmentation"),
    ({"segmentation": [["1", "2", "11", "2", "11", "14"]]}, "polygon 0 has values that are not numbers",
     "bad_segmentation"),
    ({"segmentation": [[1, 2, 11, 2, 11, 14], [1, 2, NAN, 2, 11, 14]]}, "polygon 1 has NaN or infinite coordinates",
     "bad_segmentation"),
    ({"segmentation": [[1, 2, 11, 2, 11, 14], [1, 2, 1e8, 2, 11, 14]]},
     "polygon 1 has coordinate 1e+08, far outside the 64x48 (WxH) image (the bound is +-10000 px)", "bad_segmentation"),
    ({"segmentation": [{"size": [48, 64], "counts": [3072]}]}, "polygon 0 is a dict, not a flat list",
     "bad_segmentation"),
    ({"keypoints": [1, 2, 2, 3]}, "keypoints has 4 values; needs (x, y, v) triplets", "bad_keypoints"),
    ({"keypoints": [1, 2, 2, 3, 4, 5]}, "keypoint visibility 5 is not 0 (not labeled), 1", "bad_keypoints"),
    ({"keypoints": "1 2 2"}, "keypoints 1 2 2 are not a list of numbers", "bad_keypoints"),
]  # fmt: skip


@pytest.mark.parametrize("fields, expected, kind", FIELDS, ids=[
    "iscrowd_str", "iscrowd_none", "segmentation_str", "segmentation_flat", "polygon_nested", "polygon_strings",
    "polygon_nan", "polygon_huge", "list_of_rle", "keypoints_length", "keypoints_visibility", "keypoints_str"])  # fmt: skip
def test_unreadable_annotation_fields_name_file_image_annotation(tmp_path, fields, expected, kind):
    data = _base()
    data["annotations"].append({**data["annotations"][0], "id": 7, **fields})
    path = _write(tmp_path, data)
    with pytest.raises(ValueError) as e:
        load_coco_json(path, tmp_path / "img")
    msg = str(e.value)
    assert msg.startswith(f"'{path}', image id 1, annotation id 7: {expected}"), msg
    problems = validate_dataset(str(path), image_root=str(tmp_path / "img"))
    assert [(p.kind, p.image_id, p.annotation) for p in problems] == [(kind, 1, 7)]
    assert expected in problems[0].message


def test_nan_polygon_cannot_reach_the_rasterizer(tmp_path):
    """A NaN coordinate made pycocotools' polygon rasterizer allocate until the machine ran out of memory."""
    data = _base()
    data["annotations"][0]["segmentation"][0][4] = NAN
    with pytest.raises(ValueError, match="polygon 0 has NaN or infinite coordinates"):
        load_coco_json(_write(tmp_path, data), tmp_path / "img")


def test_huge_polygon_is_refused_before_rasterizing_and_one_slightly_outside_is_kept(tmp_path):
    """1e8 coordinates made pycocotools' rasterizer allocate memory in proportion to them (OOM-killed)."""
    data = _base()
    data["annotations"][0]["segmentation"][0][2] = -1e8
    with pytest.raises(ValueError) as e:
        load_coco_json(_write(tmp_path, data), tmp_path / "img")
    assert "annotation id 1: polygon 0 has coordinate -1e+08" in str(e.value)
    assert "pixels of this image" in str(e.value) and "fix it or remove the field" in str(e.value)

    data = _base()  # COCO polygons often cross the border by a few pixels: kept as they are
    data["annotations"][0]["segmentation"] = [[-3.5, -2, 70, -2, 70, 52, -3.5, 52]]
    (record, _) = load_coco_json(_write(tmp_path, data), tmp_path / "img")
    assert record["annotations"][0]["segmentation"] == data["annotations"][0]["segmentation"]
    assert validate_dataset(str(tmp_path / "train.json"), image_root=str(tmp_path / "img")) == []


def test_annotations_of_unknown_images_are_named_or_refused(tmp_path, caplog):
    data = _base()
    data["annotations"].append({**data["annotations"][0], "id": 7, "image_id": 99})
    path = _write(tmp_path, data)
    with caplog.at_level(logging.WARNING, logger="detectra.data.datasets.coco"):
        dicts = load_coco_json(path, tmp_path / "img")
    assert [len(d["annotations"]) for d in dicts] == [1, 0]
    assert f"'{path}': 1 annotation(s) refer to image ids that are not in 'images'" in caplog.text
    assert "annotation 7 -> image_id 99" in caplog.text

    data = _base()
    data["annotations"][0]["image_id"] = "1"  # every annotation lost: an error, not a warning
    path = _write(tmp_path, data)
    with pytest.raises(ValueError) as e:
        load_coco_json(path, tmp_path / "img")
    assert "none of its 1 annotations belongs to one of its images (annotation 1 -> image_id '1'" in str(e.value)
    assert 'same type: 1 is not "1"' in str(e.value)


def test_unknown_category_messages(tmp_path):
    data = _base()
    data["annotations"][0]["category_id"] = "1"
    with pytest.raises(KeyError) as e:
        load_coco_json(_write(tmp_path, data), tmp_path / "img", "malformed_str_category")
    assert "category_id='1' does not exist in the 'categories' of the json (known ids: [1])" in e.value.args[0]
    data = _base()
    del data["categories"]
    with pytest.raises(KeyError) as e:
        load_coco_json(_write(tmp_path, data), tmp_path / "img", "malformed_no_categories")
    assert "category_id=1 does not exist in the 'categories' of the json (it has none)" in e.value.args[0]


def test_image_size_missing_from_the_json_is_read_from_the_file(tmp_path):
    data = _base()
    del data["images"][0]["width"], data["images"][0]["height"]
    dicts = load_coco_json(_write(tmp_path, data), tmp_path / "img")
    assert "width" not in dicts[0] and "height" not in dicts[0]
    out = DatasetMapper(True, augmentations=[], image_format="BGR")(dicts[0])
    assert (out["width"], out["height"]) == (64, 48) and out["instances"].gt_boxes.tensor.tolist() == [[1, 2, 11, 14]]


def test_mask_mapper_names_the_annotation_without_a_mask(tmp_path):
    data = _base()
    data["annotations"].append({**data["annotations"][0], "id": 7, "segmentation": []})  # empty: no mask at all
    dicts = load_coco_json(_write(tmp_path, data), tmp_path / "img")
    mapper = DatasetMapper(True, augmentations=[T.NoOpTransform()], image_format="BGR", use_instance_mask=True)
    with pytest.raises(ValueError) as e:
        mapper(dicts[0])
    msg = str(e.value)
    assert f"Image '{tmp_path / 'img' / '1.png'}' (image_id 1): its annotation #1 has no 'segmentation'" in msg
    assert "Give every non-crowd annotation a segmentation" in msg


def test_byte_order_mark_is_read_and_binary_json_is_reported(tmp_path):
    path = _write(tmp_path, _base())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as some Windows tools save UTF-8
    assert [len(d["annotations"]) for d in load_coco_json(path, tmp_path / "img")] == [1, 0]
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xd8")  # an image given as the json
    with pytest.raises(ValueError, match=r"\(10 bytes\) is not valid json .*Expected the COCO json"):
        load_coco_json(path, tmp_path / "img")
    assert [p.kind for p in validate_dataset(str(path), image_root=str(tmp_path / "img"))] == ["unreadable_json"]


def test_keypoint_count_must_match_the_category(tmp_path):
    data = _base()
    data["categories"][0]["keypoints"] = ["left_eye", "right_eye"]
    data["annotations"].append({**data["annotations"][0], "id": 7, "keypoints": [1, 2, 2, 3, 4, 2, 5, 6, 2]})
    with pytest.raises(ValueError) as e:
        load_coco_json(_write(tmp_path, data), tmp_path / "img")
    assert "image id 1, annotation id 7: 3 keypoints, but its category 1 names 2" in str(e.value)


def test_rle_with_polygon_mask_format_names_the_image(tmp_path):
    data = _base()
    data["annotations"][0]["segmentation"] = {"size": [48, 64], "counts": [200, 100, 2772]}
    dicts = load_coco_json(_write(tmp_path, data), tmp_path / "img")
    mapper = DatasetMapper(True, augmentations=[], image_format="BGR", use_instance_mask=True)
    with pytest.raises(ValueError, match=r"Image '.*1\.png' \(image_id 1\): annotation #0 has an RLE or bitmask "
                                         r"segmentation, .* Set INPUT.MASK_FORMAT bitmask"):  # fmt: skip
        mapper(dicts[0])
    bitmask = DatasetMapper(True, augmentations=[], image_format="BGR", use_instance_mask=True,
                            instance_mask_format="bitmask")  # fmt: skip
    assert bitmask(dicts[0])["instances"].gt_masks.tensor.sum().item() == 100
