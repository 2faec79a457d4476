"""Dataset-dict helpers of `detectra.data.build`, `MapDataset` retries and `RandomSubsetTrainingSampler`."""
import itertools
import logging
import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from detectra.data import DatasetCatalog, DatasetFromList, DatasetMapper, MapDataset, MetadataCatalog
from detectra.data import get_detection_dataset_dicts, load_proposals_into_dataset
from detectra.data.build import filter_images_with_few_keypoints, filter_images_with_only_crowd_annotations
from detectra.data.samplers import RandomSubsetTrainingSampler
from detectra.structures import BoxMode
from detectra.utils import comm


def _ann(cat, crowd=0, kps=None):
    a = {"bbox": [1.0, 1.0, 5.0, 5.0], "bbox_mode": BoxMode.XYXY_ABS, "category_id": cat, "iscrowd": crowd}
    if kps is not None:
        a["keypoints"] = [v for i, vis in enumerate(kps) for v in (2.0 + i, 3.0, vis)]
    return a


def _rec(image_id, anns):
    return {"file_name": f"{image_id}.jpg", "image_id": image_id, "height": 32, "width": 32, "annotations": anns}


@pytest.fixture
def registered():
    names = []
    yield names
    for name in names:
        if name in DatasetCatalog.list():
            DatasetCatalog.remove(name)
        if name in MetadataCatalog.list():
            MetadataCatalog.remove(name)


def test_filter_only_crowd_counts():
    dicts = [
        _rec(1, [_ann(0)]),
        _rec(2, []),  # no annotation
        _rec(3, [_ann(0, crowd=1), _ann(1, crowd=1)]),  # only crowd
        _rec(4, [_ann(0, crowd=1), _ann(1)]),  # one usable
        {"file_name": "5.jpg", "image_id": 5},  # no "annotations" key at all
    ]
    assert [d["image_id"] for d in filter_images_with_only_crowd_annotations(dicts)] == [1, 4]


def test_filter_few_keypoints_counts_visible_only():
    dicts = [
        _rec(1, [_ann(0, kps=[2, 2, 0]), _ann(0, kps=[1, 0, 0])]),  # 3 visible (v > 0)
        _rec(2, [_ann(0, kps=[0, 0, 2])]),  # 1 visible
        _rec(3, [_ann(0)]),  # no keypoints: 0
        _rec(4, [_ann(0, kps=[1, 1, 0]), _ann(0, kps=[0, 0, 0])]),  # 2 visible
    ]
    assert [d["image_id"] for d in filter_images_with_few_keypoints(dicts, 2)] == [1, 4]
    assert [d["image_id"] for d in filter_images_with_few_keypoints(dicts, 3)] == [1]
    assert [d["image_id"] for d in filter_images_with_few_keypoints(dicts, 1)] == [1, 2, 4]


def test_random_subset_sampler_size_determinism_and_shards(monkeypatch):
    def first(sampler, n):
        return list(itertools.islice(iter(sampler), n))

    s = RandomSubsetTrainingSampler(20, 0.25, seed_shuffle=3, seed_subset=7)
    stream = first(s, 40)
    subset = set(stream[:5])
    assert len(subset) == 5  # int(20 * 0.25) distinct indices per epoch
    for k in range(8):  # every epoch is a permutation of the same subset
        assert set(stream[5 * k : 5 * k + 5]) == subset
    assert stream[:5] != stream[5:10] or stream[5:10] != stream[10:15]  # reshuffled between epochs
    # same seeds, same stream; another subset seed, (almost surely) another subset
    assert first(RandomSubsetTrainingSampler(20, 0.25, seed_shuffle=3, seed_subset=7), 40) == stream
    assert set(first(RandomSubsetTrainingSampler(20, 0.25, seed_shuffle=3, seed_subset=8), 5)) != subset
    unshuffled = first(RandomSubsetTrainingSampler(20, 0.25, shuffle=False, seed_subset=7), 10)
    assert unshuffled[:5] == unshuffled[5:] and set(unshuffled) == subset
    assert len(set(first(RandomSubsetTrainingSampler(20, 1.0, seed_shuffle=0, seed_subset=0), 20))) == 20

    # two ranks: rank r takes items r, r + 2, ... of the global stream, so the shards interleave back into it
    monkeypatch.setattr(comm, "get_world_size", lambda: 2)
    shards = []
    for rank in (0, 1):
        monkeypatch.setattr(comm, "get_rank", lambda rank=rank: rank)
        shards.append(first(RandomSubsetTrainingSampler(20, 0.25, seed_shuffle=3, seed_subset=7), 20))
    assert shards[0] == stream[0::2] and shards[1] == stream[1::2]
    with pytest.raises(ValueError, match="subset_ratio"):
        RandomSubsetTrainingSampler(20, 0.0)


def test_map_dataset_retries_other_index_and_bounds_warnings(caplog):
    calls = []

    def mapper(x):
        calls.append(x)
        return None if x % 2 else {"value": x}

    ds = MapDataset(DatasetFromList(list(range(10)), copy=False), mapper)
    assert ds[4] == {"value": 4}
    with caplog.at_level(logging.WARNING):
        results = [ds[i]["value"] for i in [1, 3, 5, 7, 9] * 5]
    assert all(r % 2 == 0 for r in results)  # a failing index is replaced by one that maps
    assert sum(1 for c in calls if c % 2) >= 25
    warnings = [r for r in caplog.records if "returned None" in r.getMessage()]
    assert 1 <= len(warnings) <= 10  # bounded however many failures
    assert "suppressed" in warnings[-1].getMessage()
    # indices that fail are not drawn again as fallbacks once seen failing
    calls.clear()
    ds[1]
    assert calls[0] == 1 and all(c % 2 == 0 for c in calls[1:]) and len(calls) == 2

    never = MapDataset(DatasetFromList([1, 2, 3], copy=False), lambda x: None)
    with pytest.raises(RuntimeError, match="returned None for every item"):
        never[0]


