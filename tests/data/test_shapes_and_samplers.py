import itertools
import json

import numpy as np
import pytest
import torch
from PIL import Image
from pycocotools import mask as mask_util

from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data.datasets.shapes import generate_shapes, register_shapes
from detectra.data.samplers import (
    GroupedBatchSampler,
    InferenceSampler,
    RepeatFactorTrainingSampler,
    TrainingSampler,
    repeat_factors_from_category_frequency,
)


def test_shapes_ground_truth_is_consistent(tmp_path):
    paths = generate_shapes(str(tmp_path / "a"), num_images=6, image_size=(96, 128), seed=3)
    again = generate_shapes(str(tmp_path / "b"), num_images=6, image_size=(96, 128), seed=3)
    assert json.load(open(paths["json_file"]))["annotations"] == json.load(open(again["json_file"]))["annotations"]
    assert (open(paths["image_root"] + "/000002.jpg", "rb").read()
            == open(again["image_root"] + "/000002.jpg", "rb").read())  # deterministic
    register_shapes("shapes_t", splits={"mini": paths["json_file"].rsplit("/", 1)[0]})
    try:
        dicts = DatasetCatalog.get("shapes_t_mini")
        meta = MetadataCatalog.get("shapes_t_mini")
        assert meta.thing_classes == ["circle", "square", "triangle", "star"] and meta.evaluator_type == "coco"
        assert ("left_base", "right_base") in meta.keypoint_flip_map
        pan = {d["image_id"]: d for d in DatasetCatalog.get("shapes_t_mini_panoptic")}
        n_ann = 0
        for d in dicts:
            rgb = np.asarray(Image.open(pan[d["image_id"]]["pan_seg_file_name"]), dtype=np.int64)
            ids = rgb[..., 0] + 256 * rgb[..., 1]
            assert {s["id"] for s in pan[d["image_id"]]["segments_info"]} == set(np.unique(ids).tolist()) - {0}
            for k, ann in enumerate(d["annotations"]):
                n_ann += 1
                x, y, w, h = ann["bbox"]
                assert 10 < max(w, h) <= 130
                # the polygons of the visible part match the rendered panoptic segment
                rle = mask_util.merge(mask_util.frPyObjects(ann["segmentation"], d["height"], d["width"]))
                poly_mask = mask_util.decode(rle).astype(bool)
                seg_mask = ids == k + 1
                iou = (poly_mask & seg_mask).sum() / (poly_mask | seg_mask).sum()
                assert iou > 0.8, (d["image_id"], k, iou)
                kps = np.asarray(ann["keypoints"]).reshape(3, 3)
                if ann["category_id"] == 2:  # triangle: labelled corners lie on the box
                    assert (kps[:, 2] > 0).any()
                    vis = kps[kps[:, 2] == 2]  # visible corners (v=1: hidden behind another shape)
                    assert (vis[:, 0] >= x - 1.5).all() and (vis[:, 0] <= x + w + 1.5).all()
                else:
                    assert (kps[:, 2] == 0).all()  # unlabelled (x, y got the +0.5 of every keypoint)
        assert n_ann >= 6
        sem = DatasetCatalog.get("shapes_t_mini_sem_seg")
        labels = np.asarray(Image.open(sem[0]["sem_seg_file_name"]))
        assert set(np.unique(labels).tolist()) <= set(range(6)) and {4, 5} & set(np.unique(labels).tolist())
    finally:
        for n in list(DatasetCatalog.list()):
            if n.startswith("shapes_t_mini"):
                DatasetCatalog.remove(n)
                MetadataCatalog.remove(n)


def test_training_sampler_shards_and_resumes(monkeypatch):
    from detectra.utils import comm

    monkeypatch.setattr(comm, "get_world_size", lambda: 2)
    streams = []
    for rank in (0, 1):
        monkeypatch.setattr(comm, "get_rank", lambda r=rank: r)
        streams.append(list(itertools.islice(iter(TrainingSampler(10, seed=4)), 10)))
    assert sorted(streams[0][:5] + streams[1][:5]) == list(range(10))  # the two ranks split each epoch
    monkeypatch.setattr(comm, "get_rank", lambda: 1)
    s = TrainingSampler(10, seed=4)
    it = iter(s)
    [next(it) for _ in range(7)]
    state = s.state_dict()
    assert state["position"] == 7
    fresh = TrainingSampler(10, seed=123)
    fresh.load_state_dict(state)
    assert list(itertools.islice(iter(fresh), 3)) == streams[1][7:10]


def test_repeat_factors_and_sampler():
    dicts = [{"annotations": [{"category_id": 0}]}] * 9 + [{"annotations": [{"category_id": 1}]}, {"annotations": []}]
    factors = repeat_factors_from_category_frequency(dicts, repeat_thresh=0.5, sqrt=False)
    assert factors[0] == 1.0 and factors[9] == pytest.approx(0.5 / (1 / 11)) and factors[10] == 1.0
    sampler = RepeatFactorTrainingSampler(factors, seed=0)
    counts = np.bincount(list(itertools.islice(iter(sampler), 2000)), minlength=11)
    assert counts[9] > 3 * counts[0]
    state_sampler = RepeatFactorTrainingSampler(factors, seed=0)
    state_sampler.load_state_dict({"seed": 0, "position": 37})
    ref = list(itertools.islice(iter(RepeatFactorTrainingSampler(factors, seed=0)), 45))
    assert list(itertools.islice(iter(state_sampler), 8)) == ref[37:]


def test_inference_and_grouped_samplers(monkeypatch):
    from detectra.utils import comm

    monkeypatch.setattr(comm, "get_world_size", lambda: 3)
    shards = []
    for r in range(3):
        monkeypatch.setattr(comm, "get_rank", lambda r=r: r)
        shards.append(list(InferenceSampler(10)))
    assert shards == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    grouped = GroupedBatchSampler(torch.utils.data.SequentialSampler(range(8)), [0, 1, 0, 1, 1, 0, 0, 1], 2)
    batches = [b for b in grouped]  # list() would ask for len(), undefined as in Detectron2
    assert batches == [[0, 2], [1, 3], [5, 6], [4, 7]]
