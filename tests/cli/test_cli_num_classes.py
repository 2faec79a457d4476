"""Configs other than the default Faster R-CNN: the CLI reads and sets a config's number of classes at the key its
meta-architecture uses (MODEL.RETINANET.NUM_CLASSES for a RetinaNet, MODEL.SEM_SEG_HEAD.NUM_CLASSES for a semantic
segmentor, model.num_classes in an FCOS LazyConfig, ...), and says what to do with a LazyConfig run."""
from __future__ import annotations

import argparse
import json

import pytest
from PIL import Image

from detectra.cli._common import check_training_classes, load_config
from detectra.cli._errors import CLIError
from detectra.cli._num_classes import config_num_classes, num_classes_keys, set_num_classes
from detectra.config import get_cfg

# A RetinaNet made for the 4 shapes classes, trained on the built-in shapes_train: its ROI_HEADS.NUM_CLASSES (80,
# the default) is not read by the model.
RETINANET_YAML = """\
_BASE_: "Base-RetinaNet.yaml"
MODEL:
  RESNETS: {DEPTH: 18, RES2_OUT_CHANNELS: 64}
  RETINANET: {NUM_CLASSES: 4}
DATASETS:
  TRAIN: ("shapes_train",)
  TEST: ()
"""


@pytest.mark.parametrize("arch, key", [
    ("GeneralizedRCNN", "MODEL.ROI_HEADS.NUM_CLASSES"),
    ("RetinaNet", "MODEL.RETINANET.NUM_CLASSES"),
    ("SemanticSegmentor", "MODEL.SEM_SEG_HEAD.NUM_CLASSES"),
    ("PanopticFPN", "MODEL.ROI_HEADS.NUM_CLASSES"),  # the thing classes; SEM_SEG_HEAD counts stuff + 1
])  # fmt: skip
def test_num_classes_key_follows_the_meta_architecture(arch, key):
    cfg = get_cfg()
    cfg.MODEL.META_ARCHITECTURE = arch
    assert num_classes_keys(cfg)[0] == key
    set_num_classes(cfg, 7)
    assert config_num_classes(cfg) == 7
    node = key.split(".")[1]
    others = {"ROI_HEADS", "RETINANET", "SEM_SEG_HEAD"} - {node}
    assert [cfg.MODEL[n].NUM_CLASSES for n in sorted(others)] == [get_cfg().MODEL[n].NUM_CLASSES
                                                                  for n in sorted(others)]  # fmt: skip


def _val_only_args(config: str, val_json, val_images) -> argparse.Namespace:
    return argparse.Namespace(config_file=config, opts=[], val_json=str(val_json), val_images=str(val_images))


def _retinanet_config(tmp_path):
    from detectra.model_zoo import get_config_file

    config = tmp_path / "retinanet_shapes.yaml"
    config.write_text(RETINANET_YAML.replace("Base-RetinaNet.yaml", get_config_file("Base-RetinaNet.yaml")))
    return str(config)


def test_retinanet_val_only_with_the_same_classes_is_accepted(tiny_shapes, tmp_path):
    """The val json has the 4 classes the RetinaNet config was made for: it was refused as "made for 80 classes"
    (the unused ROI_HEADS.NUM_CLASSES)."""
    args = _val_only_args(_retinanet_config(tmp_path), tiny_shapes["val_json"], tiny_shapes["val_images"])
    cfg = load_config(args)
    check_training_classes(cfg, args)
    assert cfg.MODEL.RETINANET.NUM_CLASSES == 4


def test_retinanet_val_only_with_other_classes_is_refused(tiny_shapes, tmp_path):
    """A 1-class val json with a 4-class RetinaNet config is refused, naming the RetinaNet's 4 classes."""
    data = json.loads(tiny_shapes["val_json"].read_text())
    data["categories"] = data["categories"][:1]
    data["annotations"] = [a for a in data["annotations"] if a["category_id"] == data["categories"][0]["id"]]
    val = tmp_path / "val.json"
    val.write_text(json.dumps(data))
    args = _val_only_args(_retinanet_config(tmp_path), val, tiny_shapes["val_images"])
    cfg = load_config(args)
    assert cfg.MODEL.RETINANET.NUM_CLASSES == 1
    with pytest.raises(CLIError, match=r"\(custom_val, 1 class\), so training would run on the config's "
                                       r"DATASETS.TRAIN \('shapes_train',\) \(made for 4 classes\)"):  # fmt: skip
        check_training_classes(cfg, args)


@pytest.mark.parametrize("config, key", [
    ("COCO-Detection/fcos_R_50_FPN_1x.py", "model.num_classes"),
    ("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py", "model.roi_heads.num_classes"),
])  # fmt: skip
def test_dataset_flags_with_a_lazy_config_are_refused_naming_its_class_key(config, key, tiny_shapes):
    """--train-json with a LazyConfig (FCOS has no YAML config) was ignored: the run went on to the config's own
    coco_2017_train and failed on its missing json."""
    args = argparse.Namespace(config_file=config, opts=["train.max_iter=2"], train_json=str(tiny_shapes["train_json"]),
                              train_images=str(tiny_shapes["train_images"]), val_json="", val_images="")  # fmt: skip
    with pytest.raises(CLIError, match=rf"--train-json fills a YAML config's DATASETS and NUM_CLASSES; .* is a "
                                       rf"LazyConfig \(\.py\)\. .* {key}=N"):  # fmt: skip
        load_config(args, allow_lazy=True)


def test_predict_on_an_fcos_run_does_not_point_at_a_yaml_config(tmp_path, capsys):
    """A LazyConfig run of a model that no YAML config builds (FCOS): the refusal sent the user looking for "a YAML
    config of the same model"; it says how to run it from Python instead."""
    from detectra.cli import main
    from detectra.config import LazyConfig
    from detectra.model_zoo import get_config_file

    run = tmp_path / "fcos"
    run.mkdir()
    LazyConfig.save(LazyConfig.load(get_config_file("COCO-Detection/fcos_R_50_FPN_1x.py")), str(run / "config.yaml"))
    (run / "model_final.pth").write_bytes(b"")
    Image.new("RGB", (8, 8)).save(tmp_path / "image.png")
    assert main(["predict", str(tmp_path / "image.png"), "--run", str(run), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"Evaluate it with 'detectra eval --run {run}'; its model (FCOS) has no YAML config, so run it from " \
           f"Python: model = instantiate(LazyConfig.load('{run / 'config.yaml'}').model)" in err, err
    assert "YAML config of the same model" not in err
