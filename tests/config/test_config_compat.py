"""VERSION 0 and 1 configs (Detectron2's first key names) merge into today's defaults with their values in the new keys."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from detectra.config import get_cfg
from detectra.config.compat import downgrade_config, upgrade_config


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _changed(cfg) -> dict:
    """full key -> value for every key whose value differs from the defaults."""
    defaults = get_cfg()

    def walk(node, ref, prefix):
        for key, value in node.items():
            full = f"{prefix}{key}"
            if isinstance(value, dict):
                yield from walk(value, ref[key], full + ".")
            elif value != ref[key]:
                yield full, value

    return dict(walk(cfg, defaults, ""))


def test_downgrade_then_upgrade_is_the_identity():
    cfg = get_cfg()
    cfg.MODEL.ANCHOR_GENERATOR.SIZES = [[16], [32]]
    v1 = downgrade_config(cfg, to_version=1)
    assert v1.VERSION == 1 and cfg.VERSION == 2  # a copy: the argument is untouched
    assert v1.MODEL.WEIGHT == "" and "WEIGHTS" not in v1.MODEL
    assert v1.TEST.AUG_ON is False and "AUG" not in v1.TEST
    assert v1.MODEL.RPN.ANCHOR_SIZES == v1.MODEL.RETINANET.ANCHOR_SIZES == [[16], [32]]
    assert "SIZES" not in v1.MODEL.ANCHOR_GENERATOR and v1.MODEL.ANCHOR_GENERATOR.NAME == "DefaultAnchorGenerator"
    assert upgrade_config(v1) == cfg
    with pytest.raises(ValueError, match="Cannot upgrade"):
        upgrade_config(cfg, to_version=3)


def test_version1_rcnn_file_merges_into_the_new_keys(tmp_path):
    path = _write(
        tmp_path / "old_mask_rcnn.yaml",
        """VERSION: 1
MODEL:
  WEIGHT: "R-50.pkl"
  MASK_ON: True
  RPN:
    ANCHOR_SIZES: [[32], [64], [128], [256], [512]]
    ANCHOR_ASPECT_RATIOS: [[0.5, 1.0]]
  ROI_HEADS:
    SCORE_THRESH: 0.3
    NMS: 0.6
  PANOPTIC_FPN:
    COMBINE_ON: False
    INSTANCE_LOSS_SCALE: 0.5
    SEMANTIC_LOSS_SCALE: 0.25
TEST:
  DETECTIONS_PER_IMG: 50
  AUG_ON: True
  AUG_MIN_SIZES: (400, 500)
  AUG_FLIP: False
""",
    )
    cfg = get_cfg()
    cfg.merge_from_file(path)
    assert _changed(cfg) == {
        "MODEL.WEIGHTS": "R-50.pkl",
        "MODEL.MASK_ON": True,
        "MODEL.ANCHOR_GENERATOR.SIZES": [[32], [64], [128], [256], [512]],
        "MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS": [[0.5, 1.0]],
        "MODEL.ROI_HEADS.SCORE_THRESH_TEST": 0.3,
        "MODEL.ROI_HEADS.NMS_THRESH_TEST": 0.6,
        "MODEL.PANOPTIC_FPN.COMBINE.ENABLED": False,
        "MODEL.PANOPTIC_FPN.INSTANCE_LOSS_WEIGHT": 0.5,
        "MODEL.SEM_SEG_HEAD.LOSS_WEIGHT": 0.25,
        "TEST.DETECTIONS_PER_IMAGE": 50,
        "TEST.AUG.ENABLED": True,
        "TEST.AUG.MIN_SIZES": (400, 500),
        "TEST.AUG.FLIP": False,
    }
    assert cfg.VERSION == 2
    assert set(cfg.MODEL.RPN) == set(get_cfg().MODEL.RPN)  # no VERSION 1 key is left behind


def test_retinanet_file_without_version_is_guessed_and_takes_retinanet_anchors(tmp_path, caplog):
    path = _write(
        tmp_path / "old_retinanet.yaml",
        """MODEL:
  META_ARCHITECTURE: "RetinaNet"
  WEIGHT: "R-50.pkl"
  RETINANET:
    ANCHOR_SIZES: [[32, 40, 50], [64, 80, 101]]
    INFERENCE_SCORE_THRESHOLD: 0.1
    INFERENCE_TOPK_CANDIDATES: 500
    INFERENCE_NMS_THRESHOLD: 0.4
""",
    )
    cfg = get_cfg()
    with caplog.at_level(logging.WARNING):
        cfg.merge_from_file(path)
    assert "has no VERSION and uses VERSION 1 key names" in caplog.text
    assert cfg.MODEL.ANCHOR_GENERATOR.SIZES == [[32, 40, 50], [64, 80, 101]]
    assert cfg.MODEL.RETINANET.SCORE_THRESH_TEST == 0.1
    assert cfg.MODEL.RETINANET.TOPK_CANDIDATES_TEST == 500
    assert cfg.MODEL.RETINANET.NMS_THRESH_TEST == 0.4
    assert "ANCHOR_STRIDES" not in cfg.MODEL.RETINANET


def test_version1_errors_name_the_old_key_and_a_frozen_config_refuses(tmp_path):
    unknown = _write(tmp_path / "typo.yaml", "VERSION: 1\nMODEL:\n  WEIGHTT: x\n")
    with pytest.raises(KeyError, match="MODEL.WEIGHTT"):
        get_cfg().merge_from_file(unknown)
    cfg = get_cfg()
    cfg.freeze()
    with pytest.raises(AttributeError, match="immutable"):
        cfg.merge_from_file(_write(tmp_path / "v1.yaml", "VERSION: 1\nSEED: 3\n"))
    cfg.defrost()
    cfg.merge_from_file(str(tmp_path / "v1.yaml"))
    assert cfg.SEED == 3 and cfg.VERSION == 2


def test_version0_file_merges_through_both_upgrades(tmp_path):
    # VERSION 0 named the RPN head MODEL.RPN_HEAD.NAME and still had every VERSION 1 name (MODEL.WEIGHT, ...)
    path = _write(
        tmp_path / "v0.yaml",
        "VERSION: 0\nMODEL:\n  WEIGHT: w0.pkl\n  RPN_HEAD:\n    NAME: MyRPNHead\n  ROI_HEADS:\n    SCORE_THRESH: 0.3\n"
        "  RPN:\n    ANCHOR_SIZES: [[24], [48]]\nTEST:\n  DETECTIONS_PER_IMG: 7\n",
    )
    cfg = get_cfg()
    cfg.merge_from_file(path)
    assert cfg.VERSION == 2
    assert _changed(cfg) == {
        "MODEL.WEIGHTS": "w0.pkl",
        "MODEL.RPN.HEAD_NAME": "MyRPNHead",
        "MODEL.ROI_HEADS.SCORE_THRESH_TEST": 0.3,
        "MODEL.ANCHOR_GENERATOR.SIZES": [[24], [48]],
        "TEST.DETECTIONS_PER_IMAGE": 7,
    }
    assert "RPN_HEAD" not in cfg.MODEL
    v0 = downgrade_config(get_cfg(), to_version=0)
    assert v0.VERSION == 0 and v0.MODEL.RPN_HEAD.NAME == "StandardRPNHead" and "HEAD_NAME" not in v0.MODEL.RPN
    assert upgrade_config(v0) == get_cfg()
    with pytest.raises(ValueError, match="VERSION 0 to 2"):
        get_cfg().merge_from_file(_write(tmp_path / "neg.yaml", "VERSION: -1\n"))
