"""Malformed annotations: the loader refuses them with a message naming the file, image and annotation; boxes
training repairs or drops are counted per dataset (or refused in strict mode); validate-data tags every kind."""
import json
import logging

import numpy as np
import pytest
from PIL import Image

from detectra.cli import main
from detectra.data import DatasetCatalog, MetadataCatalog, get_detection_dataset_dicts
from detectra.data.datasets import load_coco_json, register_coco_instances
from detectra.data.validate import validate_dataset


def _write(tmp_path, annotations, images=None, drop_annotations_key=False):
    (tmp_path / "img").mkdir(exist_ok=True)
    for i in (1, 2):
        Image.fromarray(np.full((48, 64, 3), 90 * i, np.uint8)).save(tmp_path / "img" / f"{i}.png")
    data = {"images": images or [{"id": 1, "file_name": "1.png", "width": 64, "height": 48},
                                 {"id": 2, "file_name": "2.png", "width": 64, "height": 48}],
            "annotations": annotations, "categories": [{"id": 1, "name": "thing"}]}  # fmt: skip
    if drop_annotations_key:
        del data["annotations"]
    path = tmp_path / "train.json"
    path.write_text(json.dumps(data))
    return path


def _ann(i, image_id=1, bbox=(1, 2, 10, 12), **kw):
    return {"id": i, "image_id": image_id, "bbox": list(bbox) if isinstance(bbox, tuple) else bbox,
            "category_id": 1, "iscrowd": 0, "area": 10, **kw}  # fmt: skip


def _rle(counts, size=(48, 64)):
    return {"size": list(size), "counts": counts}


@pytest.fixture
def registered():
    names = []
    yield names
    for n in names:
        DatasetCatalog.remove(n)
        MetadataCatalog.remove(n)


def test_duplicate_image_ids_are_refused_and_reported(tmp_path):
    images = [{"id": 1, "file_name": "1.png", "width": 64, "height": 48},
              {"id": 1, "file_name": "2.png", "width": 64, "height": 48}]  # fmt: skip
    path = _write(tmp_path, [_ann(1), _ann(2)], images=images)
    with pytest.raises(ValueError) as e:
        load_coco_json(path, tmp_path / "img")
    msg = str(e.value)
    assert str(path) in msg and "image id 1 " in msg and "'1.png'" in msg and "'2.png'" in msg and "unique" in msg
    problems = validate_dataset(str(path), image_root=str(tmp_path / "img"))
    assert [(p.kind, p.image_id) for p in problems] == [("duplicate_image_id", 1)]
    dicts = [{"file_name": str(tmp_path / "img" / f"{i}.png"), "image_id": 5, "height": 48, "width": 64}
             for i in (1, 2)]  # fmt: skip
    assert [p.kind for p in validate_dataset(dicts)] == ["duplicate_image_id"]


@pytest.mark.parametrize(
    "ann, expected",
    [
        (_ann(7, bbox=["1", "2", "10", "12"]), "bbox ['1', '2', '10', '12'] is not 4 numbers"),
        ({k: v for k, v in _ann(7).items() if k != "bbox"}, "no 'bbox'"),
        (_ann(7, segmentation={"size": [48, 64]}), "RLE segmentation needs 'size' [height, width] and 'counts'"),
        (_ann(7, segmentation=_rle("!!garbage")), "is not a COCO compressed RLE string"),
        (_ann(7, segmentation=_rle([5, 10])), "RLE 'counts' cover 15 pixels but 'size' [48, 64] has 3072"),
        (_ann(7, segmentation=_rle([100, 2300], size=(40, 60))), "differs from the image's [height, width] [48, 64]"),
    ],
    ids=["bbox_strings", "missing_bbox", "rle_without_counts", "garbage_rle", "rle_counts_wrong_sum",
         "rle_of_wrong_size"],
)  # fmt: skip
def test_malformed_annotations_name_file_image_annotation(tmp_path, ann, expected):
    path = _write(tmp_path, [_ann(1), ann])
    with pytest.raises(ValueError) as e:
        load_coco_json(path, tmp_path / "img")
    msg = str(e.value)
    assert str(path) in msg and "image id 1, annotation id 7" in msg and expected in msg, msg
    kinds = {(p.kind, p.image_id, p.annotation) for p in validate_dataset(str(path), image_root=str(tmp_path / "img"))}
    assert len(kinds) == 1 and next(iter(kinds))[1:] == (1, 7)


