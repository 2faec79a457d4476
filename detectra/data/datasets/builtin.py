"""Registration of the builtin dataset names (COCO, LVIS, Pascal VOC, Cityscapes, shapes).

Files are expected under ``$DETECTRA_DATASETS`` (else ``$DETECTRON2_DATASETS``, else ``./datasets``) in
Detectron2's layout (e.g. ``coco/annotations/instances_val2017.json`` + ``coco/val2017/``). Registration is lazy:
nothing is read at import; using a dataset whose files are missing raises an error naming the path it looked for.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from detectra.data.catalog import DatasetCatalog, MetadataCatalog
from detectra.data.datasets.builtin_meta import ADE20K_SEM_SEG_CATEGORIES, _get_builtin_metadata
from detectra.data.datasets.cityscapes import load_cityscapes_instances, load_cityscapes_semantic
from detectra.data.datasets.cityscapes_panoptic import register_all_cityscapes_panoptic
from detectra.data.datasets.coco import load_coco_json, load_sem_seg
from detectra.data.datasets.coco_panoptic import register_coco_panoptic, register_coco_panoptic_separated
from detectra.data.datasets.lvis import get_lvis_instances_meta, register_lvis_instances
from detectra.data.datasets.pascal_voc import register_pascal_voc
from detectra.data.datasets.shapes import register_shapes

__all__ = ["register_all_coco", "register_all_lvis", "register_all_pascal_voc", "register_all_cityscapes",
           "register_all_cityscapes_panoptic", "register_all_ade20k", "datasets_root"]  # fmt: skip


def datasets_root() -> str:
    """``$DETECTRA_DATASETS``, else Detectron2's ``$DETECTRON2_DATASETS``, else ``datasets`` (relative to the
    working directory)."""
    root = os.environ.get("DETECTRA_DATASETS") or os.environ.get("DETECTRON2_DATASETS") or "datasets"
    return os.path.expanduser(root)


def _checked(paths: list[str], name: str, loader: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap a loader so that a missing file names the path and the DETECTRA_DATASETS variable."""

    def load() -> Any:
        for p in paths:
            if not os.path.exists(p):
                raise FileNotFoundError(
                    f"Dataset '{name}' needs '{p}', which does not exist. Put the dataset under "
                    f"$DETECTRA_DATASETS or $DETECTRON2_DATASETS (now '{datasets_root()}') in Detectron2's layout, "
                    "or set DETECTRA_DATASETS to the folder that holds it."
                )
        return loader()

    return load


def _rewrap(name: str, paths: list[str]) -> None:
    loader = DatasetCatalog[name]
    DatasetCatalog.remove(name)
    DatasetCatalog.register(name, _checked(paths, name, loader))


_PREDEFINED_SPLITS_COCO = {
    "coco": {
        "coco_2014_train": ("coco/train2014", "coco/annotations/instances_train2014.json"),
        "coco_2014_val": ("coco/val2014", "coco/annotations/instances_val2014.json"),
        "coco_2014_minival": ("coco/val2014", "coco/annotations/instances_minival2014.json"),
        "coco_2014_valminusminival": ("coco/val2014", "coco/annotations/instances_valminusminival2014.json"),
        "coco_2017_train": ("coco/train2017", "coco/annotations/instances_train2017.json"),
        "coco_2017_val": ("coco/val2017", "coco/annotations/instances_val2017.json"),
        "coco_2017_test": ("coco/test2017", "coco/annotations/image_info_test2017.json"),
        "coco_2017_test-dev": ("coco/test2017", "coco/annotations/image_info_test-dev2017.json"),
        "coco_2017_val_100": ("coco/val2017", "coco/annotations/instances_val2017_100.json"),
    },
    "coco_person": {
        "keypoints_coco_2014_train": ("coco/train2014", "coco/annotations/person_keypoints_train2014.json"),
        "keypoints_coco_2014_val": ("coco/val2014", "coco/annotations/person_keypoints_val2014.json"),
        "keypoints_coco_2014_minival": ("coco/val2014", "coco/annotations/person_keypoints_minival2014.json"),
        "keypoints_coco_2017_train": ("coco/train2017", "coco/annotations/person_keypoints_train2017.json"),
        "keypoints_coco_2017_val": ("coco/val2017", "coco/annotations/person_keypoints_val2017.json"),
        "keypoints_coco_2017_val_100": ("coco/val2017", "coco/annotations/person_keypoints_val2017_100.json"),
    },
}

