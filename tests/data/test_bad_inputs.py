"""Bad files give errors (or validation problems) that name the file, the image / annotation id, and the fix."""
import json

import numpy as np
import pytest
from PIL import Image

from detectra.data.datasets import load_coco_json
from detectra.data.validate import validate_dataset


def _write_dataset(tmp_path, annotations, images=None, categories=None):
    (tmp_path / "img").mkdir(exist_ok=True)
    for i, size in ((1, (64, 48)), (2, (40, 40))):
        Image.fromarray(np.full((size[1], size[0], 3), 100, np.uint8)).save(tmp_path / "img" / f"{i}.jpg")
    data = {
        "images": images or [{"id": 1, "file_name": "1.jpg", "width": 64, "height": 48},
                             {"id": 2, "file_name": "2.jpg", "width": 40, "height": 40}],
        "annotations": annotations,
        "categories": categories or [{"id": 1, "name": "a"}, {"id": 3, "name": "b"}],
    }
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(data))
    return path


def _ann(i, image_id=1, bbox=(1, 2, 10, 12), cat=1, **kw):
    return {"id": i, "image_id": image_id, "bbox": list(bbox), "category_id": cat, "iscrowd": 0, "area": 10, **kw}


def test_not_coco_json(tmp_path):
    path = tmp_path / "via.json"
    path.write_text(json.dumps({"a.jpg123": {"filename": "a.jpg", "regions": []}}))
    with pytest.raises(ValueError, match="is not in the COCO format") as e:
        load_coco_json(path, tmp_path)
    assert str(path) in str(e.value) and "DatasetCatalog.register" in str(e.value)
    problems = validate_dataset(str(path))
    assert [p.kind for p in problems] == ["not_coco"]


def test_negative_width_names_file_image_and_annotation(tmp_path):
    path = _write_dataset(tmp_path, [_ann(7), _ann(8, image_id=2, bbox=(5, 5, -4, 10))])
    with pytest.raises(ValueError) as e:
        load_coco_json(path, tmp_path / "img")
    msg = str(e.value)
    assert str(path) in msg and "image id 2" in msg and "annotation id 8" in msg and "negative width" in msg
    assert "x2 - x1" in msg  # says what to do


def test_unknown_category_names_file_and_ids(tmp_path):
    path = _write_dataset(tmp_path, [_ann(7), _ann(9, cat=2)])
    with pytest.raises(KeyError) as e:
        load_coco_json(path, tmp_path / "img", "bad_cat_t")
    msg = str(e.value)
    assert str(path) in msg and "image id 1" in msg and "annotation id 9" in msg and "category_id=2" in msg
    from detectra.data import MetadataCatalog

    MetadataCatalog.remove("bad_cat_t")


def test_invalid_polygons_are_skipped_with_a_warning(tmp_path, caplog):
    path = _write_dataset(tmp_path, [_ann(1, segmentation=[[1, 2, 3, 4]]), _ann(2, segmentation=[[1, 1, 9, 1, 9, 9]])])
    dicts = load_coco_json(path, tmp_path / "img")
    assert [len(d["annotations"]) for d in dicts] == [1, 0]
    assert "Filtered out 1 instances" in caplog.text


def test_validate_reports_every_problem_per_file_and_record(tmp_path):
    anns = [
        _ann(1),  # fine
        _ann(2, bbox=(50, 40, 30, 20)),  # outside the 64x48 image
        _ann(3, bbox=(1, 1, 0, 5)),  # zero width
        _ann(4, cat=5),  # unknown category
        _ann(5, segmentation=[[1, 2, 3]]),  # malformed polygon
        _ann(6, image_id=2),
    ]
    images = [{"id": 1, "file_name": "1.jpg", "width": 64, "height": 48},
              {"id": 2, "file_name": "2.jpg", "width": 50, "height": 40},  # the file is 40x40
              {"id": 3, "file_name": "missing.jpg", "width": 10, "height": 10},
              {"id": 4, "file_name": "broken.jpg", "width": 64, "height": 48}]
    path = _write_dataset(tmp_path, anns, images=images)
    full = (tmp_path / "img" / "1.jpg").read_bytes()
    (tmp_path / "img" / "broken.jpg").write_bytes(full[: len(full) // 2])  # truncated
    problems = validate_dataset(str(path), image_root=str(tmp_path / "img"))
    found = {(p.kind, p.image_id, p.annotation) for p in problems}
    assert found == {
        ("box_outside_image", 1, 2),
        ("empty_box", 1, 3),
        ("unknown_category", 1, 4),
        ("bad_polygon", 1, 5),
        ("size_mismatch", 2, None),
        ("missing_image", 3, None),
        ("unreadable_image", 4, None),
    }
    report = str(problems)
    assert report.startswith("7 problem(s) in 1 file(s)") and str(path) in report
    assert "image 1 '1.jpg', annotation 4" in report and "missing.jpg" in report


def test_validate_registered_and_clean_dataset(shared_dir):
    root = shared_dir / "datasets" / "raccoon"
    problems = validate_dataset(str(root / "annotations" / "instances_val.json"), image_root=str(root / "images"))
    assert problems == [] and str(problems) == "No problems found."
    dicts = [{"file_name": str(root / "images" / "nope.jpg"), "image_id": 5, "height": 10, "width": 10,
              "annotations": [{"bbox": [0, 0, 5, 5], "bbox_mode": 1, "category_id": 0}]}]
    assert [p.kind for p in validate_dataset(dicts)] == ["missing_image"]
