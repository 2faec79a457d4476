"""SemSeg, Pascal VOC, LVIS, panoptic and Cityscapes evaluators on hand-computed cases."""

from __future__ import annotations

import itertools
import json
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.evaluation import (
    CityscapesSemSegEvaluator,
    COCOPanopticEvaluator,
    LVISEvaluator,
    PascalVOCDetectionEvaluator,
    SemSegEvaluator,
)
from detectra.evaluation.panoptic_quality import id2rgb
from detectra.structures import Boxes, Instances

_names = itertools.count()


@pytest.fixture
def dataset():
    """Register (dicts, metadata) under a fresh name; removed afterwards."""
    created = []

    def _make(dicts, **meta):
        name = f"_test_other_eval_{next(_names)}"
        DatasetCatalog.register(name, lambda: dicts)
        MetadataCatalog.get(name).set(**meta)
        created.append(name)
        return name

    yield _make
    for name in created:
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)


def _logits(pred: np.ndarray, num_classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.from_numpy(pred), num_classes).permute(2, 0, 1).float()


def test_sem_seg_hand_computed_confusion(tmp_path, dataset):
    # 2 classes on a 4x4 image; last row is ignored (255).
    gt = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [255, 255, 255, 255]], dtype=np.uint8)
    pred = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1]])
    Image.fromarray(gt).save(tmp_path / "gt.png")
    name = dataset(
        [{"file_name": "img.jpg", "sem_seg_file_name": str(tmp_path / "gt.png")}],
        stuff_classes=["a", "b"],
        ignore_label=255,
    )
    ev = SemSegEvaluator(name, distributed=False, output_dir=str(tmp_path))
    ev.reset()
    ev.process([{"file_name": "img.jpg"}], [{"sem_seg": _logits(pred, 2)}])
    res = ev.evaluate()["sem_seg"]
    # class a: gt 7 px, predicted a on 5 of them, no false a -> IoU 5/7, ACC 5/7
    # class b: gt 5 px, all predicted b, plus 2 false b -> IoU 5/7, ACC 1
    assert res["IoU-a"] == pytest.approx(100 * 5 / 7)
    assert res["IoU-b"] == pytest.approx(100 * 5 / 7)
    assert res["mIoU"] == pytest.approx(100 * 5 / 7)
    assert res["fwIoU"] == pytest.approx(100 * (7 / 12 * 5 / 7 + 5 / 12 * 5 / 7))
    assert res["ACC-a"] == pytest.approx(100 * 5 / 7) and res["ACC-b"] == pytest.approx(100.0)
    assert res["mACC"] == pytest.approx(100 * (5 / 7 + 1) / 2)
    assert res["pACC"] == pytest.approx(100 * 10 / 12)
    records = json.loads((tmp_path / "sem_seg_predictions.json").read_text())
    assert sorted(r["category_id"] for r in records) == [0, 1]


def _voc_xml(objects):
    objs = "".join(
        f"<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
        f"<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for n, d, b in objects
    )
    return f"<annotation><size><width>100</width><height>100</height></size>{objs}</annotation>"


