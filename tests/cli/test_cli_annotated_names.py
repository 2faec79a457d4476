"""Annotated copies of two inputs with one file name (from different folders) do not overwrite each other: in
`predict`'s output, and in the predictions/ folder that `train` and `eval` write."""
from __future__ import annotations

import os

import numpy as np
import torch
from PIL import Image

from detectra.cli import train as train_cli
from detectra.cli._outputs import AnnotatedNames
from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.structures import Boxes, Instances


def test_annotated_names_are_unique_per_folder_and_keep_the_format():
    names = AnnotatedNames()
    assert [names("a/img.jpg"), names("b/img.jpg"), names("c/img.tif"), names("d/img_2.png")] == \
           ["img.jpg", "img_2.jpg", "img_3.png", "img_2_2.png"]  # fmt: skip
    assert names.stem("e/img.mp4") == "img_4"


def test_predictions_folder_keeps_both_images_with_one_file_name(tmp_path, monkeypatch):
    """Two val images named 0.png in two folders: the second drawing overwrote the first in predictions/."""
    records = []
    for k, folder in enumerate(("left", "right")):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "0.png"
        Image.fromarray(np.full((32, 48, 3), 60 * (k + 1), np.uint8)).save(path)
        records.append({"file_name": str(path), "image_id": k, "height": 32, "width": 48, "annotations": []})
    name = "annotated_names_test"
    DatasetCatalog.register(name, lambda: records)
    MetadataCatalog.get(name).set(thing_classes=["thing"])
    try:
        def fake_predictor(cfg, weights):
            def predict(d):
                image = np.asarray(Image.open(d["file_name"]))[:, :, ::-1]
                instances = Instances(image.shape[:2], pred_boxes=Boxes(torch.zeros(0, 4)),
                                      scores=torch.zeros(0), pred_classes=torch.zeros(0, dtype=torch.long))  # fmt: skip
                return image, {"instances": instances}
            return predict

        monkeypatch.setattr(train_cli, "_test_predictor", fake_predictor)
        folder = tmp_path / "predictions"
        pairs = train_cli._visualize_test_images(None, "", name, str(folder), 2, 0.5)
    finally:
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)
    assert len(pairs) == 2
    assert sorted(os.listdir(folder)) == ["0.png", "0_2.png"]
    assert np.asarray(Image.open(folder / "0.png"))[0, 0, 0] == 60
    assert np.asarray(Image.open(folder / "0_2.png"))[0, 0, 0] == 120

