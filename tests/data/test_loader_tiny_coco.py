"""Acceptance: the train loader on real COCO images (tiny_coco), 2 workers, 800-1333 resize and flip."""
import itertools

import numpy as np
import torch

from detectra.data import DatasetMapper, build_detection_train_loader
from detectra.data import transforms as T
from detectra.data.build import filter_images_with_only_crowd_annotations
from detectra.data.datasets import load_coco_json
from detectra.structures import BoxMode


def _loader(dicts):
    mapper = DatasetMapper(is_train=True, augmentations=[T.ResizeShortestEdge(800, 1333), T.RandomFlip()],
                           image_format="BGR", return_transforms=True)
    return build_detection_train_loader(dicts, mapper=mapper, total_batch_size=2, num_workers=2, seed=3)


def test_tiny_coco_batches_match_json_and_resume(shared_dir):
    root = shared_dir / "datasets" / "tiny_coco"
    dicts = load_coco_json(root / "annotations" / "instances_train2017.json", root / "train2017", "tiny_coco_tr_t")
    dicts = filter_images_with_only_crowd_annotations(dicts)
    by_id = {d["image_id"]: d for d in dicts}

    reference = list(itertools.islice(iter(_loader(dicts)), 4))
    flips = 0
    for d in itertools.chain.from_iterable(reference):
        src = by_id[d["image_id"]]
        h, w = d["image"].shape[1:]
        assert min(h, w) == 800 or max(h, w) == 1333
        tfm = d["transforms"]
        flips += any(isinstance(t, T.HFlipTransform) for t in tfm.transforms)
        anns = [a for a in src["annotations"] if not a.get("iscrowd", 0)]
        boxes = np.array([BoxMode.convert(a["bbox"], a["bbox_mode"], BoxMode.XYXY_ABS) for a in anns])
        expected = tfm.apply_box(boxes)
        expected = np.minimum(expected.clip(min=0), [w, h, w, h])  # boxes are clipped to the image, as in Detectron2
        got = d["instances"].gt_boxes.tensor.numpy()
        classes = d["instances"].gt_classes.tolist()
        assert len(got) <= len(expected) and len(got) > 0
        # every delivered box is the json box under the recorded transform, with its class
        for box, cls in zip(got, classes):
            dist = np.abs(expected - box).max(1)
            k = int(dist.argmin())
            assert dist[k] < 1e-2, (d["image_id"], box, expected[k])
            assert anns[k]["category_id"] == cls
    assert 0 < flips < 8  # RandomFlip really flipped some, not all

    # resume mid-stream from the loader state: the next batches are the uninterrupted ones
    first = _loader(dicts)
    it = iter(first)
    next(it), next(it)
    state = first.state_dict()
    del it
    resumed = _loader(dicts)
    resumed.load_state_dict(state)
    for a, b in zip(itertools.islice(iter(resumed), 2), reference[2:]):
        assert [x["image_id"] for x in a] == [x["image_id"] for x in b]
        for x, y in zip(a, b):
            assert torch.equal(x["image"], y["image"])
            assert torch.equal(x["instances"].gt_boxes.tensor, y["instances"].gt_boxes.tensor)
