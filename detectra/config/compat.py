"""Configs of older ``VERSION``s: Detectron2's VERSION 0 and 1 key names, upgraded to VERSION 2 (the current one).

``CfgNode.merge_from_file`` uses this for a file whose ``VERSION`` is older (or absent and guessed older): the
defaults are downgraded to the file's version, the file is merged with the key names it was written with, and the
result is upgraded back, so a partial old config merges exactly as it did in its day.

Usage::

    from detectra.config.compat import upgrade_config, downgrade_config
    cfg_v1 = downgrade_config(get_cfg(), to_version=1)
"""
from __future__ import annotations

import logging
from typing import Optional, TypeVar

# A CfgNode; typed by its base class so that cfg_node.py can import this module without a cycle.
_Cfg = TypeVar("_Cfg", bound=dict)

__all__ = ["upgrade_config", "downgrade_config", "guess_version"]

logger = logging.getLogger(__name__)

# VERSION 0 -> 1: the RPN head's name moved under MODEL.RPN
_RENAMED_IN_V1 = [("MODEL.RPN_HEAD.NAME", "MODEL.RPN.HEAD_NAME")]
# VERSION 1 -> 2 (Detectron2's first release): renamed keys, old name first
_RENAMED_IN_V2 = [
    ("MODEL.WEIGHT", "MODEL.WEIGHTS"),
    ("MODEL.PANOPTIC_FPN.SEMANTIC_LOSS_SCALE", "MODEL.SEM_SEG_HEAD.LOSS_WEIGHT"),
    ("MODEL.PANOPTIC_FPN.RPN_LOSS_SCALE", "MODEL.RPN.LOSS_WEIGHT"),
    ("MODEL.PANOPTIC_FPN.INSTANCE_LOSS_SCALE", "MODEL.PANOPTIC_FPN.INSTANCE_LOSS_WEIGHT"),
    ("MODEL.PANOPTIC_FPN.COMBINE_ON", "MODEL.PANOPTIC_FPN.COMBINE.ENABLED"),
    ("MODEL.PANOPTIC_FPN.COMBINE_OVERLAP_THRESHOLD", "MODEL.PANOPTIC_FPN.COMBINE.OVERLAP_THRESH"),
    ("MODEL.PANOPTIC_FPN.COMBINE_STUFF_AREA_LIMIT", "MODEL.PANOPTIC_FPN.COMBINE.STUFF_AREA_LIMIT"),
    (
        "MODEL.PANOPTIC_FPN.COMBINE_INSTANCES_CONFIDENCE_THRESHOLD",
        "MODEL.PANOPTIC_FPN.COMBINE.INSTANCES_CONFIDENCE_THRESH",
    ),
    ("MODEL.ROI_HEADS.SCORE_THRESH", "MODEL.ROI_HEADS.SCORE_THRESH_TEST"),
    ("MODEL.ROI_HEADS.NMS", "MODEL.ROI_HEADS.NMS_THRESH_TEST"),
    ("MODEL.RETINANET.INFERENCE_SCORE_THRESHOLD", "MODEL.RETINANET.SCORE_THRESH_TEST"),
    ("MODEL.RETINANET.INFERENCE_TOPK_CANDIDATES", "MODEL.RETINANET.TOPK_CANDIDATES_TEST"),
    ("MODEL.RETINANET.INFERENCE_NMS_THRESHOLD", "MODEL.RETINANET.NMS_THRESH_TEST"),
    ("TEST.DETECTIONS_PER_IMG", "TEST.DETECTIONS_PER_IMAGE"),
    ("TEST.AUG_ON", "TEST.AUG.ENABLED"),
    ("TEST.AUG_MIN_SIZES", "TEST.AUG.MIN_SIZES"),
    ("TEST.AUG_MAX_SIZE", "TEST.AUG.MAX_SIZE"),
    ("TEST.AUG_FLIP", "TEST.AUG.FLIP"),
]
# VERSION 1 kept anchors twice, under RPN and RETINANET (plus unused RETINANET.ANCHOR_STRIDES); VERSION 2 has one
# MODEL.ANCHOR_GENERATOR, taken from whichever of the two the meta-architecture used.
_ANCHOR_KEYS = ("SIZES", "ASPECT_RATIOS")


def _has(cfg: dict, full_key: str) -> bool:
    node = cfg
    for part in full_key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _pop(cfg: _Cfg, full_key: str):
    """Remove a key and return its value; parents left empty by the removal are removed too."""
    *parents, leaf = full_key.split(".")
    chain = [cfg]
    for part in parents:
        chain.append(chain[-1][part])
    value = chain[-1].pop(leaf)
    for parent, part in zip(reversed(chain[:-1]), reversed(parents)):
        if parent[part]:
            break
        del parent[part]
    return value


