"""Small behaviours Detectron2 users rely on: lazily created event files, Detectron2-form reprs, and
DETECTRON2_DATASETS read when DETECTRA_DATASETS is unset."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import detectra.data.transforms as T
from detectra.layers import Conv2d, FrozenBatchNorm2d, ROIAlign, get_norm
from detectra.utils.events import EventStorage, TensorboardXWriter

REPO = Path(__file__).resolve().parents[2]


def test_tensorboard_writer_creates_no_file_until_it_writes(tmp_path):
    pytest.importorskip("tensorboard", reason="tensorboard is not installed")
    writer = TensorboardXWriter(str(tmp_path / "tb"), window_size=1)
    with EventStorage(0) as storage:
        writer.write()  # nothing recorded yet: nothing to write
        assert not (tmp_path / "tb").exists()
        storage.put_scalar("loss", 1.5)
        writer.write()
    writer.close()
    files = os.listdir(tmp_path / "tb")
    assert len(files) == 1 and files[0].startswith("events.out.tfevents")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("loss")] == [(0, 1.5)]
    TensorboardXWriter(str(tmp_path / "unused")).close()  # closing an unused writer creates nothing either
    assert not (tmp_path / "unused").exists()


def test_augmentation_reprs_are_detectron2s():
    assert repr(T.ResizeShortestEdge((800, 800), 1333, "choice")) == (
        "ResizeShortestEdge(short_edge_length=(800, 800), max_size=1333, sample_style='choice')"
    )
    assert repr(T.ResizeShortestEdge(640, 1000)) == "ResizeShortestEdge(short_edge_length=(640, 640), max_size=1000)"
    assert repr(T.RandomFlip()) == "RandomFlip()"
    assert repr(T.RandomFlip(prob=0.3, horizontal=False, vertical=True)) == (
        "RandomFlip(prob=0.3, horizontal=False, vertical=True)"
    )
    assert repr(T.AugmentationList([T.RandomFlip(), T.RandomBrightness(0.9, 1.1)])) == (
        "AugmentationList[RandomFlip(), RandomBrightness(intensity_min=0.9, intensity_max=1.1)]"
    )
    assert repr(T.RandomCrop_CategoryAreaConstraint("absolute", (64, 64), 0.75)) == (
        "RandomCrop_CategoryAreaConstraint(crop_type='absolute', crop_size=(64, 64), single_category_max_area=0.75)"
    )
    assert repr(T.RandomApply(T.RandomFlip(), 0.3)) == "RandomApply(RandomFlip(), prob=0.3)"
    assert repr(T.ResizeTransform(10, 20, 30, 40)) == "ResizeTransform(h=10, w=20, new_h=30, new_w=40, interp=2)"
    assert str(T.HFlipTransform(5)) == "HFlipTransform(width=5)"


def test_layer_reprs_are_detectron2s():
    conv = Conv2d(3, 64, 3, padding=1, bias=False, norm=get_norm("GN", 64), activation=torch.nn.ReLU())
    assert repr(conv).splitlines() == [
        "Conv2d(",
        "  3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False",
        "  (norm): GroupNorm(32, 64, eps=1e-05, affine=True, bias=True)"
        if "bias=True" in repr(torch.nn.GroupNorm(32, 64))
        else "  (norm): GroupNorm(32, 64, eps=1e-05, affine=True)",
        "  (activation): ReLU()",
        ")",
    ]
    assert repr(Conv2d(3, 8, 1, activation=F.relu)) == "Conv2d(3, 8, kernel_size=(1, 1), stride=(1, 1))"
    assert repr(FrozenBatchNorm2d(8)) == "FrozenBatchNorm2d(num_features=8, eps=1e-05)"
    assert repr(ROIAlign((7, 7), 0.25, 0, aligned=True)) == (
        "ROIAlign(output_size=(7, 7), spatial_scale=0.25, sampling_ratio=0, aligned=True)"
    )


def test_detectra_datasets_takes_precedence_over_detectron2_datasets(monkeypatch, tmp_path):
    from detectra.data.datasets.builtin import datasets_root
    from detectra.data.datasets.shapes import shapes_root

    monkeypatch.delenv("DETECTRA_DATASETS", raising=False)
    monkeypatch.delenv("DETECTRON2_DATASETS", raising=False)
    assert datasets_root() == "datasets"
    monkeypatch.setenv("DETECTRON2_DATASETS", str(tmp_path / "d2"))
    assert datasets_root() == str(tmp_path / "d2") and shapes_root() == str(tmp_path / "d2" / "shapes")
    monkeypatch.setenv("DETECTRA_DATASETS", str(tmp_path / "mine"))
    assert datasets_root() == str(tmp_path / "mine") and shapes_root() == str(tmp_path / "mine" / "shapes")


def test_builtin_datasets_register_under_detectron2_datasets(tmp_path):
    # The builtin names are registered at import: a fresh process sees the variable as a user's job would.
    env = {k: v for k, v in os.environ.items() if k != "DETECTRA_DATASETS"}
    env.update(DETECTRON2_DATASETS=str(tmp_path), PYTHONPATH=str(REPO))
    show = "from detectra.data import MetadataCatalog; print(MetadataCatalog.get('coco_2017_val').json_file)"
    out = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / "coco/annotations/instances_val2017.json")
