"""Helpers to check a detectra model against the reference Detectron2 outputs in ``shared/fixtures/d2parity``.

Reusable for every architecture in the fixtures: build the model from the fixture's config, load the fixture's
deterministic weights through the checkpointer's Detectron2 path, run the fixture images one at a time (batch of 1,
as the reference did), and compare features / proposals / detections within the fixture README's bounds.

Typical use::

    fx = ParityFixture(shared_dir, "faster_rcnn_R_50_FPN")
    model = fx.build_model()
    run = fx.run(model, image_index=0)          # ParityRun(outputs, features, proposals)
    fx.check_features(run, 0)
    fx.check_proposals(run, 0)
    fx.check_detections(run, 0)
"""
from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_util
from torchvision.ops import box_iou

from detectra.checkpoint import DetectionCheckpointer
from detectra.config import LazyConfig, get_cfg, instantiate
from detectra.modeling import build_model
from detectra.structures import Instances

FEATURE_REL_TOL = 1e-4
BOX_IOU_MIN = 0.99
SCORE_ABS_TOL = 1e-3
MATCHED_FRACTION_MIN = 0.99
MASK_IOU_MIN = 0.98
KEYPOINT_PX_TOL = 0.5
SEM_SEG_AGREEMENT_MIN = 0.999
PANOPTIC_AGREEMENT_MIN = 0.99


@dataclass
class ParityRun:
    """What one forward pass produced: the model's output dict, the backbone features of the padded batch and the
    proposals the ROI heads received (None for models without ROI heads)."""

    outputs: Dict
    features: Dict[str, torch.Tensor]
    proposals: Optional[Instances] = None
    extras: Dict = field(default_factory=dict)


@pytest.fixture(autouse=True)
def float32_determinism():
    """The fixtures were computed in float32: make sure no earlier test left low-precision matmuls on. Autouse in
    every test module that imports it."""
    prev = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    yield
    torch.set_float32_matmul_precision(prev)