# (bbox XYWH in a 64x48 image, what training does, validate-data's tag)
REPAIRED = [
    ((float("nan"), 2, 10, 10), "nonfinite_box"),
    ((1, 2, float("inf"), 10), "nonfinite_box"),
    ((5, 5, 0, 10), "empty_box"),
    ((70, 5, 10, 10), "box_entirely_outside"),
    ((58, 40, 20, 20), "box_outside_image"),
]


def _repair_dataset(tmp_path, registered):
    anns = [_ann(1)] + [_ann(10 + k, image_id=1 + k % 2, bbox=b) for k, (b, _) in enumerate(REPAIRED)]
    path = _write(tmp_path, anns)
    register_coco_instances("integrity_repairs", {}, str(path), str(tmp_path / "img"))
    registered.append("integrity_repairs")
    return path


def test_repairs_are_counted_in_one_line_or_refused_in_strict_mode(tmp_path, registered, caplog):
    path = _repair_dataset(tmp_path, registered)
    with caplog.at_level(logging.WARNING, logger="detectra.data.annotation_checks"):
        dicts = get_detection_dataset_dicts(["integrity_repairs"])
    (line,) = [r.getMessage() for r in caplog.records if r.name == "detectra.data.annotation_checks"]
    assert f"'integrity_repairs' ({path})" in line and "5 box(es) repaired or dropped" in line
    assert "2 nonfinite_box dropped (image 1 annotation #1, image 2 annotation #0)" in line
    assert "1 box_outside_image clipped to the image (image 1 annotation #3)" in line
    assert "1 box_entirely_outside dropped" in line and "1 empty_box dropped" in line
    # non-finite boxes are gone before the mapper (clipping would make an infinite box cover the image)
    boxes = [a["bbox"] for d in dicts for a in d["annotations"]]
    assert len(boxes) == 4 and all(np.isfinite(b).all() for b in boxes)

    with pytest.raises(ValueError) as e:
        get_detection_dataset_dicts(["integrity_repairs"], strict=True)
    msg = str(e.value)
    assert str(path) in msg and "image 1 annotation #1" in msg and "STRICT_ANNOTATIONS" in msg

    problems = validate_dataset(str(path), image_root=str(tmp_path / "img"))
    assert sorted(p.kind for p in problems) == sorted(kind for _, kind in REPAIRED)
    assert {(p.image_id, p.annotation) for p in problems} == {(1 + k % 2, 10 + k) for k in range(len(REPAIRED))}


@pytest.mark.parametrize("drop_key", [True, False], ids=["no_annotations_key", "empty_list"])
def test_json_without_annotations_says_why(tmp_path, registered, drop_key):
    path = _write(tmp_path, [], drop_annotations_key=drop_key)
    register_coco_instances("integrity_empty", {}, str(path), str(tmp_path / "img"))
    registered.append("integrity_empty")
    with pytest.raises(ValueError) as e:
        get_detection_dataset_dicts(["integrity_empty"])
    msg = str(e.value)
    assert str(path) in msg and "none of its 2 images has an annotation" in msg and "'annotations' list" in msg
    problems = validate_dataset(str(path), image_root=str(tmp_path / "img"))
    assert [p.kind for p in problems] == ["no_annotations"]