@pytest.mark.parametrize("year,expected", [(2007, (6 + 5 * 2 / 3) / 11 * 100), (2012, (0.5 + 0.5 * 2 / 3) * 100)])
def test_pascal_voc_hand_computed(tmp_path, dataset, year, expected):
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "ImageSets/Main").mkdir(parents=True)
    (tmp_path / "ImageSets/Main/test.txt").write_text("img1\nimg2\n")
    # VOC boxes are 1-based inclusive; a prediction [x0, y0, x1, y1] maps to [x0 + 1, y0 + 1, x1, y1].
    (tmp_path / "Annotations/img1.xml").write_text(_voc_xml([("dog", 0, (11, 11, 40, 40))]))
    (tmp_path / "Annotations/img2.xml").write_text(
        _voc_xml([("dog", 0, (51, 51, 90, 90)), ("dog", 1, (1, 61, 20, 80)), ("cat", 0, (1, 1, 30, 30))])
    )
    name = dataset([], dirname=str(tmp_path), split="test", year=year, thing_classes=["cat", "dog"])
    ev = PascalVOCDetectionEvaluator(name)
    ev.reset()

    def inst(boxes, scores, classes):
        return {"instances": Instances((100, 100), pred_boxes=Boxes(torch.tensor(boxes, dtype=torch.float32)),
                                       scores=torch.tensor(scores), pred_classes=torch.tensor(classes))}  # fmt: skip

    ev.process([{"image_id": "img1"}], [inst([[10, 10, 40, 40]], [0.9], [1])])
    # dogs in img2: FP (0.8), TP (0.7), hit on the difficult dog (0.6: ignored); cat: exact (1.0)
    ev.process(
        [{"image_id": "img2"}],
        [inst([[20, 20, 30, 30], [50, 50, 90, 90], [0, 60, 20, 80], [0, 0, 30, 30]], [0.8, 0.7, 0.6, 1.0], [1, 1, 1, 0])],
    )
    res = ev.evaluate()["bbox"]
    # dog: tp = [1, 0, 1], fp = [0, 1, 0] -> recall [.5, .5, 1], precision [1, .5, 2/3]; cat AP = 100.
    assert res["AP50"] == pytest.approx((expected + 100) / 2, abs=1e-6)
    assert res["AP75"] == pytest.approx(res["AP50"])  # exact boxes: the same at every IoU threshold
    assert res["AP"] == pytest.approx(res["AP50"])


def _lvis_json(path):
    data = {
        "images": [
            {"id": 1, "width": 100, "height": 100, "neg_category_ids": [2], "not_exhaustive_category_ids": [3]}
        ],
        "categories": [
            {"id": 1, "name": "a", "frequency": "f"},
            {"id": 2, "name": "b", "frequency": "c"},
            {"id": 3, "name": "c", "frequency": "r"},
            {"id": 4, "name": "d", "frequency": "r"},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 20], "area": 400},
            {"id": 3, "image_id": 1, "category_id": 3, "bbox": [10, 60, 20, 20], "area": 400},
        ],
    }
    path.write_text(json.dumps(data))
    return path


def test_lvis_hand_computed(tmp_path, dataset):
    name = dataset([], json_file=str(_lvis_json(tmp_path / "lvis.json")))
    xyxy = {"a1": [10, 10, 30, 30], "a2": [50, 50, 70, 70], "c1": [10, 60, 30, 80], "off": [80, 0, 95, 15]}
    dets = [  # (box, score, contiguous class)
        (xyxy["a1"], 0.9, 0),  # TP
        (xyxy["off"], 0.8, 0),  # FP
        (xyxy["a2"], 0.7, 0),  # TP
        (xyxy["off"], 0.95, 1),  # b is verified absent (neg): an FP of b, which has no AP anyway
        (xyxy["c1"], 0.6, 2),  # TP of c
        (xyxy["off"], 0.99, 2),  # c is not exhaustively annotated: unmatched -> ignored
        (xyxy["off"], 0.97, 3),  # d is not annotated for the image at all: dropped
    ]
    inst = Instances(
        (100, 100),
        pred_boxes=Boxes(torch.tensor([d[0] for d in dets], dtype=torch.float32)),
        scores=torch.tensor([d[1] for d in dets]),
        pred_classes=torch.tensor([d[2] for d in dets]),
    )
    ev = LVISEvaluator(name, distributed=False, output_dir=str(tmp_path))
    ev.process([{"image_id": 1}], [{"instances": inst}])
    res = ev.evaluate()["bbox"]
    ap_a = (51 * 1.0 + 50 * 2 / 3) / 101  # precision 1 up to recall .5, 2/3 up to 1 (101 recall points)
    assert res["APf"] == pytest.approx(100 * ap_a, abs=1e-6)
    assert res["APr"] == pytest.approx(100.0, abs=1e-6)  # c is perfect once the unmatched det is ignored
    assert np.isnan(res["APc"])  # b has no ground truth
    assert res["AP"] == pytest.approx(100 * (ap_a + 1) / 2, abs=1e-6)
    assert res["APs"] == pytest.approx(res["AP"])  # all objects are small (400 px)
    written = json.loads((tmp_path / "lvis_instances_results.json").read_text())
    assert sorted({r["category_id"] for r in written}) == [1, 2, 3, 4]


