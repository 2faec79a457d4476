"""Data given on the command line against what the config trains: a keypoint R-CNN's keypoint names and flip pairs
come from the COCO json; data without keypoints (or without OKS sigmas for its keypoints), and instance data for a
semantic / panoptic model, are refused before training; a keypoint model that detects nothing is drawn."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch

from detectra.cli._common import check_training_data, load_config
from detectra.cli._errors import CLIError
from detectra.cli._keypoints import check_keypoint_data, flip_map_from_names
from detectra.data import MetadataCatalog
from detectra.data.detection_utils import create_keypoint_hflip_indices
from detectra.structures import Boxes, Instances

CONFIG = "COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x"


def test_flip_map_pairs_left_and_right_names():
    names = ["nose", "left_eye", "right_eye", "LeftHand", "RightHand", "LEFT_FOOT", "left_tail"]
    assert flip_map_from_names(names) == {"left_eye": "right_eye", "LeftHand": "RightHand"}
    assert flip_map_from_names(["left_foot", "RIGHT_FOOT"]) == {}  # not the same case: not taken for a pair


def _keypoint_json(tiny_shapes, tmp_path, split: str) -> str:
    """The tiny shapes split as a one-category COCO keypoints json: the box's centre and its left / right sides."""
    data = json.loads(tiny_shapes[f"{split}_json"].read_text())
    data["categories"] = [{"id": 1, "name": "shape", "keypoints": ["centre", "left_side", "right_side"]}]
    for a in data["annotations"]:
        x, y, w, h = a["bbox"]
        keypoints = [x + w / 2, y + h / 2, 2, x, y + h / 2, 2, x + w, y + h / 2, 2]
        a.update(category_id=1, num_keypoints=3, keypoints=keypoints)
    path = tmp_path / f"{split}_kp.json"
    path.write_text(json.dumps(data))
    return str(path)


def _args(tiny_shapes, train_json: str, val_json: str, opts=(), config: str = CONFIG) -> argparse.Namespace:
    return argparse.Namespace(config_file=config, opts=list(opts), train_json=train_json,
                              train_images=str(tiny_shapes["train_images"]), val_json=val_json,
                              val_images=str(tiny_shapes["val_images"]))  # fmt: skip


def test_keypoint_json_sets_names_flip_pairs_and_keypoint_count(tiny_shapes, tmp_path):
    """A 3-keypoint json: NUM_KEYPOINTS follows it (the config says COCO's 17) and the training loader's flip
    indices swap the left / right sides (it failed with "Attribute 'keypoint_flip_map' does not exist")."""
    train, val = _keypoint_json(tiny_shapes, tmp_path, "train"), _keypoint_json(tiny_shapes, tmp_path, "val")
    args = _args(tiny_shapes, train, val, ["TEST.KEYPOINT_OKS_SIGMAS", "(0.05,0.05,0.05)"])
    cfg = load_config(args)
    check_keypoint_data(cfg, args)
    assert cfg.MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS == 3
    assert MetadataCatalog.get("custom_train").keypoint_names == ["centre", "left_side", "right_side"]
    assert create_keypoint_hflip_indices(cfg.DATASETS.TRAIN) == [0, 2, 1]


def test_keypoint_config_refuses_training_data_without_keypoints(tiny_shapes):
    args = _args(tiny_shapes, str(tiny_shapes["train_json"]), str(tiny_shapes["val_json"]))
    cfg = load_config(args)
    with pytest.raises(CLIError, match=r"the config trains keypoints \(MODEL.KEYPOINT_ON True\), but the training "
                                       r"data 'custom_train' has no keypoints"):  # fmt: skip
        check_keypoint_data(cfg, args)