def test_mask_on_without_masks_names_the_annotation(tmp_path, registered):
    from detectra.config import get_cfg
    from detectra.data import build_detection_train_loader

    path = _write(tmp_path, [_ann(1, segmentation=[[1, 2, 10, 2, 10, 12]]), _ann(2, image_id=2)])
    register_coco_instances("integrity_masks", {}, str(path), str(tmp_path / "img"))
    registered.append("integrity_masks")
    cfg = get_cfg()
    cfg.DATASETS.TRAIN = ("integrity_masks",)
    cfg.MODEL.MASK_ON = True
    with pytest.raises(ValueError) as e:
        build_detection_train_loader(cfg)
    msg = str(e.value)
    assert "image 2 annotation #0" in msg and "2.png" in msg and "integrity_masks" in msg and "MASK_ON False" in msg
    problems = validate_dataset(str(path), image_root=str(tmp_path / "img"), require_masks=True)
    assert [(p.kind, p.image_id, p.annotation) for p in problems] == [("missing_mask", 2, 2)]
    assert validate_dataset(str(path), image_root=str(tmp_path / "img")) == []


def test_validate_data_with_a_mask_config_reports_missing_masks(tmp_path, capsys):
    path = _write(tmp_path, [_ann(1, segmentation=[[1, 2, 10, 2, 10, 12]]), _ann(2, image_id=2)])
    argv = ["validate-data", "--config-file", "shapes/mask_rcnn_R_18_FPN_shapes", "--train-json", str(path),
            "--train-images", str(tmp_path / "img")]  # fmt: skip
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "[missing_mask] image 2, annotation 2:" in out and str(path) in out


def test_validate_data_command_tags_every_kind(tmp_path, capsys):
    anns = [_ann(1), _ann(2, bbox="oops"), {k: v for k, v in _ann(3).items() if k != "bbox"},
            _ann(4, segmentation=_rle("zz")), _ann(5, bbox=(5, 5, 0, 3))]  # fmt: skip
    path = _write(tmp_path, anns)
    assert main(["validate-data", "--json", str(path), "--images", str(tmp_path / "img")]) == 1
    out = capsys.readouterr().out
    for tag, ref in (("bad_box", 2), ("missing_box", 3), ("bad_rle", 4), ("empty_box", 5)):
        assert f"[{tag}] image 1 '1.png', annotation {ref}:" in out, out
    assert str(path) in out


def test_invalid_polygons_are_counted_by_validate_data_and_refused_in_strict_mode(tmp_path, registered, capsys):
    anns = [
        _ann(1, segmentation=[[1, 2, 11, 2, 11, 14, 1, 14]]),  # fine
        _ann(2, segmentation=[[1, 2, 11, 2]]),  # 2 points
        _ann(3, segmentation=[[1, 2, 11, 2, 11]]),  # odd count
        _ann(4, image_id=2, segmentation=[[1, 1, 5, 5, 9, 9]]),  # collinear: zero area
        _ann(5, image_id=2, segmentation=[[1, 2, 11, 2, 11, 14], [3, 3]]),  # one good, one short polygon
    ]
    path = _write(tmp_path, anns)
    problems = validate_dataset(str(path), image_root=str(tmp_path / "img"))
    assert sorted((p.kind, p.image_id, p.annotation) for p in problems) == [
        ("bad_polygon", 1, 2), ("bad_polygon", 1, 3), ("bad_polygon", 2, 4), ("bad_polygon", 2, 5)]
    assert "zero area" in str(problems) and "needs an even number >= 6 (3 points)" in str(problems)
    assert main(["validate-data", "--json", str(path), "--images", str(tmp_path / "img")]) == 1
    out = capsys.readouterr().out
    assert f"{path}: 4 problem(s) in 1 file(s) (4 bad_polygon):" in out

    register_coco_instances("integrity_polygons", {}, str(path), str(tmp_path / "img"))
    registered.append("integrity_polygons")
    dicts = get_detection_dataset_dicts(["integrity_polygons"])  # the loader drops annotations 2 and 3 only
    assert [len(d["annotations"]) for d in dicts] == [1, 2]
    assert [len(a["segmentation"]) for a in dicts[1]["annotations"]] == [1, 1]  # 5's short polygon is dropped
    with pytest.raises(ValueError) as e:
        get_detection_dataset_dicts(["integrity_polygons"], strict=True)
    msg = str(e.value)
    assert str(path) in msg and "4 polygon(s) that give no mask" in msg
    assert "image 1 annotation 2: polygon 0 has 4 coordinates" in msg and "without --strict" in msg
