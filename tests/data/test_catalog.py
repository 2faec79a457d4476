import logging

import pytest

from detectra.data import DatasetCatalog, Metadata, MetadataCatalog


@pytest.fixture
def names():
    created = []
    yield created
    for n in created:
        if n in DatasetCatalog:
            DatasetCatalog.remove(n)
        if n in MetadataCatalog:
            MetadataCatalog.remove(n)


def test_register_get_list_remove(names):
    names.append("cat_test_a")
    calls = []
    DatasetCatalog.register("cat_test_a", lambda: calls.append(1) or [{"file_name": "x.jpg"}])
    assert calls == []  # lazy: nothing loaded at registration
    assert DatasetCatalog.get("cat_test_a") == [{"file_name": "x.jpg"}]
    assert calls == [1]
    assert "cat_test_a" in DatasetCatalog.list()
    with pytest.raises(KeyError, match="already registered"):
        DatasetCatalog.register("cat_test_a", lambda: [])
    DatasetCatalog.remove("cat_test_a")
    assert "cat_test_a" not in DatasetCatalog.list()


def test_unknown_name_lists_close_matches_first():
    with pytest.raises(KeyError) as e:
        DatasetCatalog.get("coco_2017_trian")
    msg = str(e.value)
    assert "Did you mean: coco_2017_train" in msg
    assert msg.index("coco_2017_train") < msg.index("voc_2007_test")


def test_metadata_set_get_and_conflicts(names):
    names.append("cat_test_meta")
    m = MetadataCatalog.get("cat_test_meta")
    assert MetadataCatalog.get("cat_test_meta") is m
    m.set(thing_classes=["a", "b"], evaluator_type="coco").set(ignore_label=255)
    m.thing_classes = ["a", "b"]  # same value again is fine
    with pytest.raises(AssertionError, match="different value"):
        m.thing_classes = ["a", "c"]
    assert m.get("stuff_classes") is None and m.get("ignore_label") == 255
    assert m.as_dict()["evaluator_type"] == "coco"
    with pytest.raises(AttributeError, match="Available keys"):
        m.missing_key
    MetadataCatalog.remove("cat_test_meta")
    assert MetadataCatalog.get("cat_test_meta").get("thing_classes") is None


def test_renamed_attributes_warn(caplog):
    m = Metadata(name="renamed")
    with caplog.at_level(logging.WARNING):
        m.class_names = ["x"]
    assert m.thing_classes == ["x"]
    assert "renamed to 'thing_classes'" in caplog.text
    with caplog.at_level(logging.WARNING):
        assert m.class_names == ["x"]


def test_builtin_coco_metadata():
    meta = MetadataCatalog.get("coco_2017_val")
    assert len(meta.thing_classes) == 80 and meta.thing_classes[0] == "person"
    assert meta.thing_dataset_id_to_contiguous_id[90] == 79 and meta.thing_colors[0] == [220, 20, 60]
    assert meta.evaluator_type == "coco"
    kp = MetadataCatalog.get("keypoints_coco_2017_val")
    assert len(kp.keypoint_names) == 17 and ("left_eye", "right_eye") in kp.keypoint_flip_map
    pan = MetadataCatalog.get("coco_2017_val_panoptic_separated")
    assert len(pan.stuff_classes) == 54 and pan.stuff_classes[0] == "things"
    std = MetadataCatalog.get("coco_2017_val_panoptic")
    assert len(std.stuff_classes) == 133 and std.evaluator_type == "coco_panoptic_seg"


def test_builtin_missing_files_say_where(monkeypatch):
    for name in ("coco_2017_val", "lvis_v1_val", "voc_2007_test", "cityscapes_fine_sem_seg_val"):
        with pytest.raises(FileNotFoundError, match="DETECTRA_DATASETS") as e:
            DatasetCatalog.get(name)
        assert name in str(e.value)