def _register(registered, name, dicts, classes=("a", "b")):
    registered.append(name)
    DatasetCatalog.register(name, lambda: [dict(d) for d in dicts])
    MetadataCatalog.get(name).thing_classes = list(classes)


def test_get_detection_dataset_dicts_merges_and_filters(registered):
    _register(registered, "test_helpers_a", [_rec(1, [_ann(0)]), _rec(2, []), _rec(3, [_ann(1, crowd=1)])])
    _register(registered, "test_helpers_b", [_rec(10, [_ann(1, kps=[2, 2, 0])]), _rec(11, [_ann(0, kps=[2, 0, 0])])])
    both = ["test_helpers_a", "test_helpers_b"]
    assert [d["image_id"] for d in get_detection_dataset_dicts(both, filter_empty=False)] == [1, 2, 3, 10, 11]
    assert [d["image_id"] for d in get_detection_dataset_dicts(both)] == [1, 10, 11]
    assert [d["image_id"] for d in get_detection_dataset_dicts(both, min_keypoints=2)] == [10]
    assert [d["image_id"] for d in get_detection_dataset_dicts("test_helpers_a")] == [1]

    _register(registered, "test_helpers_c", [_rec(20, [_ann(0)])], classes=("a", "z"))
    with pytest.raises(ValueError, match="thing_classes"):
        get_detection_dataset_dicts(["test_helpers_a", "test_helpers_c"])
    _register(registered, "test_helpers_empty_after", [_rec(30, [])])
    with pytest.raises(ValueError, match="No training data in 'test_helpers_empty_after': none of its 1 images has an annotation"):
        get_detection_dataset_dicts("test_helpers_empty_after")


def test_proposal_files_the_detectron2_way(tmp_path, registered):
    # Detectron2's proposal pickle: parallel lists indexed like "ids"; boxes XYWH here, so bbox_mode is given
    def write(path, ids, seed):
        rng = np.random.RandomState(seed)
        boxes = [rng.uniform(0, 20, size=(4, 4)).astype(np.float32) for _ in ids]
        logits = [rng.randn(4).astype(np.float32) for _ in ids]
        with open(path, "wb") as f:
            pickle.dump({"ids": ids, "boxes": boxes, "objectness_logits": logits, "bbox_mode": BoxMode.XYWH_ABS}, f)
        return dict(zip(ids, zip(boxes, logits)))

    _register(registered, "test_helpers_pa", [_rec(1, [_ann(0)]), _rec(2, [_ann(1)])])
    _register(registered, "test_helpers_pb", [_rec("x7", [_ann(0)])])
    # int ids as strings in the file, extra ids that no image has, another order
    truth_a = write(tmp_path / "a.pkl", ["2", 99, "1"], 0)
    truth_b = write(tmp_path / "b.pkl", ["x7"], 1)
    dicts = get_detection_dataset_dicts(["test_helpers_pa", "test_helpers_pb"],
                                        proposal_files=[str(tmp_path / "a.pkl"), str(tmp_path / "b.pkl")])  # fmt: skip
    assert [d["image_id"] for d in dicts] == [1, 2, "x7"]
    for d, (boxes, logits) in zip(dicts, [truth_a["1"], truth_a["2"], truth_b["x7"]]):
        order = np.argsort(-logits)  # best first, as Detectron2 stores them
        np.testing.assert_array_equal(d["proposal_objectness_logits"], logits[order])
        np.testing.assert_array_equal(d["proposal_boxes"], boxes[order])
        assert d["proposal_bbox_mode"] == BoxMode.XYWH_ABS

    # the mapper keeps the top-k by objectness, converted to XYXY and clipped to the image
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(tmp_path / "1.jpg")
    out = DatasetMapper(False, augmentations=[], image_format="BGR", precomputed_proposal_topk=2)(
        dict(dicts[0], file_name=str(tmp_path / "1.jpg")))  # fmt: skip
    boxes, logits = truth_a["1"]
    top = np.argsort(-logits)[:2]
    expected = BoxMode.convert(torch.as_tensor(boxes[top]), BoxMode.XYWH_ABS, BoxMode.XYXY_ABS).clamp(0, 32)
    torch.testing.assert_close(out["proposals"].proposal_boxes.tensor, expected)
    torch.testing.assert_close(out["proposals"].objectness_logits, torch.as_tensor(logits[top]))

    with pytest.raises(ValueError, match="need one each"):
        get_detection_dataset_dicts(["test_helpers_pa", "test_helpers_pb"], proposal_files=[str(tmp_path / "a.pkl")])
    write(tmp_path / "c.pkl", ["1"], 2)
    with pytest.raises(KeyError, match="no proposals for image id 2"):
        load_proposals_into_dataset([_rec(1, []), _rec(2, [])], str(tmp_path / "c.pkl"))