def test_keypoint_json_without_oks_sigmas_is_refused_before_training(tiny_shapes, tmp_path):
    """3 keypoints and no TEST.KEYPOINT_OKS_SIGMAS: the evaluation failed once training had finished."""
    train, val = _keypoint_json(tiny_shapes, tmp_path, "train"), _keypoint_json(tiny_shapes, tmp_path, "val")
    args = _args(tiny_shapes, train, val)
    cfg = load_config(args)
    with pytest.raises(CLIError, match=r"'custom_val' has 3 keypoints, and the keypoint evaluation needs one OKS "
                                       r"sigma each .* pass TEST.KEYPOINT_OKS_SIGMAS '\(0.05, 0.05, 0.05\)'"):  # fmt: skip
        check_keypoint_data(cfg, args)


def test_draw_predictions_of_a_keypoint_model_that_detected_nothing(tmp_path):
    """A keypoint R-CNN with no detection above the threshold: drawing its outputs failed with "cannot reshape
    array of size 0 into shape (0,newaxis,3)" after a `detectra train` run had finished training."""
    from detectra.cli._outputs import draw_predictions

    image = np.full((32, 48, 3), 90, np.uint8)
    box = Boxes(torch.tensor([[2.0, 2.0, 20.0, 20.0]]))
    instances = Instances((32, 48), pred_boxes=box, scores=torch.tensor([0.1]),
                          pred_classes=torch.zeros(1, dtype=torch.long), pred_keypoints=torch.ones(1, 3, 3))
    drawn = draw_predictions(image, {"instances": instances}, MetadataCatalog.get("kp_draw_test"),
                             str(tmp_path / "out.png"), threshold=0.5)  # fmt: skip
    assert drawn.shape == (32, 48, 3) and (drawn == 90).all()
    assert (tmp_path / "out.png").is_file()


def test_run_folder_registers_the_keypoint_metadata_again(tiny_shapes, tmp_path):
    """`eval --run` of a keypoint run: its test loader reads the training data's flip pairs, which failed with
    "Attribute 'keypoint_names' does not exist in the metadata of dataset 'custom_train'"."""
    from detectra.cli._common import register_saved_datasets, save_registered_datasets
    from detectra.data import DatasetCatalog

    train, val = _keypoint_json(tiny_shapes, tmp_path, "train"), _keypoint_json(tiny_shapes, tmp_path, "val")
    args = _args(tiny_shapes, train, val)
    load_config(args)
    save_registered_datasets(args, str(tmp_path))
    for name in ("custom_train", "custom_val"):
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)
    register_saved_datasets(str(tmp_path))
    assert create_keypoint_hflip_indices(["custom_train"]) == [0, 2, 1]


@pytest.mark.parametrize("config, arch", [("quick_schedules/semantic_R_50_FPN_instant_test", "SemanticSegmentor"),
                                          ("shapes/panoptic_fpn_R_18_shapes", "PanopticFPN")])  # fmt: skip
def test_per_pixel_models_refuse_instance_data_before_training(config, arch, tiny_shapes):
    """--train-json with a semantic / panoptic config failed in the first training step ("SemanticSegmentor needs
    'sem_seg' ground truth in every training input")."""
    args = _args(tiny_shapes, str(tiny_shapes["train_json"]), str(tiny_shapes["val_json"]), config=config)
    cfg = load_config(args)
    with pytest.raises(CLIError, match=rf"{arch} trains on per-pixel ground truth .* \('custom_train' has boxes"):
        check_training_data(cfg, args)


def test_visualize_data_dataloader_refuses_a_keypoint_config_on_data_without_keypoints(tiny_shapes, tmp_path,
                                                                                     capsys):  # fmt: skip
    """`visualize-data --source dataloader` with a keypoint config failed with an AttributeError on
    'keypoint_names'."""
    from detectra.cli import main

    code = main(["visualize-data", "--config-file", CONFIG, "--train-json", str(tiny_shapes["train_json"]),
                 "--train-images", str(tiny_shapes["train_images"]), "--source", "dataloader", "--num", "1", "-o", str(tmp_path / "vis")])  # fmt: skip
    assert code == 1
    assert "but the training data 'custom_train' has no keypoints" in capsys.readouterr().err
