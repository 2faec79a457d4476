"""Pascal VOC folders, YOLO datasets and VIA json, generated here from the shapes COCO json, load to the same
boxes and classes, and the command line registers them (validate-data, visualize-data)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from detectra.cli import main
from detectra.data.datasets.formats import load_via_json, load_voc_folder, load_yolo_dataset
from detectra.structures import BoxMode


@pytest.fixture(scope="module")
def coco(tmp_path_factory) -> dict:
    from detectra.data.datasets.shapes import generate_shapes

    paths = generate_shapes(str(tmp_path_factory.mktemp("shapes")), 4, image_size=(96, 128), seed=5)
    data = json.loads(Path(paths["json_file"]).read_text())
    return {"data": data, "images": Path(paths["image_root"])}


def _boxes_by_file(coco: dict) -> dict[str, list[tuple[str, list[float]]]]:
    """file name -> sorted (class name, XYXY box) of the COCO ground truth."""
    names = {c["id"]: c["name"] for c in coco["data"]["categories"]}
    files = {im["id"]: im["file_name"] for im in coco["data"]["images"]}
    out: dict[str, list] = {f: [] for f in files.values()}
    for a in coco["data"]["annotations"]:
        x, y, w, h = a["bbox"]
        out[files[a["image_id"]]].append((names[a["category_id"]], [x, y, x + w, y + h]))
    return {k: sorted(v) for k, v in out.items()}


def _loaded(dicts: list[dict], names: list[str]) -> dict[str, list]:
    out = {}
    for d in dicts:
        boxes = [(names[a["category_id"]], BoxMode.convert(list(a["bbox"]), a["bbox_mode"], BoxMode.XYXY_ABS))
                 for a in d["annotations"]]  # fmt: skip
        out[os.path.basename(d["file_name"])] = sorted(boxes)
    return out


def _assert_same(expected: dict, got: dict, atol: float) -> None:
    assert set(expected) == set(got)
    for f in expected:
        assert [c for c, _ in expected[f]] == [c for c, _ in got[f]], f
        np.testing.assert_allclose([b for _, b in expected[f]], [b for _, b in got[f]], atol=atol)


def write_voc(coco: dict, root: Path) -> Path:
    names = {c["id"]: c["name"] for c in coco["data"]["categories"]}
    for sub in ("Annotations", "ImageSets/Main", "JPEGImages"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    ids = []
    for im in coco["data"]["images"]:
        stem = Path(im["file_name"]).stem
        ids.append(stem)
        shutil.copy(coco["images"] / im["file_name"], root / "JPEGImages" / f"{stem}.jpg")
        objs = ""
        for a in (a for a in coco["data"]["annotations"] if a["image_id"] == im["id"]):
            x, y, w, h = a["bbox"]
            objs += (f"<object><name>{names[a['category_id']]}</name><difficult>0</difficult><bndbox>"
                     f"<xmin>{x + 1}</xmin><ymin>{y + 1}</ymin><xmax>{x + w}</xmax><ymax>{y + h}</ymax>"
                     "</bndbox></object>")  # fmt: skip
        (root / "Annotations" / f"{stem}.xml").write_text(
            f"<annotation><size><width>{im['width']}</width><height>{im['height']}</height><depth>3</depth></size>"
            f"{objs}</annotation>")  # fmt: skip
    (root / "ImageSets" / "Main" / "train.txt").write_text("\n".join(ids) + "\n")
    return root


def write_yolo(coco: dict, root: Path) -> Path:
    cats = sorted(coco["data"]["categories"], key=lambda c: c["id"])
    index = {c["id"]: i for i, c in enumerate(cats)}
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for im in coco["data"]["images"]:
            shutil.copy(coco["images"] / im["file_name"], root / "images" / split / im["file_name"])
            lines = []
            for a in (a for a in coco["data"]["annotations"] if a["image_id"] == im["id"]):
                x, y, w, h = a["bbox"]
                W, H = im["width"], im["height"]
                lines.append(f"{index[a['category_id']]} {(x + w / 2) / W} {(y + h / 2) / H} {w / W} {h / H}")
            (root / "labels" / split / (Path(im["file_name"]).stem + ".txt")).write_text("\n".join(lines))
    names = "\n".join(f"  {i}: {c['name']}" for i, c in enumerate(cats))
    (root / "data.yaml").write_text(f"path: .\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    return root / "data.yaml"


def write_via(coco: dict, root: Path) -> Path:
    """The balloon tutorial's layout: the json next to its images; here rectangles, with a class attribute."""
    names = {c["id"]: c["name"] for c in coco["data"]["categories"]}
    root.mkdir(parents=True)
    data = {}
    for im in coco["data"]["images"]:
        shutil.copy(coco["images"] / im["file_name"], root / im["file_name"])
        regions = {}
        for k, a in enumerate(a for a in coco["data"]["annotations"] if a["image_id"] == im["id"]):
            x, y, w, h = a["bbox"]
            regions[str(k)] = {"shape_attributes": {"name": "rect", "x": x, "y": y, "width": w, "height": h},
                               "region_attributes": {"shape": names[a["category_id"]]}}  # fmt: skip
        data[im["file_name"] + "123"] = {"filename": im["file_name"], "size": 123, "regions": regions,
                                         "file_attributes": {}}  # fmt: skip
    (root / "via_region_data.json").write_text(json.dumps(data))
    return root / "via_region_data.json"


