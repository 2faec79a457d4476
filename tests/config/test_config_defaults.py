"""get_cfg() matches Detectron2's own dump of its defaults, and every Detectron2 model-zoo config loads unchanged."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import yaml

from detectra.config import CfgNode, get_cfg
from detectra.config import defaults as defaults_module

# Additions agreed in TEAM.md, with their defaults. Owners may add more: any leaf key whose line in defaults.py
# carries "# detectra addition" is allowed (see _documented_additions).
TEAM_ADDITIONS = {
    "SOLVER.AMP.PRECISION": "float16",
    "SOLVER.BEST_CHECKPOINTER.ENABLED": False,
    "SOLVER.BEST_CHECKPOINTER.METRIC": "bbox/AP",
    "SOLVER.BEST_CHECKPOINTER.MODE": "max",
    "TEST.VAL_PERIOD": 0,
    "DATASETS.VAL": [],
    "TEST.EARLY_STOP_PATIENCE": 0,
    "DATALOADER.PERSISTENT_WORKERS": False,
}


def _documented_additions() -> set[str]:
    """Keys assigned in defaults.py on a line commented ``# detectra addition``."""
    pattern = re.compile(r"^_C\.([\w.]+) = .*# detectra addition")
    return {m.group(1) for line in inspect.getsource(defaults_module).splitlines() if (m := pattern.match(line))}


MODELS = [
    "cascade_mask_rcnn_R_50_FPN",
    "faster_rcnn_R_50_C4",
    "faster_rcnn_R_50_FPN",
    "keypoint_rcnn_R_50_FPN",
    "mask_rcnn_R_50_FPN",
    "panoptic_fpn_R_50",
    "retinanet_R_50_FPN",
    "rpn_R_50_FPN",
    "semantic_R_50_FPN",
]


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def _assert_same_as_reference(ours: dict, ref: dict) -> None:
    extra = set(ours) - set(ref)
    missing = set(ref) - set(ours)
    assert missing == set(), f"keys missing from ours: {sorted(missing)}"
    undocumented = extra - _documented_additions()
    assert not undocumented, f"extra keys without a '# detectra addition' comment in defaults.py: {sorted(undocumented)}"
    for key, ref_value in ref.items():
        # type() too: 1 == 1.0 == True in Python, but an int where Detectron2 has a float is a bug.
        assert ours[key] == ref_value and type(ours[key]) is type(ref_value), (key, ours[key], ref_value)


def test_get_cfg_dumps_exactly_detectron2_defaults(shared_dir: Path) -> None:
    ref = _flatten(yaml.safe_load((shared_dir / "fixtures/d2parity/defaults.yaml").read_text()))
    ours = _flatten(yaml.safe_load(get_cfg().dump()))
    assert len(ref) == 192
    _assert_same_as_reference(ours, ref)
    assert set(ours) - set(ref) == _documented_additions()  # every documented addition exists
    assert {k: ours[k] for k in TEAM_ADDITIONS} == TEAM_ADDITIONS


@pytest.mark.parametrize("model", MODELS)
def test_model_zoo_config_loads_and_round_trips(shared_dir: Path, model: str) -> None:
    path = shared_dir / "fixtures/d2parity" / model / "config.yaml"
    cfg = get_cfg()
    cfg.merge_from_file(str(path))
    ref = _flatten(yaml.safe_load(path.read_text()))
    _assert_same_as_reference(_flatten(yaml.safe_load(cfg.dump())), ref)
    # The additions keep their defaults: a Detectron2 config never sets them.
    assert cfg.SOLVER.AMP.PRECISION == "float16" and cfg.TEST.VAL_PERIOD == 0


def test_merged_zoo_config_keeps_default_types(shared_dir: Path) -> None:
    cfg = get_cfg()
    cfg.merge_from_file(str(shared_dir / "fixtures/d2parity/mask_rcnn_R_50_FPN/config.yaml"))
    # YAML lists merged into tuple-typed defaults come back as tuples (yacs behaviour).
    assert cfg.INPUT.MIN_SIZE_TRAIN == (640, 672, 704, 736, 768, 800)
    assert cfg.SOLVER.STEPS == (60000, 80000)
    assert cfg.DATASETS.TRAIN == ("coco_2017_train",)
    assert cfg.MODEL.ANCHOR_GENERATOR.SIZES == [[32], [64], [128], [256], [512]]
    assert cfg.MODEL.MASK_ON is True and cfg.MODEL.DEVICE == "cpu"
    assert cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST == 0.0


def test_default_types_follow_detectron2() -> None:
    cfg = get_cfg()
    tuples = [
        "INPUT.MIN_SIZE_TRAIN", "DATASETS.TRAIN", "DATASETS.TEST", "DATASETS.PROPOSAL_FILES_TRAIN",
        "MODEL.RPN.BBOX_REG_WEIGHTS", "MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS", "MODEL.ROI_BOX_CASCADE_HEAD.IOUS",
        "MODEL.ROI_KEYPOINT_HEAD.CONV_DIMS", "SOLVER.STEPS", "TEST.AUG.MIN_SIZES", "DATASETS.VAL",
    ]
    lists = ["MODEL.PIXEL_MEAN", "MODEL.RPN.IN_FEATURES", "MODEL.FPN.IN_FEATURES", "MODEL.ANCHOR_GENERATOR.SIZES"]
    for key in tuples + lists:
        node = cfg
        for part in key.split("."):
            node = node[part]
        assert isinstance(node, tuple if key in tuples else list), key
    assert cfg.SOLVER.WARMUP_FACTOR == 0.001 and cfg.SOLVER.WEIGHT_DECAY_BIAS is None
    assert cfg.MODEL.ROI_BOX_CASCADE_HEAD.BBOX_REG_WEIGHTS[2] == (30.0, 30.0, 15.0, 15.0)
    assert isinstance(cfg.MODEL.PANOPTIC_FPN.COMBINE, CfgNode)
    assert cfg.VERSION == 2


def test_team_additions_are_documented() -> None:
    assert set(TEAM_ADDITIONS) <= _documented_additions()


def test_get_cfg_returns_independent_copies() -> None:
    a = get_cfg()
    a.MODEL.ROI_HEADS.NUM_CLASSES = 3
    a.freeze()
    b = get_cfg()
    assert b.MODEL.ROI_HEADS.NUM_CLASSES == 80 and not b.is_frozen()