def test_lvis_max_dets(tmp_path, dataset):
    name = dataset([], json_file=str(_lvis_json(tmp_path / "lvis.json")))
    inst = Instances(
        (100, 100),
        pred_boxes=Boxes(torch.tensor([[80, 0, 95, 15], [10, 10, 30, 30]], dtype=torch.float32)),
        scores=torch.tensor([0.9, 0.5]),
        pred_classes=torch.tensor([0, 0]),
    )
    ev = LVISEvaluator(name, distributed=False, max_dets_per_image=1)
    ev.process([{"image_id": 1}], [{"instances": inst}])
    assert ev.evaluate()["bbox"]["APf"] == pytest.approx(0.0)  # only the FP survives the per-image cap


def test_panoptic_quality_hand_built_pngs(tmp_path, dataset):
    gt = np.zeros((20, 20), np.int64)
    gt[0:10, 0:10] = 1  # person, area 100
    gt[10:20, :] = 2  # sky, area 200
    gt[0:10, 12:16] = 3  # person, area 40 (missed -> FN)
    (tmp_path / "gt").mkdir()
    Image.fromarray(id2rgb(gt)).save(tmp_path / "gt" / "img.png")
    gt_json = {
        "images": [{"id": 7, "file_name": "img.jpg", "width": 20, "height": 20}],
        "categories": [{"id": 1, "name": "person", "isthing": 1}, {"id": 5, "name": "sky", "isthing": 0}],
        "annotations": [
            {
                "image_id": 7,
                "file_name": "img.png",
                "segments_info": [
                    {"id": 1, "category_id": 1, "iscrowd": 0},
                    {"id": 2, "category_id": 5, "iscrowd": 0},
                    {"id": 3, "category_id": 1, "iscrowd": 0},
                ],
            }
        ],
    }
    (tmp_path / "gt.json").write_text(json.dumps(gt_json))
    name = dataset(
        [],
        panoptic_json=str(tmp_path / "gt.json"),
        panoptic_root=str(tmp_path / "gt"),
        thing_dataset_id_to_contiguous_id={1: 0},
        stuff_dataset_id_to_contiguous_id={5: 0},
    )
    pred = np.zeros((20, 20), np.int32)
    pred[0:10, 0:8] = 1  # person: IoU 80/100 with gt 1 -> TP
    pred[0:10, 8:10] = 4  # sky on a person: FP for sky
    pred[10:20, :] = 2  # sky: IoU 1 -> TP
    pred[0:5, 16:20] = 3  # person on VOID only: ignored, not an FP
    info = [
        {"id": 1, "category_id": 0, "isthing": True},
        {"id": 2, "category_id": 0, "isthing": False},
        {"id": 3, "category_id": 0, "isthing": True},
        {"id": 4, "category_id": 0, "isthing": False},
    ]
    ev = COCOPanopticEvaluator(name, output_dir=str(tmp_path / "out"))
    ev.reset()
    ev.process([{"image_id": 7, "file_name": "/data/img.jpg"}], [{"panoptic_seg": (torch.from_numpy(pred), info)}])
    res = ev.evaluate()["panoptic_seg"]
    pq_person, pq_sky = 0.8 / (1 + 0.5), 1.0 / (1 + 0.5)  # person: 1 TP + 1 FN; sky: 1 TP + 1 FP
    assert res["PQ_th"] == pytest.approx(100 * pq_person)
    assert res["SQ_th"] == pytest.approx(80.0) and res["RQ_th"] == pytest.approx(100 / 1.5)
    assert res["PQ_st"] == pytest.approx(100 * pq_sky)
    assert res["SQ_st"] == pytest.approx(100.0) and res["RQ_st"] == pytest.approx(100 / 1.5)
    assert res["PQ"] == pytest.approx(100 * (pq_person + pq_sky) / 2)
    assert res["SQ"] == pytest.approx(90.0)
    written = json.loads((tmp_path / "out" / "predictions.json").read_text())
    assert {s["category_id"] for s in written["annotations"][0]["segments_info"]} == {1, 5}


def test_cityscapes_without_scripts_says_how_to_install(monkeypatch, dataset):
    monkeypatch.setitem(sys.modules, "cityscapesscripts", None)  # as if not installed
    name = dataset([], gt_dir="/nonexistent")
    with pytest.raises(ImportError, match="pip install cityscapesscripts"):
        CityscapesSemSegEvaluator(name)
