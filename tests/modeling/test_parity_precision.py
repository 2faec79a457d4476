"""bfloat16 inference (cfg.TEST.PRECISION) against float32 on the Detectron2 parity fixtures' weights.

The fixtures' deterministic weights give near-uniform scores (0.1-0.25 over 80 classes), so which of several
overlapping candidates survives the RPN's top-k and NMS flips under tiny perturbations. Issue 15 asks for >= 95% of
detections matched at IoU 0.95; on these weights that is out of reach without a float32 backbone. Measured (AMX,
faster_rcnn_R_50_FPN; matched at IoU 0.95 against float32, images 0 / 1 / 2):

- bf16 end to end: 53% / 81% / 67% (IoU 0.5: 94% / 93% / 93%). Every bf16 convolution alone is 0.3% off in
  relative L2 (bf16 rounding of its input and weights, 0.17% each; no layer stands out), which piles up to 1.0% at
  the FPN outputs. Float32 itself keeps >= 95% only while the features move <= 0.25%: Gaussian input noise of 0.25
  grey levels gives 95% / 96% / 98%, 0.5 grey levels 89% / 95% / 96%, 1 grey level (1% on the features) 72% / 87%
  / 86%. A float32 ResNet with a bf16 FPN still leaves 0.5% (73% / 88% / 84%).
- The heads' share: on float32 features, the bf16 heads keep 84% / 95% / 91% with their final layers in float32
  (the RPN's 1x1 objectness / delta convs, the box predictor; `float32_call`), 76% / 93% / 89% with everything in
  bf16. End to end that difference is lost under the backbone's (the first bullet's figures are with it).

On trained weights (peaked scores) the bar holds: `benchmarks/bench_bf16_agreement.py` on the README's main job
(shapes_val, 200 images) matched 96.4% of float32's detections at IoU 0.95 (95.6% at score threshold 0, top 100),
box AP 65.12 float32 vs 65.05 bf16 (the shapes Mask R-CNN: 96.7%); most misses are the class-wise NMS picking
another of near-tied candidates (benchmarks/README.md, "bf16 vs float32 on trained weights").
"""
import pytest
import torch
from torchvision.ops import box_iou

from detectra.utils.precision import inference_autocast, outputs_to_float32

from .parity_utils import ParityFixture

pytestmark = pytest.mark.slow  # two R50-FPN passes on an 800 px image


def _matched_fraction(ref, other, iou_min: float) -> float:
    """Fraction of ``ref`` detections with a same-class detection in ``other`` at IoU >= iou_min."""
    iou = box_iou(ref.pred_boxes.tensor, other.pred_boxes.tensor)  # (R, N)
    iou[ref.pred_classes[:, None] != other.pred_classes[None, :]] = 0
    return (iou.max(dim=1).values >= iou_min).float().mean().item()


def _proposals_matched(ref, other, iou_min: float) -> float:
    """Fraction of ``ref`` proposals with a proposal in ``other`` at IoU >= iou_min."""
    iou = box_iou(ref.proposal_boxes.tensor, other.proposal_boxes.tensor.float())  # (R, N)
    return (iou.max(dim=1).values >= iou_min).float().mean().item()


def test_bf16_detections_match_float32(shared_dir, monkeypatch):
    fx = ParityFixture(shared_dir, "faster_rcnn_R_50_FPN")
    model = fx.build_model()
    ref = fx.run(model, 1)
    fx.check_detections(ref, 1)  # float32 with the norms folded into the convolutions is exact
    assert "_folded_norm" in model.backbone.bottom_up.stem.conv1.__dict__
    with inference_autocast("bfloat16", "cpu"):
        bf16 = fx.run(model, 1)

    for level, ref_feature in ref.features.items():
        ours = bf16.features[level].float()
        assert ((ours - ref_feature).norm() / ref_feature.norm()).item() < 0.015, level

    ref_instances, ours = ref.outputs["instances"], outputs_to_float32(bf16.outputs)["instances"]
    assert ours.pred_boxes.tensor.dtype == torch.float32 and ours.scores.dtype == torch.float32
    assert bf16.proposals.objectness_logits.dtype == torch.float32  # ranked in float32
    assert len(ours) == len(ref_instances) == 100
    assert _matched_fraction(ref_instances, ours, 0.5) >= 0.88
    assert _matched_fraction(ref_instances, ours, 0.95) >= 0.78  # 0.81 measured: see the module docstring

    # the same bf16 heads on the float32 features: what the heads alone change
    monkeypatch.setattr(model.backbone, "forward", lambda images: ref.features)
    with inference_autocast("bfloat16", "cpu"):
        heads = fx.run(model, 1)
    assert _proposals_matched(ref.proposals, heads.proposals, 0.95) >= 0.96  # 0.975 measured (0.95 all in bf16)
    assert _matched_fraction(ref_instances, outputs_to_float32(heads.outputs)["instances"], 0.95) >= 0.93  # 0.95
