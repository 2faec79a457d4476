"""The training loader: batches, aspect grouping, exact resume with 0 and 2 workers."""
import itertools

import numpy as np
import pytest
import torch

from detectra.data import DatasetMapper, build_detection_test_loader, build_detection_train_loader
from detectra.data import transforms as T
from detectra.data.datasets import load_coco_json
from detectra.data.datasets.shapes import generate_shapes


@pytest.fixture(scope="module")
def shapes_dicts(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes_small")
    paths = generate_shapes(str(root), num_images=24, image_size=(48, 80), seed=7)
    return load_coco_json(paths["json_file"], paths["image_root"])


def _mapper():
    augs = [T.ResizeShortestEdge((40, 48, 56), max_size=90, sample_style="choice"), T.RandomFlip(prob=0.5),
            T.RandomBrightness(0.8, 1.2)]
    return DatasetMapper(is_train=True, augmentations=augs, image_format="BGR", use_instance_mask=True)


def _loader(dicts, num_workers, seed=11):
    return build_detection_train_loader(dicts, mapper=_mapper(), total_batch_size=3, aspect_ratio_grouping=True,
                                        num_workers=num_workers, seed=seed)


def _take(loader, n):
    return list(itertools.islice(iter(loader), n))


def _assert_same_batches(a, b):
    assert len(a) == len(b)
    for batch_a, batch_b in zip(a, b):
        assert [d["image_id"] for d in batch_a] == [d["image_id"] for d in batch_b]
        for da, db in zip(batch_a, batch_b):
            assert torch.equal(da["image"], db["image"])
            ia, ib = da["instances"], db["instances"]
            assert torch.equal(ia.gt_boxes.tensor, ib.gt_boxes.tensor)
            assert torch.equal(ia.gt_classes, ib.gt_classes)
            assert all(np.array_equal(pa[0], pb[0]) for pa, pb in zip(ia.gt_masks.polygons, ib.gt_masks.polygons))


def test_batches_are_grouped_and_mapped(shapes_dicts):
    batches = _take(_loader(shapes_dicts, 0), 6)
    for batch in batches:
        assert len(batch) == 3
        landscape = {d["image"].shape[2] > d["image"].shape[1] for d in batch}
        assert len({d["width"] > d["height"] for d in batch}) == 1  # one aspect-ratio bucket per batch
        assert all(min(d["image"].shape[1:]) in (40, 48, 56) for d in batch) and len(landscape) >= 1
        assert all(d["instances"].gt_boxes.tensor.shape[0] == len(d["instances"]) for d in batch)
    # augmentations are random: the same image does not always get the same size / flip
    seen = {}
    for d in itertools.chain.from_iterable(_take(_loader(shapes_dicts, 0), 16)):
        seen.setdefault(d["image_id"], set()).add((tuple(d["image"].shape), d["image"].float().mean().item()))
    assert any(len(v) > 1 for v in seen.values())


@pytest.mark.parametrize("num_workers", [0, 2])
def test_exact_resume(shapes_dicts, num_workers):
    reference = _take(_loader(shapes_dicts, num_workers), 7)  # uninterrupted: batches 0..6
    first = _loader(shapes_dicts, num_workers)
    it = iter(first)
    head = [next(it) for _ in range(3)]
    state = first.state_dict()
    assert state["buffered"], "the test should resume with samples waiting in the aspect-ratio buckets"
    del it
    resumed = _loader(shapes_dicts, num_workers, seed=999)  # a different seed: the state's seed must win
    resumed.load_state_dict(state)
    tail = _take(resumed, 4)
    _assert_same_batches(head + tail, reference)


def test_batches_do_not_depend_on_num_workers(shapes_dicts):
    _assert_same_batches(_take(_loader(shapes_dicts, 0), 4), _take(_loader(shapes_dicts, 2), 4))


def test_state_survives_a_live_iterator_reload(shapes_dicts):
    reference = _take(_loader(shapes_dicts, 0), 6)
    loader = _loader(shapes_dicts, 0)
    it = iter(loader)
    next(it), next(it)
    state = loader.state_dict()
    next(it), next(it), next(it)  # run ahead, then rewind the live iterator
    loader.load_state_dict(state)
    _assert_same_batches([next(it) for _ in range(4)], reference[2:])


def test_training_rng_not_disturbed_by_loading(shapes_dicts):
    torch.manual_seed(0)
    np.random.seed(0)
    expected = (torch.rand(3), np.random.rand(3))
    torch.manual_seed(0)
    np.random.seed(0)
    _take(_loader(shapes_dicts, 0), 2)
    assert torch.equal(torch.rand(3), expected[0]) and np.array_equal(np.random.rand(3), expected[1])


def test_test_loader_covers_dataset_in_order(shapes_dicts):
    mapper = DatasetMapper(is_train=False, augmentations=[T.ResizeShortestEdge(48, 90)], image_format="RGB")
    loader = build_detection_test_loader(shapes_dicts, mapper=mapper, batch_size=5)
    ids = [d["image_id"] for batch in loader for d in batch]
    assert ids == [d["image_id"] for d in shapes_dicts]
    assert len(loader) == 5


def test_worker_items_send_small_tensors_by_value():
    # What a worker sends: small tensors inside the pickle (no shared-memory segment / fd each), big ones shared.
    import pickle
    from multiprocessing.reduction import ForkingPickler

    from detectra.data.resumable import _WorkerItem
    from detectra.structures import Boxes, Instances

    inst = Instances((5, 7), gt_boxes=Boxes(torch.rand(3, 4)), gt_classes=torch.tensor([2, 0, 1]))
    item = {"image": torch.randint(0, 255, (3, 200, 300), dtype=torch.uint8), "instances": inst,
            "view": torch.arange(20.0).view(4, 5)[:, 1::2], "flag": torch.tensor(True),
            "bf16": torch.ones(2, dtype=torch.bfloat16)}  # fmt: skip
    payload = bytes(ForkingPickler.dumps(_WorkerItem(item)))
    assert len(payload) < 20_000  # the 180 kB image is not in it...
    assert inst.gt_boxes.tensor.numpy().tobytes() in payload  # ...but the boxes are
    out = pickle.loads(payload)
    for key in ("image", "view", "flag", "bf16"):
        assert out[key].dtype == item[key].dtype and torch.equal(out[key], item[key])
    assert torch.equal(out["instances"].gt_boxes.tensor, inst.gt_boxes.tensor)
    assert out["instances"].gt_classes.dtype == torch.int64 and out["instances"].gt_classes.tolist() == [2, 0, 1]
