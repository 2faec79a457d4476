"""Call forms found in Detectron2 users' scripts (tutorials, older releases) that Detectron2 0.6 still accepts."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from detectra.config import get_cfg
from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.structures import Boxes, Instances


@pytest.fixture
def boxes_dataset(tmp_path: Path):
    """A registered 2-image COCO json with boxes only (category id 5, 'thing'); removed after the test."""
    images = [{"id": i, "width": 100, "height": 80, "file_name": f"{i}.jpg"} for i in (1, 2)]
    boxes = {1: [10, 10, 30, 20], 2: [40, 20, 50, 40]}
    anns = [
        {"id": i, "image_id": i, "category_id": 5, "bbox": b, "area": b[2] * b[3], "iscrowd": 0}
        for i, b in boxes.items()
    ]
    json_file = tmp_path / "gt.json"
    json_file.write_text(
        json.dumps({"images": images, "annotations": anns, "categories": [{"id": 5, "name": "thing"}]})
    )
    name = "_compat_call_forms"
    DatasetCatalog.register(name, lambda: [])
    MetadataCatalog.get(name).set(
        json_file=str(json_file), thing_classes=["thing"], thing_dataset_id_to_contiguous_id={5: 0}
    )
    yield name, boxes
    DatasetCatalog.remove(name)
    MetadataCatalog.remove(name)


def test_coco_evaluator_takes_a_config_as_its_second_argument(boxes_dataset, tmp_path, caplog):
    # Detectron2 < 0.3 form, still in many trainers' build_evaluator: COCOEvaluator(name, cfg, True, output_dir).
    from detectra.evaluation import COCOEvaluator

    name, boxes = boxes_dataset
    cfg = get_cfg()
    cfg.TEST.KEYPOINT_OKS_SIGMAS = [0.5] * 17
    with caplog.at_level(logging.WARNING):
        evaluator = COCOEvaluator(name, cfg, False, str(tmp_path / "eval"))
    assert "deprecated" in caplog.text
    assert evaluator._tasks is None  # inferred from the predictions, as Detectron2 does
    assert list(evaluator._kpt_oks_sigmas) == [0.5] * 17
    evaluator.reset()
    for image_id, (x, y, w, h) in boxes.items():
        inst = Instances((80, 100), pred_boxes=Boxes(torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32)))
        inst.scores = torch.tensor([0.9])
        inst.pred_classes = torch.tensor([0])
        evaluator.process([{"image_id": image_id}], [{"instances": inst}])
    results = evaluator.evaluate()
    assert list(results) == ["bbox"] and results["bbox"]["AP"] == pytest.approx(100.0)


def test_registering_a_dataset_twice_raises_what_detectron2_users_catch():
    # Notebooks make a registration cell rerunnable with `except AssertionError`, Detectron2's error type here.
    DatasetCatalog.register("_compat_twice", lambda: [])
    try:
        with pytest.raises(AssertionError, match="already registered"):
            DatasetCatalog.register("_compat_twice", lambda: [{"file_name": "x.jpg"}])
        with pytest.raises(KeyError):  # detectra's own type, kept
            DatasetCatalog.register("_compat_twice", lambda: [])
        assert DatasetCatalog.get("_compat_twice") == []  # the first registration stays
    finally:
        DatasetCatalog.remove("_compat_twice")


def test_weights_names_renamed_by_sed_are_detectron2s(tmp_path, monkeypatch):
    # `sed s/detectron2/detectra/g` turns `detectron2://X` and Detectron2's model-zoo URLs into names nothing is
    # published under; they must still find Detectron2's files (here: already in the download cache, no network).
    from detectra.checkpoint.catalog import get_local_path, resolve_url
    from detectra.utils.file_io import PathManager

    monkeypatch.setenv("DETECTRA_CACHE", str(tmp_path))
    rel = "ImageNetPretrained/MSRA/R-50.pkl"
    url = "https://dl.fbaipublicfiles.com/detectron2/" + rel
    cached = tmp_path / "detectron2" / "ImageNetPretrained" / "MSRA" / "R-50.pkl"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"weights")
    for renamed in ("detectra://" + rel, "https://dl.fbaipublicfiles.com/detectra/" + rel):
        assert resolve_url(renamed) == url
        assert get_local_path(renamed) == str(cached)
        assert PathManager.get_local_path(renamed) == str(cached)
        with PathManager.open(renamed, "rb") as f:
            assert f.read() == b"weights"
    assert resolve_url("https://example.com/detectra/x.pth") == "https://example.com/detectra/x.pth"