def test_voc_folder(coco, tmp_path):
    dicts, names = load_voc_folder(str(write_voc(coco, tmp_path / "voc")), "train")
    assert names == sorted(c["name"] for c in coco["data"]["categories"] if any(
        a["category_id"] == c["id"] for a in coco["data"]["annotations"]))  # fmt: skip
    _assert_same(_boxes_by_file({**coco, "data": {**coco["data"], "images": [
        {**im, "file_name": Path(im["file_name"]).stem + ".jpg"} for im in coco["data"]["images"]]}}),
        _loaded(dicts, names), atol=1e-6)  # fmt: skip


def test_yolo_dataset(coco, tmp_path):
    dicts, names = load_yolo_dataset(str(write_yolo(coco, tmp_path / "yolo")), "val")
    assert names == [c["name"] for c in sorted(coco["data"]["categories"], key=lambda c: c["id"])]
    sizes = {im["file_name"]: (im["height"], im["width"]) for im in coco["data"]["images"]}
    assert all(sizes[os.path.basename(d["file_name"])] == (d["height"], d["width"]) for d in dicts)
    _assert_same(_boxes_by_file(coco), _loaded(dicts, names), atol=1e-4)


def test_via_json_rectangles_and_balloon_polygons(coco, tmp_path):
    dicts, names = load_via_json(str(write_via(coco, tmp_path / "via")))
    _assert_same(_boxes_by_file(coco), _loaded(dicts, names), atol=1e-6)
    # the balloon layout: polygons, no class attribute -> one class
    image = next(iter((tmp_path / "via").glob("*.jpg"))).name
    region = {"shape_attributes": {"name": "polygon", "all_points_x": [10, 40, 25], "all_points_y": [5, 5, 30]},
              "region_attributes": {}}  # fmt: skip
    (tmp_path / "via" / "balloon.json").write_text(json.dumps(
        {"k": {"filename": image, "size": 1, "regions": [region], "file_attributes": {}}}))
    dicts, names = load_via_json(str(tmp_path / "via" / "balloon.json"), default_class="balloon")
    ann = dicts[0]["annotations"][0]
    assert names == ["balloon"] and ann["category_id"] == 0 and ann["bbox"] == [10, 5, 40, 30]
    assert ann["segmentation"] == [[10.5, 5.5, 40.5, 5.5, 25.5, 30.5]]


def test_bad_yolo_line_names_file_and_line(coco, tmp_path):
    data_yaml = write_yolo(coco, tmp_path / "yolo")
    label = sorted((tmp_path / "yolo" / "labels" / "train").glob("*.txt"))[0]
    label.write_text("7 0.5 0.5 0.1 0.1\n")
    with pytest.raises(ValueError, match=rf"{label.name}:1: '7 0.5 0.5 0.1 0.1' is not .* class in \[0, 4\)"):
        load_yolo_dataset(str(data_yaml), "train")


def test_command_line_registers_each_format(coco, tmp_path, capsys):
    voc = write_voc(coco, tmp_path / "voc")
    yolo = write_yolo(coco, tmp_path / "yolo")
    via = write_via(coco, tmp_path / "via")
    for flags, name in ((["--train-voc", str(voc), "--voc-split", "train"], "custom_train"),
                        (["--yolo-data", str(yolo), "--dataset-name", "y"], "y_train"),
                        (["--train-via", str(via)], "custom_train")):  # fmt: skip
        assert main(["validate-data", *flags]) == 0, flags
        out = capsys.readouterr().out
        assert f"annotations in {name} (" in out and out.endswith("): no problems.\n"), out
    out = tmp_path / "vis"
    assert main(["visualize-data", "--yolo-data", str(yolo), "-o", str(out), "--num", "2"]) == 0
    assert len(list(out.glob("*.jpg"))) == 2  # the images are JPEGs: so are the drawings