_PREDEFINED_SPLITS_COCO_PANOPTIC = {
    "coco_2017_train_panoptic": ("coco/panoptic_train2017", "coco/annotations/panoptic_train2017.json",
                                 "coco/panoptic_stuff_train2017"),
    "coco_2017_val_panoptic": ("coco/panoptic_val2017", "coco/annotations/panoptic_val2017.json",
                               "coco/panoptic_stuff_val2017"),
    "coco_2017_val_100_panoptic": ("coco/panoptic_val2017_100", "coco/annotations/panoptic_val2017_100.json",
                                   "coco/panoptic_stuff_val2017_100"),
}  # fmt: skip


def register_all_coco(root: str) -> None:
    """Register COCO instances, person keypoints and panoptic (standard + separated) splits under ``root``."""
    for family, splits in _PREDEFINED_SPLITS_COCO.items():
        meta = _get_builtin_metadata(family)
        for name, (image_root, json_file) in splits.items():
            image_root, json_file = os.path.join(root, image_root), os.path.join(root, json_file)
            DatasetCatalog.register(name, _checked([json_file, image_root], name, lambda j=json_file, i=image_root,
                                                   n=name: load_coco_json(j, i, n)))  # fmt: skip
            MetadataCatalog.get(name).set(json_file=json_file, image_root=image_root, evaluator_type="coco", **meta)
    for prefix, (panoptic_root, panoptic_json, semantic_root) in _PREDEFINED_SPLITS_COCO_PANOPTIC.items():
        prefix_instances = prefix[: -len("_panoptic")]
        image_root = MetadataCatalog.get(prefix_instances).image_root
        instances_json = MetadataCatalog.get(prefix_instances).json_file
        pan_root, pan_json, sem_root = (os.path.join(root, p) for p in (panoptic_root, panoptic_json, semantic_root))
        register_coco_panoptic_separated(prefix, _get_builtin_metadata("coco_panoptic_separated"), image_root,
                                         pan_root, pan_json, sem_root, instances_json)  # fmt: skip
        _rewrap(prefix + "_separated", [instances_json, sem_root])
        _rewrap(prefix + "_stuffonly", [sem_root])
        register_coco_panoptic(prefix, _get_builtin_metadata("coco_panoptic_standard"), image_root, pan_root,
                               pan_json, instances_json)  # fmt: skip
        _rewrap(prefix, [pan_json, pan_root])


_PREDEFINED_SPLITS_LVIS = {
    "lvis_v1": {
        "lvis_v1_train": ("coco/", "lvis/lvis_v1_train.json"),
        "lvis_v1_val": ("coco/", "lvis/lvis_v1_val.json"),
        "lvis_v1_test_dev": ("coco/", "lvis/lvis_v1_image_info_test_dev.json"),
        "lvis_v1_test_challenge": ("coco/", "lvis/lvis_v1_image_info_test_challenge.json"),
    },
    "lvis_v0.5": {
        "lvis_v0.5_train": ("coco/", "lvis/lvis_v0.5_train.json"),
        "lvis_v0.5_val": ("coco/", "lvis/lvis_v0.5_val.json"),
        "lvis_v0.5_val_rand_100": ("coco/", "lvis/lvis_v0.5_val_rand_100.json"),
        "lvis_v0.5_test": ("coco/", "lvis/lvis_v0.5_image_info_test.json"),
    },
}


def register_all_lvis(root: str) -> None:
    """Register LVIS v1 and v0.5 splits, with their categories from the builtin LVIS tables."""
    for version, splits in _PREDEFINED_SPLITS_LVIS.items():
        for name, (image_root, json_file) in splits.items():
            json_file, image_root = os.path.join(root, json_file), os.path.join(root, image_root)
            register_lvis_instances(name, get_lvis_instances_meta(name), json_file, image_root)
            _rewrap(name, [json_file])


