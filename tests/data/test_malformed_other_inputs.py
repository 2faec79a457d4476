"""Malformed LVIS / panoptic jsons, proposal files, label maps and image files, generated here: each gives one error
naming the file, the record and the fix (before: KeyErrors, a silent category -1, silently mismatched proposals,
a transform error without a file name)."""
import json
import pickle

import numpy as np
import pytest
from PIL import Image

from detectra.data import DatasetMapper
from detectra.data.build import load_proposals_into_dataset
from detectra.data.datasets import load_lvis_json, load_sem_seg
from detectra.data.datasets.coco_panoptic import load_coco_panoptic_json
from detectra.data.detection_utils import SizeMismatchError, read_image
from detectra.data.validate import validate_dataset

NAN = float("nan")


def _lvis(**ann):
    return {"images": [{"id": 1, "file_name": "1.png", "width": 64, "height": 48}],
            "annotations": [{"id": 3, "image_id": 1, "bbox": [1, 2, 10, 12], "category_id": 1,
                             "segmentation": [[1, 2, 11, 2, 11, 14]], **ann}],
            "categories": [{"id": 1, "name": "a", "synonyms": ["a"]}, {"id": 2, "name": "b", "synonyms": ["b"]}]}  # fmt: skip


@pytest.mark.parametrize("data, expected", [
    (_lvis(category_id=0), "image id 1, annotation id 3: category_id 0 is not one of the dataset's categories "
                           "(known ids: [1, 2])"),
    (_lvis(category_id=9), "category_id 9 is not one of the dataset's categories"),
    (_lvis(bbox=[1, 2, 3]), "image id 1, annotation id 3: bbox [1, 2, 3] is not 4 numbers"),
    (_lvis(segmentation=[[1, 2, NAN, 2, 11, 14]]), "image id 1, annotation id 3: polygon 0 has NaN"),
    (_lvis(segmentation=[[1, 2, 11, 2]]), "has a shorter or odd-length polygon"),
    (_lvis(image_id=5), "none of its 1 annotations belongs to one of its images (annotation 3 -> image_id 5"),
    ({**_lvis(), "images": [{"id": 1, "file_name": "1.png", "width": 64}]}, "lacks ['height']"),
    ({**_lvis(), "images": [{"id": 1, "width": 64, "height": 48}]}, "image id 1 has neither 'coco_url' nor 'file_name'"),
], ids=["category_0", "unknown_category", "short_bbox", "nan_polygon", "short_polygon", "unknown_image",
        "no_height", "no_file"])  # fmt: skip
def test_lvis_json_errors_name_the_record(tmp_path, data, expected):
    path = tmp_path / "lvis.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError) as e:
        load_lvis_json(str(path), str(tmp_path))
    assert str(e.value).startswith(f"'{path}'") and expected in str(e.value), str(e.value)


def test_lvis_and_panoptic_json_cut_short(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(_lvis())[:40])
    with pytest.raises(ValueError, match=r"\(40 bytes\) is not valid json .* Expected the LVIS json"):
        load_lvis_json(str(path), str(tmp_path))
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")  # an image passed as the json
    with pytest.raises(ValueError, match="Expected the COCO panoptic json"):
        load_coco_panoptic_json(str(path), str(tmp_path), str(tmp_path), {"thing_dataset_id_to_contiguous_id": {}})


@pytest.mark.parametrize("change, expected", [
    (lambda a: a.pop("segments_info"), "annotations[1]: annotation of image id 1 lacks ['segments_info']"),
    (lambda a: a.pop("file_name"), "annotations[1]: annotation of image id 1 lacks ['file_name']"),
    (lambda a: a["segments_info"][0].pop("category_id"), "a segment of image id 1 ({'id': 5}) lacks 'id' or "
                                                         "'category_id'"),
    (lambda a: a.update(image_id=2), "image id 2 has two panoptic annotations ('2.png' and '1.png')"),
], ids=["no_segments_info", "no_png", "segment_without_category", "two_pngs_for_one_image"])  # fmt: skip
def test_panoptic_json_errors_name_the_record(tmp_path, change, expected):
    anns = [{"image_id": 2, "file_name": "2.png", "segments_info": [{"id": 7, "category_id": 1}]},
            {"image_id": 1, "file_name": "1.png", "segments_info": [{"id": 5, "category_id": 1}]}]  # fmt: skip
    change(anns[1])
    path = tmp_path / "panoptic.json"
    path.write_text(json.dumps({"annotations": anns, "images": [], "categories": []}))
    with pytest.raises(ValueError) as e:
        load_coco_panoptic_json(str(path), str(tmp_path), str(tmp_path), {"thing_dataset_id_to_contiguous_id": {1: 0}})
    assert str(e.value).startswith(f"'{path}'") and expected in str(e.value), str(e.value)


