"""Keypoints of a COCO json given on the command line: the metadata a keypoint R-CNN reads (``keypoint_names``,
``keypoint_flip_map``) taken from the json's category, and a clear refusal of data without keypoints."""
from __future__ import annotations

import argparse
import re
from typing import Any

from detectra.cli._errors import CLIError
from detectra.data import MetadataCatalog

__all__ = ["KEYPOINT_FIELDS", "check_keypoint_data", "flip_map_from_names", "keypoint_fields", "set_keypoint_metadata"]

KEYPOINT_FIELDS = ("keypoint_names", "keypoint_flip_map")  # what a run's datasets.json keeps

_SIDE = re.compile(r"left|right", re.IGNORECASE)
_OTHER_SIDE = {"left": "right", "right": "left"}
_COCO_PERSON_KEYPOINTS = 17  # what an empty TEST.KEYPOINT_OKS_SIGMAS stands for


def flip_map_from_names(names: list[str]) -> dict[str, str]:
    """The pairs of keypoints that swap under a horizontal flip, by their names: ``left_eye`` <-> ``right_eye``
    (any case, anywhere in the name). A keypoint without a mirror (``nose``) flips onto itself."""

    def mirrored(name: str) -> str:
        def swap(m: re.Match) -> str:
            other = _OTHER_SIDE[m.group(0).lower()]
            return other.upper() if m.group(0).isupper() else other.capitalize() if m.group(0)[0].isupper() else other

        return _SIDE.sub(swap, name)

    known = set(names)
    return {n: mirrored(n) for n in names if "left" in n.lower() and mirrored(n) in known}


def set_keypoint_metadata(name: str, categories: list[dict]) -> int:
    """Set ``keypoint_names`` and ``keypoint_flip_map`` of dataset ``name`` from a COCO json's one category with
    ``keypoints`` (the layout of COCO's person keypoints). Returns the number of keypoints, 0 when the json has none."""
    with_keypoints = [c for c in categories if c.get("keypoints")]
    if len(categories) != 1 or not with_keypoints:
        return 0
    names = [str(k) for k in with_keypoints[0]["keypoints"]]
    MetadataCatalog.get(name).set(keypoint_names=names, keypoint_flip_map=flip_map_from_names(names))
    return len(names)


def keypoint_fields(name: str) -> dict[str, Any]:
    """The keypoint metadata of dataset ``name`` (`set_keypoint_metadata`'s), for a run's datasets.json: a later
    `eval` / `predict --run` registers the dataset again with it (a keypoint R-CNN's test loader reads the training
    data's flip pairs)."""
    meta = MetadataCatalog.get(name)
    return {key: meta.get(key) for key in KEYPOINT_FIELDS if meta.get(key) is not None}


def check_keypoint_data(cfg: Any, args: argparse.Namespace, evaluates: bool = True) -> None:
    """A config that trains keypoints (MODEL.KEYPOINT_ON) needs training data with keypoints: refuse a dataset
    given on the command line without them, naming it (a keypoint R-CNN failed with "Attribute 'keypoint_names'
    does not exist in the metadata"). Where the command ``evaluates``, a test set with other than COCO's 17
    keypoints also needs TEST.KEYPOINT_OKS_SIGMAS."""
    if not cfg.MODEL.KEYPOINT_ON:
        return
    for name in getattr(args, "_registered", []):
        names = MetadataCatalog.get(name).get("keypoint_names")
        sigmas = len(cfg.TEST.KEYPOINT_OKS_SIGMAS) or _COCO_PERSON_KEYPOINTS
        if evaluates and name in cfg.DATASETS.TEST and names is not None and len(names) != sigmas:
            raise CLIError(f"'{name}' has {len(names)} keypoints, and the keypoint evaluation needs one OKS sigma "
                           f"each (TEST.KEYPOINT_OKS_SIGMAS: {len(cfg.TEST.KEYPOINT_OKS_SIGMAS)} given; none means "
                           f"COCO's {_COCO_PERSON_KEYPOINTS} person ones): pass TEST.KEYPOINT_OKS_SIGMAS "
                           f"'({', '.join(['0.05'] * len(names))})' with each keypoint's sigma (larger: a looser "
                           "match), so that the evaluation after training does not fail.")  # fmt: skip
        if name in cfg.DATASETS.TRAIN and names is None:
            raise CLIError(f"the config trains keypoints (MODEL.KEYPOINT_ON True), but the training data '{name}' has "
                           "no keypoints: a COCO keypoints json has one category with a 'keypoints' list of names and "
                           "'keypoints' [x, y, v, ...] in its annotations. Pass such a json, or pick a config without "
                           "keypoints (e.g. COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x).")  # fmt: skip
