"""ADE20K / Cityscapes panoptic registration and loading, register_coco, and the cityscapes loader's main()."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data.datasets import builtin_meta, cityscapes, cityscapes_panoptic, register_coco


def test_ade20k_registered_with_its_150_classes():
    assert len(builtin_meta.ADE20K_SEM_SEG_CATEGORIES) == 150
    meta = MetadataCatalog.get("ade20k_sem_seg_val")
    assert meta.stuff_classes[0] == "wall" and meta.stuff_classes[-1] == "flag" and meta.ignore_label == 255
    assert "ade20k_sem_seg_train" in DatasetCatalog.list()


def _write_cityscapes(root, with_json: bool = True) -> dict:
    """One 8x16 image of city 'aachen' with a road (stuff, id 7) and a car (thing, id 26) segment."""
    image_dir, gt_dir = root / "leftImg8bit" / "val", root / "gtFine"
    (image_dir / "aachen").mkdir(parents=True)
    (gt_dir / "val" / "aachen").mkdir(parents=True)
    (gt_dir / "cityscapes_panoptic_val").mkdir(parents=True)
    name = "aachen_000000_000019"
    Image.fromarray(np.zeros((8, 16, 3), np.uint8)).save(image_dir / "aachen" / f"{name}_leftImg8bit.png")
    labels = np.zeros((8, 16), np.uint8)
    labels[:, 8:] = 13  # car trainId
    Image.fromarray(labels).save(gt_dir / "val" / "aachen" / f"{name}_gtFine_labelTrainIds.png")
    Image.fromarray(np.zeros((8, 16, 3), np.uint8)).save(gt_dir / "cityscapes_panoptic_val" / f"{name}_gtFine_panoptic.png")
    segments = [{"id": 7, "category_id": 7, "area": 64, "iscrowd": 0},
                {"id": 26000, "category_id": 26, "area": 64, "iscrowd": 0}]  # fmt: skip
    js = {"annotations": [{"image_id": name, "file_name": f"{name}_gtFine_panoptic.png", "segments_info": segments}]}
    (gt_dir / "cityscapes_panoptic_val.json").write_text(json.dumps(js))
    return {"image_dir": str(image_dir), "gt_dir": str(gt_dir / "cityscapes_panoptic_val"),
            "gt_json": str(gt_dir / "cityscapes_panoptic_val.json"), "sem_gt_dir": str(gt_dir / "val")}  # fmt: skip


def test_cityscapes_panoptic_loads_with_contiguous_ids(tmp_path):
    paths = _write_cityscapes(tmp_path / "cityscapes")
    meta = MetadataCatalog.get("cityscapes_fine_panoptic_val")
    assert meta.evaluator_type == "cityscapes_panoptic_seg" and meta.label_divisor == 1000
    meta_dict = {k: getattr(meta, k) for k in ("thing_dataset_id_to_contiguous_id", "stuff_dataset_id_to_contiguous_id")}
    (record,) = cityscapes_panoptic.load_cityscapes_panoptic(paths["image_dir"], paths["gt_dir"], paths["gt_json"],
                                                             meta_dict)  # fmt: skip
    assert record["image_id"] == "aachen_000000_000019"
    assert record["sem_seg_file_name"].endswith("gtFine/val/aachen/aachen_000000_000019_gtFine_labelTrainIds.png")
    # road (id 7) is trainId 0, car (id 26) trainId 13
    assert [(s["category_id"], s["isthing"]) for s in record["segments_info"]] == [(0, False), (13, True)]
    with pytest.raises(FileNotFoundError, match="createPanopticImgs"):
        cityscapes_panoptic.load_cityscapes_panoptic(paths["image_dir"], paths["gt_dir"], "missing.json", meta_dict)


def test_cityscapes_main_loads_and_draws(tmp_path, capsys):
    paths = _write_cityscapes(tmp_path / "cityscapes")
    out = tmp_path / "drawn"
    assert cityscapes.main([paths["image_dir"], paths["sem_gt_dir"], "--type", "semantic", "--output", str(out)]) == 0
    assert "1 images with semantic labels" in capsys.readouterr().out
    assert (out / "aachen_000000_000019_leftImg8bit.png").is_file()


def test_register_coco_module():
    from detectra.data.datasets.coco import register_coco_instances

    assert register_coco.register_coco_instances is register_coco_instances


def test_lvis_v1_image_counts_give_the_published_frequency_groups():
    from detectra.data.datasets.lvis import get_lvis_instances_meta
    from detectra.data.datasets.lvis_v1_category_image_count import LVIS_CATEGORY_IMAGE_COUNT

    counts = [c["image_count"] for c in LVIS_CATEGORY_IMAGE_COUNT]
    assert [c["id"] for c in LVIS_CATEGORY_IMAGE_COUNT] == list(range(1, 1204))
    # LVIS v1's 337 rare (1-10 training images), 461 common (11-100) and 405 frequent categories
    assert (sum(n <= 10 for n in counts), sum(10 < n <= 100 for n in counts), sum(n > 100 for n in counts)) == (
        337, 461, 405)  # fmt: skip
    assert counts[0] == 64 and counts[-1] == 81  # aerosol_can, zucchini
    assert get_lvis_instances_meta("lvis_v1_train")["class_image_count"] is LVIS_CATEGORY_IMAGE_COUNT