@pytest.mark.parametrize("proposals, expected", [
    ({"ids": [1, 2], "boxes": [np.zeros((1, 4))], "objectness_logits": [np.zeros(1)] * 2},
     "has {'ids': 2, 'boxes': 1, 'objectness_logits': 2}: one entry per image"),
    ({"ids": [1], "boxes": [np.zeros((2, 4))], "objectness_logits": [np.zeros(1)]},
     "image id 1: boxes of shape (2, 4) and objectness_logits of shape (1,); expected (N, 4) and (N,)"),
    ({"ids": [1], "boxes": [np.array([1.0, 2, 3, 4])], "objectness_logits": [np.zeros(1)]},
     "boxes of shape (4,)"),
    ({"ids": [1], "boxes": [np.array([[1.0, 2, NAN, 4]])], "objectness_logits": [np.zeros(1)]},
     "image id 1 hold NaN or infinite values"),
], ids=["lists_of_other_lengths", "more_boxes_than_logits", "flat_boxes", "nan_box"])  # fmt: skip
def test_proposal_files_that_do_not_fit(tmp_path, proposals, expected):
    path = tmp_path / "proposals.pkl"
    path.write_bytes(pickle.dumps(proposals))
    with pytest.raises(ValueError) as e:
        load_proposals_into_dataset([{"image_id": 1, "file_name": "x.jpg"}], str(path))
    assert str(path) in str(e.value) and expected in str(e.value), str(e.value)


def test_good_proposals_keep_their_dtype_and_order(tmp_path):
    path = tmp_path / "proposals.pkl"
    boxes = np.array([[0, 0, 5, 5], [1, 1, 9, 9]], np.float32)
    path.write_bytes(pickle.dumps({"ids": [1], "boxes": [boxes], "objectness_logits": [np.array([0.1, 0.9], np.float32)]}))
    (record,) = load_proposals_into_dataset([{"image_id": 1}], str(path))
    assert record["proposal_boxes"].dtype == np.float32 and record["proposal_boxes"].tolist() == boxes[::-1].tolist()


def test_label_map_of_another_size_names_both_files(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / "img" / "a.jpg")
    Image.fromarray(np.zeros((40, 64), np.uint8)).save(tmp_path / "gt" / "a.png")
    (record,) = load_sem_seg(str(tmp_path / "gt"), str(tmp_path / "img"))
    with pytest.raises(SizeMismatchError) as e:
        DatasetMapper(True, augmentations=[], image_format="BGR")(record)
    assert f"Label map '{tmp_path / 'gt' / 'a.png'}' is (width, height) = (64, 40)" in str(e.value)
    assert f"its image '{tmp_path / 'img' / 'a.jpg'}' is (64, 48)" in str(e.value)
    assert [(p.kind, p.message) for p in validate_dataset([record])] == [
        ("bad_label", f"label map '{tmp_path / 'gt' / 'a.png'}' is 64x40 but its image is 64x48")]


