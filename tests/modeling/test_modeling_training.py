"""Training and inference of every detection meta-architecture on tiny configs (CPU, ~128 px)."""
import math

import numpy as np
import pytest
import torch

from detectra.engine.train_loop import SimpleTrainer
from detectra.modeling import build_model
from detectra.utils.events import EventStorage

from .modeling_testing import ARCHS, inference_batch, mapped_batch, small_cfg


def _build(arch: str, seed: int = 0, vis_period: int = 0):
    torch.manual_seed(seed)
    cfg = small_cfg(arch)
    cfg.VIS_PERIOD = vis_period
    return build_model(cfg)


@pytest.mark.parametrize("kind", ["boxes", "empty", "crowd"])
@pytest.mark.parametrize("arch", ARCHS)
def test_train_step(arch, kind, tmp_path):
    model = _build(arch, vis_period=1 if kind == "boxes" else 0).train()
    batch = mapped_batch(tmp_path, kind)
    expected_gt = 3 if kind == "boxes" else 0
    assert [len(x["instances"]) for x in batch] == [expected_gt, expected_gt]

    with EventStorage() as storage:
        losses = model(batch)
    assert losses and all(k.startswith("loss_") for k in losses)
    for k, v in losses.items():
        assert v.dim() == 0 and math.isfinite(v.item()), f"{arch}/{kind}: {k} = {v}"
    sum(losses.values()).backward()

    if kind == "boxes":
        if arch != "rpn_fpn":  # VIS_PERIOD=1: ground truth beside proposals / predictions, as one RGB image
            ((_, img, _),) = storage._vis_data
            h, w = batch[0]["image"].shape[1:]
            assert tuple(img.shape) == ((3, h, 2 * w) if arch != "retinanet" else (3, 2 * h, w))
            assert img.dtype in (np.uint8, torch.uint8) and (np.asarray(img) == 255).any()  # boxes were drawn
        for name, p in model.named_parameters():
            if p.requires_grad:
                assert p.grad is not None, f"{arch}: no gradient for {name}"
                assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, f"{arch}: zero/bad gradient {name}"
            else:  # FREEZE_AT=2 freezes exactly the stem and res2
                assert ".stem." in f".{name}" or ".res2." in f".{name}", f"{arch}: unexpected frozen {name}"
    else:
        # no ground truth: no foreground, so no box-regression signal
        box_losses = [v for k, v in losses.items() if "loc" in k or "box_reg" in k]
        assert all(v.item() == 0.0 for v in box_losses), losses


@pytest.mark.parametrize("arch", ARCHS)
def test_inference(arch):
    model = _build(arch).eval()
    batch = inference_batch()
    with torch.no_grad():
        outputs = model(batch)
    assert len(outputs) == 2
    key = "proposals" if arch == "rpn_fpn" else "instances"
    for out, inp in zip(outputs, batch):
        inst = out[key]
        assert inst.image_size == (inp["height"], inp["width"])
        boxes = (inst.proposal_boxes if key == "proposals" else inst.pred_boxes).tensor
        assert len(inst) > 0
        assert (boxes[:, 0::2] >= 0).all() and (boxes[:, 0::2] <= inp["width"]).all()
        assert (boxes[:, 1::2] >= 0).all() and (boxes[:, 1::2] <= inp["height"]).all()
        assert (boxes[:, 2:] > boxes[:, :2]).all()
        if key == "instances":
            assert len(inst) <= 100
            assert ((inst.pred_classes >= 0) & (inst.pred_classes < 3)).all()
            assert (inst.scores[:-1] >= inst.scores[1:]).all() or arch == "retinanet"


@pytest.mark.parametrize("arch", ARCHS)
def test_nan_image_stops_training(arch, tmp_path):
    """A NaN image makes the trainer raise FloatingPointError instead of silently training on NaN."""
    model = _build(arch)
    batch = mapped_batch(tmp_path, "boxes")
    batch[0]["image"] = torch.full(batch[0]["image"].shape, float("nan"))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    trainer = SimpleTrainer(model, [batch], optimizer)
    with EventStorage(), pytest.raises(FloatingPointError):
        trainer.iter = 0
        trainer.run_step()


@pytest.mark.slow
def test_overfit_one_image(tmp_path):
    """Faster R-CNN memorises one image: in 40 AdamW steps the total loss falls below half its starting value and
    the RPN objectness loss collapses (the box-regression loss first rises, as more proposals become foreground)."""
    model = _build("faster_rcnn_fpn").train()
    batch = mapped_batch(tmp_path, "boxes")[:1]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=0)
    history = []
    with EventStorage() as storage:
        for it in range(40):
            storage.iter = it
            losses = model(batch)
            total = sum(losses.values())
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            history.append({k: v.item() for k, v in losses.items()} | {"total": total.item()})
    first = history[0]
    last = {k: sum(h[k] for h in history[-5:]) / 5 for k in first}
    assert last["total"] < 0.5 * first["total"], f"loss did not drop enough: {first} -> {last}"
    assert last["loss_rpn_cls"] < 0.2 * first["loss_rpn_cls"], f"RPN did not fit: {first} -> {last}"


@pytest.mark.parametrize("arch", ["faster_rcnn_fpn", "retinanet"])
def test_bf16_autocast(arch, tmp_path):
    """Training and inference run under CPU bf16 autocast; boxes and scores come out in float32.

    Tiny 64-px inputs: CPUs without native bf16 (AVX2 only) run bf16 convolutions very slowly.
    """
    model = _build(arch)
    batch = mapped_batch(tmp_path, "boxes")[:1]
    batch[0]["image"] = batch[0]["image"][:, :64, :64]
    inst = batch[0]["instances"]
    inst.gt_boxes.clip((64, 64))
    batch[0]["instances"] = inst[inst.gt_boxes.nonempty(threshold=4)]
    with EventStorage(), torch.autocast("cpu", dtype=torch.bfloat16):
        losses = model(batch)
    assert all(math.isfinite(v.item()) for v in losses.values()), losses
    sum(losses.values()).backward()

    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        (out,) = model([{"image": batch[0]["image"]}])
    inst = out["instances"]
    assert len(inst) > 0 and inst.pred_boxes.tensor.dtype == torch.float32 and inst.scores.dtype == torch.float32
    assert torch.isfinite(inst.pred_boxes.tensor).all()