def register_all_pascal_voc(root: str) -> None:
    """Register VOC 2007 / 2012 splits."""
    for name, dirname, split in [("voc_2007_trainval", "VOC2007", "trainval"), ("voc_2007_train", "VOC2007", "train"),
                                 ("voc_2007_val", "VOC2007", "val"), ("voc_2007_test", "VOC2007", "test"),
                                 ("voc_2012_trainval", "VOC2012", "trainval"), ("voc_2012_train", "VOC2012", "train"),
                                 ("voc_2012_val", "VOC2012", "val")]:  # fmt: skip
        year = 2007 if "2007" in name else 2012
        dirpath = os.path.join(root, dirname)
        register_pascal_voc(name, dirpath, split, year)
        MetadataCatalog.get(name).evaluator_type = "pascal_voc"
        _rewrap(name, [os.path.join(dirpath, "ImageSets", "Main", split + ".txt")])


_RAW_CITYSCAPES_SPLITS = {
    "cityscapes_fine_{task}_train": ("cityscapes/leftImg8bit/train/", "cityscapes/gtFine/train/"),
    "cityscapes_fine_{task}_val": ("cityscapes/leftImg8bit/val/", "cityscapes/gtFine/val/"),
    "cityscapes_fine_{task}_test": ("cityscapes/leftImg8bit/test/", "cityscapes/gtFine/test/"),
}


def register_all_cityscapes(root: str) -> None:
    """Register Cityscapes fine instance (polygon json) and semantic (labelTrainIds png) splits."""
    for key, (image_dir, gt_dir) in _RAW_CITYSCAPES_SPLITS.items():
        meta = _get_builtin_metadata("cityscapes")
        image_dir, gt_dir = os.path.join(root, image_dir), os.path.join(root, gt_dir)
        inst_key = key.format(task="instance_seg")
        DatasetCatalog.register(inst_key, _checked([image_dir, gt_dir], inst_key, lambda x=image_dir, y=gt_dir:
                                load_cityscapes_instances(x, y, from_json=True, to_polygons=True)))  # fmt: skip
        MetadataCatalog.get(inst_key).set(image_dir=image_dir, gt_dir=gt_dir, evaluator_type="cityscapes_instance",
                                          **meta)  # fmt: skip
        sem_key = key.format(task="sem_seg")
        DatasetCatalog.register(sem_key, _checked([image_dir, gt_dir], sem_key, lambda x=image_dir, y=gt_dir:
                                load_cityscapes_semantic(x, y)))  # fmt: skip
        MetadataCatalog.get(sem_key).set(image_dir=image_dir, gt_dir=gt_dir, evaluator_type="cityscapes_sem_seg",
                                         ignore_label=255, **meta)  # fmt: skip


def register_all_ade20k(root: str) -> None:
    """Register ADE20K scene parsing (150 classes) as ade20k_sem_seg_{train,val}, from
    ``ADEChallengeData2016/images/{training,validation}`` and the 0..149 / 255-ignore label pngs in
    ``ADEChallengeData2016/annotations_detectron2/`` (the official annotations minus 1, as Detectron2 prepares them)."""
    root = os.path.join(root, "ADEChallengeData2016")
    for name, dirname in (("train", "training"), ("val", "validation")):
        image_dir = os.path.join(root, "images", dirname)
        gt_dir = os.path.join(root, "annotations_detectron2", dirname)
        key = f"ade20k_sem_seg_{name}"
        DatasetCatalog.register(key, _checked([image_dir, gt_dir], key, lambda x=image_dir, y=gt_dir:
                                load_sem_seg(y, x, gt_ext="png", image_ext="jpg")))  # fmt: skip
        MetadataCatalog.get(key).set(stuff_classes=ADE20K_SEM_SEG_CATEGORIES[:], image_root=image_dir,
                                     sem_seg_root=gt_dir, evaluator_type="sem_seg", ignore_label=255)  # fmt: skip


def _register_all() -> None:
    root = datasets_root()
    register_all_coco(root)
    register_all_lvis(root)
    register_all_cityscapes(root)
    register_all_cityscapes_panoptic(root)
    register_all_pascal_voc(root)
    register_all_ade20k(root)
    register_shapes("shapes", os.path.join(root, "shapes"))


# Registered once, at import of detectra.data (as in Detectron2); names that exist already are left alone.
if "coco_2017_train" not in DatasetCatalog:
    _register_all()
