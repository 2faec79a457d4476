"""Renaming Caffe2 / Detectron1 weights to Detectron2's names, and matching checkpoint keys to model keys by suffix.

The renaming rules are Detectron2's (``detectron2/checkpoint/c2_model_loading.py``), so a Caffe2 model-zoo file
lands on the same parameters as it does in Detectron2.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Mapping, Union

import numpy as np
import torch

__all__ = ["convert_basic_c2_names", "convert_c2_detectron_names", "align_and_update_state_dicts"]

logger = logging.getLogger(__name__)

ArrayLike = Union[np.ndarray, torch.Tensor]

# Ordered (pattern, replacement) rules, applied with re.sub to every name after "_" -> "." (Detectron2's order).
_BASIC_RULES: list[tuple[str, str]] = [
    (r"\.b$", ".bias"),
    (r"\.w$", ".weight"),
    # batch norm and group norm parameters are all called "norm"
    (r"bn\.s$", "norm.weight"),
    (r"bn\.bias$", "norm.bias"),
    (r"bn\.rm", "norm.running_mean"),
    (r"bn\.running\.mean$", "norm.running_mean"),
    (r"bn\.riv$", "norm.running_var"),
    (r"bn\.running\.var$", "norm.running_var"),
    (r"bn\.gamma$", "norm.weight"),
    (r"bn\.beta$", "norm.bias"),
    (r"gn\.s$", "norm.weight"),
    (r"gn\.bias$", "norm.bias"),
    # stem; "^conv1" only, so that "conv1" inside heads is left alone
    (r"^res\.conv1\.norm\.", "conv1.norm."),
    (r"^conv1\.", "stem.conv1."),
    # residual blocks
    (r"\.branch1\.", ".shortcut."),
    (r"\.branch2a\.", ".conv1."),
    (r"\.branch2b\.", ".conv2."),
    (r"\.branch2c\.", ".conv3."),
    # DensePose
    (r"^body\.conv\.fcn", "body_conv_fcn"),
    (r"AnnIndex\.lowres", "ann_index_lowres"),
    (r"Index\.UV\.lowres", "index_uv_lowres"),
    (r"U\.lowres", "u_lowres"),
    (r"V\.lowres", "v_lowres"),
]

_DETECTION_RULES: list[tuple[str, str]] = [
    # RPN: the FPN variant shares the level-2 ("fpn2") conv across levels
    (r"conv\.rpn\.fpn2", "proposal_generator.rpn_head.conv"),
    (r"conv\.rpn", "proposal_generator.rpn_head.conv"),
    (r"rpn\.bbox\.pred\.fpn2", "proposal_generator.rpn_head.anchor_deltas"),
    (r"rpn\.cls\.logits\.fpn2", "proposal_generator.rpn_head.objectness_logits"),
    (r"rpn\.bbox\.pred", "proposal_generator.rpn_head.anchor_deltas"),
    (r"rpn\.cls\.logits", "proposal_generator.rpn_head.objectness_logits"),
    # Fast R-CNN box head
    (r"^bbox\.pred", "bbox_pred"),
    (r"^cls\.score", "cls_score"),
    (r"^fc6\.", "box_head.fc1."),
    (r"^fc7\.", "box_head.fc2."),
    (r"^head\.conv", "box_head.conv"),
]

_HEAD_RULES: list[tuple[str, str]] = [
    # mask head (StandardROIHeads, then Res5ROIHeads)
    (r"\.\[mask\]\.fcn", "mask_head.mask_fcn"),
    (r"^\.mask\.fcn", "mask_head.mask_fcn"),
    (r"mask\.fcn\.logits", "mask_head.predictor"),
    (r"conv5\.mask", "mask_head.deconv"),
    # keypoint head
    (r"conv\.fcn", "roi_heads.keypoint_head.conv_fcn"),
    (r"kps\.score\.lowres", "roi_heads.keypoint_head.score_lowres"),
    (r"kps\.score\.", "roi_heads.keypoint_head.score."),
]


def _apply(rules: list[tuple[str, str]], name: str) -> str:
    for pattern, repl in rules:
        name = re.sub(pattern, repl, name)
    return name


def convert_basic_c2_names(original_keys: list[str]) -> list[str]:
    """Rename Caffe2 ResNet blob names to Detectron2's (backbone-relative) names.

    Example: ``res2_0_branch2a_w`` -> ``res2.0.conv1.weight``, ``res_conv1_bn_s`` -> ``stem.conv1.norm.weight``.

    Args:
        original_keys: Caffe2 blob names.

    Returns:
        The converted names, in the same order.
    """
    hard_coded = {"pred_b": "linear_b", "pred_w": "linear_w"}
    return [_apply(_BASIC_RULES, hard_coded.get(k, k).replace("_", ".")) for k in original_keys]


def _fpn_name(name: str) -> str:
    # fpn.inner.res2.2.sum.lateral.weight -> fpn_lateral2.weight; fpn.res2.2.sum.weight -> fpn_output2.weight
    parts = name.split(".")
    norm = ".norm" if "norm" in parts else ""
    if name.startswith("fpn.inner."):
        return f"fpn_lateral{int(parts[2][len('res'):])}{norm}.{parts[-1]}"
    if name.startswith("fpn.res"):
        return f"fpn_output{int(parts[1][len('res'):])}{norm}.{parts[-1]}"
    return name


def convert_c2_detectron_names(weights: Mapping[str, ArrayLike]) -> tuple[dict[str, ArrayLike], dict[str, str]]:
    """Rename a Caffe2 Detectron(1) model's weights to Detectron2's names (up to a common suffix).

    Besides renaming, the background class is dropped from ``bbox_pred`` (first 4 rows) and mask ``predictor``
    (first row), and moved from first to last row in ``cls_score``, as Detectron2 orders classes.

    Args:
        weights: ``{blob name: array}``.

    Returns:
        ``(renamed weights, {new name: original name})``.
    """
    original_keys = sorted(weights.keys())
    new_keys = convert_basic_c2_names(original_keys)
    new_keys = [_fpn_name(_apply(_DETECTION_RULES, k)) for k in new_keys]
    new_keys = [_apply(_HEAD_RULES, k) for k in new_keys]
    if len(set(new_keys)) != len(new_keys):
        dupes = sorted({k for k in new_keys if new_keys.count(k) > 1})
        raise ValueError(f"Caffe2 weight names collide after conversion to Detectron2 names: {dupes[:5]}")

    new_weights: dict[str, ArrayLike] = {}
    new_to_original: dict[str, str] = {}
    for orig, renamed in zip(original_keys, new_keys):
        new_to_original[renamed] = orig
        value = weights[orig]
        if renamed.startswith("bbox_pred.") or renamed.startswith("mask_head.predictor."):
            start = 4 if renamed.startswith("bbox_pred.") else 1
            value = value[start:]
            logger.info(f"Removed background-class rows from {orig}: {tuple(weights[orig].shape)} -> {tuple(value.shape)}")
        elif renamed.startswith("cls_score."):
            cat = np.concatenate if isinstance(value, np.ndarray) else torch.cat
            value = cat((value[1:], value[:1]))
            logger.info(f"Moved the background class of {orig} from the first to the last row")
        new_weights[renamed] = value
    return new_weights, new_to_original


def align_and_update_state_dicts(
    model_state_dict: Mapping[str, torch.Tensor],
    ckpt_state_dict: Mapping[str, ArrayLike],
    c2_conversion: bool = True,
) -> dict[str, ArrayLike]:
    """Map checkpoint keys onto model keys by suffix, for checkpoints whose names differ by a prefix.

    For every model key, the longest checkpoint key equal to it or ending it at a "." boundary is chosen
    (``backbone.bottom_up.res2.0.conv1.weight`` takes ``res2.0.conv1.weight``). Matches whose shape differs from
    the model's are skipped with a warning. One checkpoint key matching two model keys is ambiguous and raises.

    Args:
        model_state_dict: the model's state dict (only keys and shapes are used).
        ckpt_state_dict: the checkpoint's weights.
        c2_conversion: first rename Caffe2 blob names with :func:`convert_c2_detectron_names`.

    Returns:
        ``{model key: checkpoint value}`` for every matched key.
    """
    if c2_conversion:
        ckpt_state_dict, original_keys = convert_c2_detectron_names(ckpt_state_dict)
    else:
        original_keys = {k: k for k in ckpt_state_dict}

    result: dict[str, ArrayLike] = {}
    matched: dict[str, str] = {}  # checkpoint key -> model key
    for key_model in sorted(model_state_dict.keys()):
        key_ckpt = _longest_suffix_match(key_model, ckpt_state_dict)
        if key_ckpt is None:
            continue
        value = ckpt_state_dict[key_ckpt]
        shape_model = tuple(model_state_dict[key_model].shape)
        if tuple(value.shape) != shape_model:
            logger.warning(
                f"Shape of {original_keys[key_ckpt]} in checkpoint is {tuple(value.shape)}, while shape of "
                f"{key_model} in model is {shape_model}; it will not be loaded (expected if, e.g., the number "
                "of classes differs)."
            )
            continue
        if key_ckpt in matched:
            raise ValueError(
                f"Ambiguous checkpoint: its key '{original_keys[key_ckpt]}' matches two model keys, "
                f"'{matched[key_ckpt]}' and '{key_model}'. Load it without matching heuristics, with full names."
            )
        matched[key_ckpt] = key_model
        result[key_model] = value

    unmatched = sorted(set(ckpt_state_dict) - set(matched))
    if unmatched:
        logger.info(
            f"{len(unmatched)} checkpoint keys matched no model key, e.g.: "
            + ", ".join(original_keys[k] for k in unmatched[:8])
        )
    return result


def _longest_suffix_match(key_model: str, ckpt: Mapping[str, Any]) -> Any:
    # Candidate suffixes, longest first: "a.b.c", "b.c", "c".
    parts = key_model.split(".")
    for i in range(len(parts)):
        suffix = ".".join(parts[i:])
        if suffix in ckpt:
            return suffix
    return None