def _load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ParityFixture:
    """One model's reference fixture.

    Args:
        shared_dir: the ``shared/`` folder (the ``shared_dir`` pytest fixture).
        model_name: a sub-folder of ``fixtures/d2parity`` (e.g. "faster_rcnn_R_50_FPN").
    """

    def __init__(self, shared_dir: Path, model_name: str):
        self.root = Path(shared_dir) / "fixtures" / "d2parity"
        self.dir = self.root / model_name
        self.model_name = model_name
        self.ref = np.load(self.dir / "outputs.npz")
        self.inputs = np.load(self.root / "inputs.npz")

    @property
    def is_lazy(self) -> bool:
        """True for fixtures saved by Detectron2's ``LazyConfig.save`` (a top-level ``model`` with ``_target_``)."""
        return "_target_" in LazyConfig.load(self.dir / "config.yaml").get("model", {})

    def lazy_config(self):
        """The fixture's LazyConfig, read by detectra's ``LazyConfig.load`` (``detectron2.*`` targets included)."""
        cfg = LazyConfig.load(self.dir / "config.yaml")
        if "device" in cfg.get("model", {}):
            cfg.model.device = "cpu"
        return cfg

    def config(self):
        cfg = get_cfg()
        cfg.merge_from_file(str(self.dir / "config.yaml"))
        cfg.MODEL.DEVICE = "cpu"
        return cfg

    def state_dict(self) -> Dict[str, np.ndarray]:
        """The fixture's weights, ``{Detectron2 key: float32 array}``."""
        weights = _load_module(self.root / "weights.py", "_d2parity_weights")
        return weights.make_state_dict(weights.load_manifest(str(self.dir / "manifest.json")))

    def build_model(self) -> torch.nn.Module:
        """Build from the fixture config and load its weights through ``DetectionCheckpointer``'s Detectron2 path;
        fails if any fixture key is unused or any model parameter is left unloaded."""
        model = instantiate(self.lazy_config().model) if self.is_lazy else build_model(self.config())
        checkpoint = {"model": self.state_dict(), "__author__": "detectron2 parity fixture", "matching_heuristics": True}
        incompatible = DetectionCheckpointer(model)._load_model(checkpoint)
        # integer buffers (num_batches_tracked, Swin's relative_position_index) are absent from the fixture by design
        integer_buffers = {k for k, v in model.state_dict().items() if not v.is_floating_point()}
        missing = [k for k in incompatible.missing_keys if k not in integer_buffers]
        assert not missing, f"model keys not in the fixture: {missing[:10]}"
        assert not incompatible.unexpected_keys, f"fixture keys unused: {incompatible.unexpected_keys[:10]}"
        assert not incompatible.incorrect_shapes, f"shape mismatches: {incompatible.incorrect_shapes[:10]}"
        return model.eval()

    def model_input(self, i: int) -> Dict:
        """Image ``i`` as the reference fed it: CHW BGR tensor, with the original height / width."""
        image = torch.as_tensor(np.ascontiguousarray(self.inputs[f"in{i}_image"].transpose(2, 0, 1)))
        h, w = (int(x) for x in self.inputs[f"in{i}_hw"])
        return {"image": image, "height": h, "width": w}

    @torch.no_grad()
    def run(self, model: torch.nn.Module, image_index: int) -> ParityRun:
        """Run image ``image_index`` alone (batch of 1), capturing backbone features and ROI-head proposals."""
        captured: Dict = {}
        hooks = [model.backbone.register_forward_hook(lambda m, i, o: captured.__setitem__("features", o))]
        roi_heads = getattr(model, "roi_heads", None)
        if roi_heads is not None:
            hooks.append(
                roi_heads.register_forward_pre_hook(lambda m, args: captured.__setitem__("proposals", args[2]))
            )
        try:
            outputs = model([self.model_input(image_index)])[0]
        finally:
            for h in hooks:
                h.remove()
        proposals = captured.get("proposals")
        return ParityRun(outputs, captured["features"], proposals[0] if proposals is not None else None)

    # ---- comparisons -------------------------------------------------------------------------------------------

    def check_features(self, run: ParityRun, i: int, rel_tol: float = FEATURE_REL_TOL) -> None:
        """Sampled backbone values within ``rel_tol * max|ref|`` and [mean, std, max|x|] within ``rel_tol``."""
        levels = sorted(k[len(f"in{i}_feat_") : -len("_shape")] for k in self.ref.files if k.startswith(f"in{i}_feat_") and k.endswith("_shape"))
        assert levels, f"no reference features for image {i}"
        for level in levels:
            ref_shape = tuple(int(x) for x in self.ref[f"in{i}_feat_{level}_shape"])
            ours = run.features[level][0]
            assert tuple(ours.shape) == ref_shape, f"{level}: shape {tuple(ours.shape)} != reference {ref_shape}"
            ref_stats = self.ref[f"in{i}_feat_{level}_stats"]
            scale = float(ref_stats[2])
            flat = ours.flatten()
            idx = torch.as_tensor(self.ref[f"in{i}_feat_{level}_idx"])
            err = (flat[idx] - torch.as_tensor(self.ref[f"in{i}_feat_{level}_val"])).abs().max().item()
            assert err <= rel_tol * scale, f"{level}: max sampled error {err:.3g} > {rel_tol} * {scale:.3g}"
            stats = np.array([flat.mean().item(), flat.std().item(), flat.abs().max().item()])
            np.testing.assert_allclose(stats, ref_stats, rtol=rel_tol, atol=rel_tol * scale, err_msg=f"{level} stats")

    def check_proposals(self, run: ParityRun, i: int) -> None:
        """ROI-head input proposals (resized-image coordinates) against ``in{i}_proposal_*``."""
        p = run.proposals
        match_instances(
            self.ref[f"in{i}_proposal_boxes"], self.ref[f"in{i}_proposal_logits"], None,
            p.proposal_boxes.tensor, p.objectness_logits, None, what=f"image {i} proposals",
        )

    def check_final_proposals(self, run: ParityRun, i: int) -> None:
        """ProposalNetwork's ``proposals`` output (original-image coordinates) against ``in{i}_final_proposal_*``."""
        p = run.outputs["proposals"]
        match_instances(
            self.ref[f"in{i}_final_proposal_boxes"], self.ref[f"in{i}_final_proposal_logits"], None,
            p.proposal_boxes.tensor, p.objectness_logits, None, what=f"image {i} final proposals",
        )

    def check_detections(self, run: ParityRun, i: int) -> None:
        """Final ``instances`` (original-image coordinates) against ``in{i}_boxes/_scores/_classes``."""
        inst = run.outputs["instances"]
        h, w = (int(x) for x in self.inputs[f"in{i}_hw"])
        assert tuple(inst.image_size) == (h, w), f"output size {inst.image_size} != original {(h, w)}"
        match_instances(
            self.ref[f"in{i}_boxes"], self.ref[f"in{i}_scores"], self.ref[f"in{i}_classes"],
            inst.pred_boxes.tensor, inst.scores, inst.pred_classes, what=f"image {i} detections",
        )

    def matched_pairs(self, inst: Instances, i: int) -> List:
        """(reference index, our index) for reference detections with a counterpart (box IoU, score, class)."""
        ref_boxes = torch.as_tensor(self.ref[f"in{i}_boxes"], dtype=torch.float32)
        ref_scores = torch.as_tensor(self.ref[f"in{i}_scores"])
        ok = box_iou(ref_boxes, inst.pred_boxes.tensor.float()) >= BOX_IOU_MIN
        ok &= (ref_scores[:, None] - inst.scores[None, :]).abs() <= SCORE_ABS_TOL
        ok &= torch.as_tensor(self.ref[f"in{i}_classes"])[:, None] == inst.pred_classes[None, :]
        # among the candidates, the closest score (ties between near-duplicate boxes are common with random weights)
        score_gap = (ref_scores[:, None] - inst.scores[None, :]).abs()
        score_gap[~ok] = float("inf")
        return [(r, int(score_gap[r].argmin())) for r in range(len(ref_boxes)) if ok[r].any()]

    def check_masks(self, run: ParityRun, i: int) -> None:
        """Pasted full-image masks of matched detections against ``in{i}_masks_rle`` (mask IoU >= 0.98 for 99 %)."""
        inst = run.outputs["instances"]
        pairs = self.matched_pairs(inst, i)
        assert len(pairs) >= 0.99 * len(inst), f"only {len(pairs)} of {len(inst)} detections matched"
        ref_rles = [json.loads(str(s)) for s in self.ref[f"in{i}_masks_rle"]]
        ours = inst.pred_masks.numpy().astype(np.uint8)
        assert ours.shape[1:] == tuple(ref_rles[0]["size"]), f"mask size {ours.shape[1:]} != {ref_rles[0]['size']}"
        ious = []
        for r, o in pairs:
            ref = ref_rles[r]
            counts = ref["counts"].encode() if isinstance(ref["counts"], str) else ref["counts"]
            ref = {"size": ref["size"], "counts": counts}
            our = mask_util.encode(np.asfortranarray(ours[o]))
            both_empty = mask_util.area(ref) == 0 and mask_util.area(our) == 0
            ious.append(1.0 if both_empty else float(mask_util.iou([our], [ref], [0])[0, 0]))
        good = float(np.mean(np.array(ious) >= MASK_IOU_MIN))
        assert good >= 0.99, f"mask IoU >= {MASK_IOU_MIN} for only {good:.2%} of instances (min IoU {min(ious):.3f})"

    def check_keypoints(self, inst: Instances, i: int) -> None:
        """Keypoints (original-image coordinates) of matched detections against ``in{i}_keypoints``: x, y within
        `KEYPOINT_PX_TOL` for 99 % of instances, scores within 1e-3."""
        ref = torch.as_tensor(self.ref[f"in{i}_keypoints"])
        pairs = self.matched_pairs(inst, i)
        assert len(pairs) >= 0.99 * len(ref), f"only {len(pairs)} of {len(ref)} detections matched"
        r_idx, o_idx = (torch.tensor(x) for x in zip(*pairs))
        ours = inst.pred_keypoints[o_idx]
        assert ours.shape[1:] == ref.shape[1:] == (17, 3), f"keypoints of shape {tuple(ours.shape)}"
        xy_err = (ours[..., :2] - ref[r_idx, :, :2]).abs().amax(dim=(1, 2))  # per instance
        good = (xy_err <= KEYPOINT_PX_TOL).float().mean().item()
        assert good >= 0.99, f"keypoints within {KEYPOINT_PX_TOL} px for only {good:.2%} (max err {xy_err.max():.3f})"
        torch.testing.assert_close(ours[..., 2], ref[r_idx, :, 2], rtol=1e-3, atol=1e-3)

    def check_sem_seg(self, sem_seg: torch.Tensor, i: int) -> None:
        """Semantic logits (C, H, W at the original size): argmax equal to ``in{i}_sem_seg_argmax`` on
        `SEM_SEG_AGREEMENT_MIN` of the pixels, sampled logits within 1e-3 of their scale."""
        ref_argmax = self.ref[f"in{i}_sem_seg_argmax"]
        assert tuple(sem_seg.shape[1:]) == ref_argmax.shape, f"sem_seg {tuple(sem_seg.shape)} vs {ref_argmax.shape}"
        agreement = float((sem_seg.argmax(dim=0).numpy() == ref_argmax).mean())
        assert agreement >= SEM_SEG_AGREEMENT_MIN, f"semantic argmax agrees on only {agreement:.4%} of pixels"
        flat = sem_seg.flatten()
        ref_val = torch.as_tensor(self.ref[f"in{i}_sem_seg_val"])
        err = (flat[torch.as_tensor(self.ref[f"in{i}_sem_seg_idx"])] - ref_val).abs().max().item()
        assert err <= 1e-3 * max(ref_val.abs().max().item(), 1.0), f"sampled sem_seg logits differ by {err:.3g}"

    def check_panoptic(self, panoptic_seg: Tuple[torch.Tensor, List[Dict]], i: int) -> None:
        """``(segment ids (H, W), segment infos)`` against ``in{i}_panoptic_*``: each of our segments is matched to
        the reference segment it overlaps most; `PANOPTIC_AGREEMENT_MIN` of the pixels must carry the same
        thing/stuff kind and category, segment counts agree within 2 %, and infos have Detectron2's keys."""
        ids, segments = panoptic_seg
        ids = ids.numpy()
        ref_ids = self.ref[f"in{i}_panoptic_ids"]
        ref_segments = {s["id"]: s for s in json.loads(str(self.ref[f"in{i}_panoptic_segments"]))}
        ours = {s["id"]: s for s in segments}
        assert ids.shape == ref_ids.shape, f"panoptic ids of shape {ids.shape}, reference {ref_ids.shape}"
        agree = 0
        for seg_id, seg in list(ours.items()) + [(0, None)]:
            region = ids == seg_id
            if not region.any():
                continue
            ref_labels, counts = np.unique(ref_ids[region], return_counts=True)
            best = ref_labels[counts.argmax()]
            if seg_id == 0 or best == 0:
                same = seg_id == 0 and best == 0
            else:
                ref = ref_segments[int(best)]
                same = ref["isthing"] == seg["isthing"] and ref["category_id"] == seg["category_id"]
            agree += int(counts.max()) if same else 0
        fraction = agree / ids.size
        assert fraction >= PANOPTIC_AGREEMENT_MIN, f"only {fraction:.2%} of pixels carry the same panoptic segment"
        assert abs(len(ours) - len(ref_segments)) <= max(1, 0.02 * len(ref_segments)), (
            f"{len(ours)} segments, reference has {len(ref_segments)}"
        )
        for seg in segments:  # Detectron2's segment-info format
            keys = {"id", "isthing", "score", "category_id", "instance_id"} if seg["isthing"] else {
                "id", "isthing", "category_id", "area"}
            assert set(seg) == keys, f"segment info keys {sorted(seg)}"