def test_empty_image_file_says_so(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(OSError, match=r"Image file '.*empty\.jpg' is empty \(0 bytes\): re-download or re-export"):
        read_image(str(path), "BGR")


@pytest.mark.parametrize("xml, expected", [
    ("<annotation><object><name>dog</name></object></annotation>", "<size/height> is None, not a number"),
    ("<annotation><size><width>64</width><height>48</height></size><object><name>dog</name><bndbox><xmin>1</xmin>"
     "<ymin>2</ymin><xmax>x</xmax><ymax>9</ymax></bndbox></object></annotation>",
     "(object 0, 'dog'): <bndbox/xmax> is 'x', not a number"),
], ids=["no_size", "bad_coordinate"])  # fmt: skip
def test_voc_xml_without_numbers_names_file_object_and_field(tmp_path, xml, expected):
    from detectra.data.datasets.pascal_voc import load_voc_instances

    for sub in ("Annotations", "ImageSets/Main"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    (tmp_path / "Annotations" / "a.xml").write_text(xml)
    with pytest.raises(ValueError) as e:
        load_voc_instances(str(tmp_path), "train", ["dog"])
    assert f"Cannot read VOC annotation '{tmp_path / 'Annotations' / 'a.xml'}'" in str(e.value)
    assert expected in str(e.value), str(e.value)


@pytest.mark.parametrize("line", ["0 nan 0.5 0.2 0.2", "inf 0.5 0.5 0.2 0.2"], ids=["nan_coordinate", "inf_class"])
def test_yolo_label_with_nan_or_inf_names_the_line(tmp_path, line):
    from detectra.data.datasets.formats import load_yolo_dataset

    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / "images" / "train" / "a.jpg")
    (tmp_path / "labels" / "train" / "a.txt").write_text(line + "\n")
    (tmp_path / "data.yaml").write_text(f"path: {tmp_path}\ntrain: images/train\nnames: [dog]\n")
    with pytest.raises(ValueError) as e:
        load_yolo_dataset(str(tmp_path / "data.yaml"), "train")
    assert "a.txt" in str(e.value) and f"'{line}' is not 'class cx cy w h' numbers" in str(e.value), str(e.value)


def _record(**annotation):
    ann = {"bbox": [1, 2, 10, 12], "bbox_mode": 1, "category_id": 0, **annotation}
    return {"file_name": "a.jpg", "image_id": 4, "annotations": [{k: v for k, v in ann.items() if v is not None}]}


@pytest.mark.parametrize("returned, expected", [
    (None, "TypeError: The function registered for dataset 'custom_bad' returned a NoneType; it must return a list "
           "of dicts, one per image (did it forget 'return'?)"),
    ([_record(bbox_mode=None)], "record 0 (image 4) annotation #0 lacks ['bbox_mode'] (e.g. 'bbox': [x, y, w, h], "
                                "'bbox_mode': BoxMode.XYWH_ABS"),
    ([_record(category_id="0")], "annotation #0 has category_id '0'; it must be an integer"),
    ([_record(bbox_mode="XYWH_ABS")], "annotation #0 has bbox_mode 'XYWH_ABS'; use a BoxMode such as BoxMode.XYWH_ABS"),
    ([{**_record(), "annotations": None}], "record 0 (image 4) has 'annotations' None, not a list"),
    ([{"image_id": 4, "annotations": []}], "record 0 (image 4) has no 'file_name'"),
], ids=["returns_none", "no_bbox_mode", "category_str", "bbox_mode_str", "annotations_none", "no_file_name"])  # fmt: skip
def test_custom_dataset_function_results_are_checked_before_training(returned, expected):
    from detectra.data import DatasetCatalog, get_detection_dataset_dicts

    DatasetCatalog.register("custom_bad", lambda: returned)
    try:
        with pytest.raises((TypeError, ValueError)) as e:
            get_detection_dataset_dicts(["custom_bad"])
        assert expected in f"{type(e.value).__name__}: {e.value}", str(e.value)
        # validate-data reports what training refuses
        problems = validate_dataset("custom_bad", check_images=False)
        assert [p.kind for p in problems] == ["load_error"] and expected in problems[0].message, problems
    finally:
        DatasetCatalog.remove("custom_bad")


def test_coco_conversion_reads_sizes_a_custom_loader_left_out(tmp_path):
    """Evaluation converts dicts to COCO; those of a custom loader may lack height/width (the mapper reads them),
    which gave a KeyError. They come from the file's header, after its EXIF rotation as read_image applies it."""
    from detectra.data import DatasetCatalog, MetadataCatalog
    from detectra.data.datasets import convert_to_coco_dict

    image = Image.fromarray(np.zeros((48, 64, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = 6  # rotated by 90 degrees: read as 48 wide, 64 high
    image.save(tmp_path / "rotated.jpg", exif=exif)
    assert read_image(str(tmp_path / "rotated.jpg"), "BGR").shape[:2] == (64, 48)
    record = {"file_name": str(tmp_path / "rotated.jpg"), "image_id": 1,
              "annotations": [{"bbox": [1, 2, 10, 12], "bbox_mode": 1, "category_id": 0}]}  # fmt: skip
    DatasetCatalog.register("custom_no_sizes", lambda: [record])
    MetadataCatalog.get("custom_no_sizes").thing_classes = ["a"]
    try:
        (coco_image,) = convert_to_coco_dict("custom_no_sizes")["images"]
    finally:
        DatasetCatalog.remove("custom_no_sizes")
        MetadataCatalog.remove("custom_no_sizes")
    assert (coco_image["height"], coco_image["width"]) == (64, 48)


def test_validate_data_finds_label_values_outside_the_classes(tmp_path):
    from detectra.data import DatasetCatalog, MetadataCatalog

    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    labels = np.zeros((48, 64), np.uint8)
    labels[:10] = 255  # ignored
    labels[20:, :5] = 3  # 3 classes: 0, 1, 2
    for stem, label_map in (("ok", np.minimum(labels, 2) | (labels == 255) * 255), ("bad", labels)):
        Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / "img" / f"{stem}.jpg")
        Image.fromarray(label_map.astype(np.uint8)).save(tmp_path / "gt" / f"{stem}.png")
    DatasetCatalog.register("labels_out_of_range", lambda: load_sem_seg(str(tmp_path / "gt"), str(tmp_path / "img")))
    MetadataCatalog.get("labels_out_of_range").set(stuff_classes=["a", "b", "c"], ignore_label=255)
    try:
        problems = validate_dataset("labels_out_of_range")
    finally:
        DatasetCatalog.remove("labels_out_of_range")
        MetadataCatalog.remove("labels_out_of_range")
    assert [(p.kind, p.message) for p in problems] == [
        ("bad_label", f"label map '{tmp_path / 'gt' / 'bad.png'}' holds values [3], outside the 3 classes (0..2) and "
                      "the ignore label 255; training would fail on them")]  # fmt: skip


def test_decompression_bomb_names_the_file(tmp_path):
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # a valid PNG header declaring 40000 x 40000 pixels (1.6 G, above PIL's limit) with no pixel data
    header = struct.pack(">IIBBBBB", 40000, 40000, 8, 0, 0, 0, 0)
    path = tmp_path / "huge.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    with pytest.raises(OSError, match=r"Cannot read image '.*huge\.png': Image size .* Downscale the image"):
        read_image(str(path), "BGR")


def test_validate_data_says_an_absolute_file_name_skips_the_image_folder(tmp_path):
    (tmp_path / "img").mkdir()
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / "img" / "a.png")
    path = tmp_path / "abs.json"
    path.write_text(json.dumps({"images": [{"id": 1, "file_name": "/a.png", "width": 64, "height": 48}],
                                "annotations": [], "categories": [{"id": 1, "name": "x"}]}))  # fmt: skip
    messages = [p.message for p in validate_dataset(str(path), image_root=str(tmp_path / "img"))]
    assert "image file '/a.png' does not exist (its file_name is absolute, so the image folder is not used)" in messages


def test_cityscapes_polygon_json_cut_short_names_it(tmp_path):
    from detectra.data.datasets import load_cityscapes_instances

    (tmp_path / "img" / "ulm").mkdir(parents=True)
    (tmp_path / "gt" / "ulm").mkdir(parents=True)
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / "img" / "ulm" / "ulm_1_leftImg8bit.png")
    polygons = tmp_path / "gt" / "ulm" / "ulm_1_gtFine_polygons.json"
    polygons.write_text('{"imgHeight": 48, "imgWidth": 64, "objects": [{"label": "car", "polyg')
    with pytest.raises(ValueError, match=r"'.*ulm_1_gtFine_polygons\.json' \(\d+ bytes\) is not valid json .*Expected "
                                         "the Cityscapes polygon json"):  # fmt: skip
        load_cityscapes_instances(str(tmp_path / "img"), str(tmp_path / "gt"))


def test_category_id_outside_the_classes_names_dataset_image_and_file():
    from detectra.data import DatasetCatalog, MetadataCatalog, get_detection_dataset_dicts

    DatasetCatalog.register("custom_two_classes", lambda: [_record(), _record(category_id=2)])
    MetadataCatalog.get("custom_two_classes").set(thing_classes=["cat", "dog"])
    try:
        with pytest.raises(ValueError) as e:
            get_detection_dataset_dicts(["custom_two_classes"])
        assert str(e.value) == (
            "Dataset custom_two_classes: Image 4 ('a.jpg') has category_id 2, outside the 2 classes of the metadata "
            "(ids 0..1); fix the dataset or its thing_classes."
        )
    finally:
        DatasetCatalog.remove("custom_two_classes")
        MetadataCatalog.remove("custom_two_classes")


def test_missing_proposal_file_says_where_proposal_files_come_from(tmp_path):
    missing = tmp_path / "box_proposals.pkl"
    with pytest.raises(FileNotFoundError) as err:
        load_proposals_into_dataset([{"image_id": 1}], str(missing))
    message = str(err.value)
    assert f"Proposal file '{missing}' not found" in message and "Errno" not in message
    assert "DATASETS.PROPOSAL_FILES_TRAIN" in message and "box_proposals.pkl" in message