def _put(cfg: _Cfg, full_key: str, value) -> None:
    *parents, leaf = full_key.split(".")
    node = cfg
    for part in parents:
        if part not in node:
            dict.__setitem__(node, part, type(cfg)())
        node = node[part]
    dict.__setitem__(node, leaf, value)


def _rename(cfg: _Cfg, old: str, new: str) -> None:
    if _has(cfg, old):
        _put(cfg, new, _pop(cfg, old))


def _upgrade_to_v1(cfg: _Cfg) -> None:
    for old, new in _RENAMED_IN_V1:
        _rename(cfg, old, new)


def _downgrade_to_v0(cfg: _Cfg) -> None:
    for old, new in reversed(_RENAMED_IN_V1):
        _rename(cfg, new, old)


def _upgrade_to_v2(cfg: _Cfg) -> None:
    for old, new in _RENAMED_IN_V2:
        _rename(cfg, old, new)
    used = "RETINANET" if cfg.MODEL.META_ARCHITECTURE == "RetinaNet" else "RPN"
    for key in _ANCHOR_KEYS:
        _rename(cfg, f"MODEL.{used}.ANCHOR_{key}", f"MODEL.ANCHOR_GENERATOR.{key}")
        for head in ("RPN", "RETINANET"):
            if _has(cfg, f"MODEL.{head}.ANCHOR_{key}"):
                _pop(cfg, f"MODEL.{head}.ANCHOR_{key}")
    if _has(cfg, "MODEL.RETINANET.ANCHOR_STRIDES"):
        _pop(cfg, "MODEL.RETINANET.ANCHOR_STRIDES")


def _downgrade_to_v1(cfg: _Cfg) -> None:
    for old, new in reversed(_RENAMED_IN_V2):
        _rename(cfg, new, old)
    for key in _ANCHOR_KEYS:
        value = _pop(cfg, f"MODEL.ANCHOR_GENERATOR.{key}")
        _put(cfg, f"MODEL.RPN.ANCHOR_{key}", value)
        _put(cfg, f"MODEL.RETINANET.ANCHOR_{key}", value)
    _put(cfg, "MODEL.RETINANET.ANCHOR_STRIDES", [])  # in VERSION 1's defaults, never read


_UPGRADES = {1: _upgrade_to_v1, 2: _upgrade_to_v2}  # to_version -> step from to_version - 1
_DOWNGRADES = {1: _downgrade_to_v0, 2: _downgrade_to_v1}  # from_version -> step to from_version - 1
_LATEST = max(_UPGRADES)


def upgrade_config(cfg: _Cfg, to_version: Optional[int] = None) -> _Cfg:
    """A copy of ``cfg`` (a whole config of ``cfg.VERSION``) with the key names of ``to_version`` (default: latest).

    Args:
        cfg: a config whose ``VERSION`` says which key names it has.
        to_version: the version to reach; must not be older than ``cfg.VERSION``.

    Returns:
        A new CfgNode, ``VERSION`` set to ``to_version``.
    """
    cfg = cfg.clone()
    to_version = _LATEST if to_version is None else to_version
    if to_version < cfg.VERSION or to_version > _LATEST:
        raise ValueError(f"Cannot upgrade a VERSION {cfg.VERSION} config to VERSION {to_version} (latest: {_LATEST}).")
    cfg.defrost()
    for version in range(cfg.VERSION + 1, to_version + 1):
        _UPGRADES[version](cfg)
        cfg.VERSION = version
    return cfg


def downgrade_config(cfg: _Cfg, to_version: int) -> _Cfg:
    """A copy of ``cfg`` with the key names of the older ``to_version``.

    Values of keys that did not exist then are dropped; values that an older version kept twice are copied to both
    places. Downgrading and upgrading again gives back the same config.
    """
    cfg = cfg.clone()
    if to_version > cfg.VERSION or to_version < 0:
        raise ValueError(f"Cannot downgrade a VERSION {cfg.VERSION} config to VERSION {to_version}.")
    cfg.defrost()
    for version in range(cfg.VERSION, to_version, -1):
        _DOWNGRADES[version](cfg)
        cfg.VERSION = version - 1
    return cfg


def guess_version(cfg: dict, filename: str) -> int:
    """The VERSION of a loaded config file that does not say: 1 when it uses a key that only VERSION 1 had."""
    # MODEL.WEIGHT is in nearly every partial VERSION 1 config; TEST.AUG_ON in the rest that matter
    if _has(cfg, "MODEL.WEIGHT") or _has(cfg, "TEST.AUG_ON"):
        logger.warning(f"Config '{filename}' has no VERSION and uses VERSION 1 key names: reading it as VERSION 1.")
        return 1
    return _LATEST