def match_instances(
    ref_boxes, ref_scores, ref_classes, boxes, scores, classes, *, what: str,
    iou_min: float = BOX_IOU_MIN, score_tol: float = SCORE_ABS_TOL, min_fraction: float = MATCHED_FRACTION_MIN,
) -> float:
    """Assert equal counts and that ``min_fraction`` of reference boxes have a counterpart with IoU >= ``iou_min``,
    |score difference| <= ``score_tol`` and (when classes are given) the same class.

    Returns:
        the matched fraction.
    """
    ref_boxes = torch.as_tensor(np.asarray(ref_boxes), dtype=torch.float32)
    ref_scores = torch.as_tensor(np.asarray(ref_scores), dtype=torch.float32)
    boxes, scores = boxes.detach().float().cpu(), scores.detach().float().cpu()
    assert len(boxes) == len(ref_boxes), f"{what}: {len(boxes)} predictions, reference has {len(ref_boxes)}"
    if len(ref_boxes) == 0:
        return 1.0
    ok = box_iou(ref_boxes, boxes) >= iou_min  # (R, N)
    ok &= (ref_scores[:, None] - scores[None, :]).abs() <= score_tol
    if ref_classes is not None:
        ok &= torch.as_tensor(np.asarray(ref_classes))[:, None] == classes.detach().cpu()[None, :]
    fraction = ok.any(dim=1).float().mean().item()
    assert fraction >= min_fraction, f"{what}: only {fraction:.2%} of reference boxes matched (need {min_fraction:.0%})"
    return fraction
