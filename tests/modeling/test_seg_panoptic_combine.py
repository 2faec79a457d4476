"""`combine_semantic_and_instance_outputs` on hand-made inputs: order, overlap / score / stuff-area thresholds and
Detectron2's segment-info format."""
import torch

from detectra.modeling.meta_arch.panoptic_fpn import combine_semantic_and_instance_outputs
from detectra.structures import Boxes, Instances


def _instances(masks, scores, classes):
    inst = Instances((8, 8))
    inst.pred_masks = torch.stack(masks)
    inst.scores = torch.tensor(scores)
    inst.pred_classes = torch.tensor(classes)
    inst.pred_boxes = Boxes(torch.zeros(len(scores), 4))
    return inst


def _mask(y0, y1, x0, x1):
    m = torch.zeros(8, 8, dtype=torch.bool)
    m[y0:y1, x0:x1] = True
    return m


def test_combine_paints_by_score_then_fills_stuff():
    a = _mask(0, 4, 0, 4)  # 16 px
    b = _mask(2, 6, 2, 6)  # 16 px, 4 of them under a
    c = _mask(0, 4, 0, 3)  # 12 px, all under a: dropped (overlap 1.0 > 0.5)
    d = _mask(6, 8, 6, 8)  # score below the threshold: dropped
    inst = _instances([b, a, c, d], [0.8, 0.9, 0.7, 0.2], [3, 1, 2, 0])
    sem = torch.zeros(8, 8, dtype=torch.long)
    sem[:, 6:] = 1  # stuff class 1: 16 px
    sem[4:6, 4:6] = 1  # 4 more px of class 1, but b holds them already
    sem[7, :2] = 2  # stuff class 2: 2 px, below the area limit
    ids, segments = combine_semantic_and_instance_outputs(inst, sem, 0.5, 3, 0.5)

    assert ids.dtype == torch.int32 and ids.shape == (8, 8)
    assert segments == [
        {"id": 1, "isthing": True, "score": segments[0]["score"], "category_id": 1, "instance_id": 1},
        {"id": 2, "isthing": True, "score": segments[1]["score"], "category_id": 3, "instance_id": 0},
        {"id": 3, "isthing": False, "category_id": 1, "area": 16},
    ]
    assert abs(segments[0]["score"] - 0.9) < 1e-6 and abs(segments[1]["score"] - 0.8) < 1e-6
    assert (ids[a] == 1).all()  # the best instance keeps all its pixels
    assert (ids == 2).sum() == 12  # b minus the 4 pixels a already holds
    # stuff fills only unclaimed pixels; the too-small class-2 region stays void
    assert (ids[:, 6:] == 3).all() and (ids == 3).sum() == 16 and (ids[7, :2] == 0).all()


def test_combine_without_instances():
    inst = _instances([torch.zeros(8, 8, dtype=torch.bool)], [0.9], [0])
    sem = torch.ones(8, 8, dtype=torch.long)
    ids, segments = combine_semantic_and_instance_outputs(inst, sem, 0.5, 4096, 0.5)
    assert segments == [] and (ids == 0).all()  # empty mask skipped; stuff region under the area limit


def test_instance_loss_weight_scales_box_regression_and_mask_losses_only():
    """Detectron2 scales the weights its box predictor lists (loss_box_reg) and the mask loss; loss_cls keeps 1."""
    from detectra import model_zoo
    from detectra.config import get_cfg
    from detectra.modeling import build_model

    cfg = get_cfg()
    cfg.merge_from_file(model_zoo.get_config_file("shapes/panoptic_fpn_R_18_shapes.yaml"))
    cfg.MODEL.PANOPTIC_FPN.INSTANCE_LOSS_WEIGHT = 0.5
    cfg.MODEL.ROI_BOX_HEAD.BBOX_REG_LOSS_WEIGHT = 2.0
    model = build_model(cfg)
    assert model.roi_heads.box_predictor.loss_weight == {"loss_box_reg": 1.0}
    assert model.roi_heads.mask_head.loss_weight == 0.5


def _combine_full_image(inst, sem, overlap_thresh, stuff_area_thresh, score_thresh):
    """The merge written plainly, every test on the whole image (the definition the fast version must equal)."""
    ids = torch.zeros_like(sem, dtype=torch.int32)
    segments = []
    for i in torch.argsort(-inst.scores).tolist():
        if inst.scores[i] < score_thresh:
            break
        mask = inst.pred_masks[i].bool()
        area, overlap = mask.sum().item(), (mask & (ids > 0)).sum().item()
        if area == 0 or overlap / area > overlap_thresh:
            continue
        ids[mask & (ids == 0)] = len(segments) + 1
        segments.append({"id": len(segments) + 1, "isthing": True, "score": inst.scores[i].item(),
                         "category_id": inst.pred_classes[i].item(), "instance_id": i})
    for label in torch.unique(sem).tolist():
        region = (sem == label) & (ids == 0)
        if label != 0 and region.sum().item() >= stuff_area_thresh:
            ids[region] = len(segments) + 1
            segments.append({"id": len(segments) + 1, "isthing": False, "category_id": label,
                             "area": region.sum().item()})
    return ids, segments


def test_combine_equals_the_full_image_merge_on_random_inputs():
    g = torch.Generator().manual_seed(0)
    h, w = 40, 50
    for trial in range(60):
        masks = []
        for _ in range(int(torch.randint(0, 12, (1,), generator=g))):
            y0, x0 = torch.randint(0, 40, (2,), generator=g).tolist()
            dy, dx = torch.randint(0, 20, (2,), generator=g).tolist()
            m = torch.zeros(h, w, dtype=torch.bool)
            holes = torch.rand(h, w, generator=g) < 0.2 * (trial % 2)  # solid boxes in even trials
            m[y0 : y0 + dy, x0 : x0 + dx] = ~holes[y0 : y0 + dy, x0 : x0 + dx]
            masks.append(m)
        inst = Instances((h, w))
        inst.pred_masks = torch.stack(masks) if masks else torch.zeros(0, h, w, dtype=torch.bool)
        inst.scores = torch.rand(len(masks), generator=g).mul(10).round() / 10  # ties included
        inst.pred_classes = torch.randint(0, 5, (len(masks),), generator=g)
        # 10x10 blocks of stuff labels; some trials with labels < 0 (the sorting path) or int32
        sem = torch.randint(0, 4, (4, 5), generator=g).repeat_interleave(10, 0).repeat_interleave(10, 1)
        sem = (sem - 2 * (trial % 3 == 0)).to(torch.int32 if trial % 4 == 0 else torch.int64)
        args = (inst, sem, [0.3, 0.5, 1.0][trial % 3], [0, 50, 150][trial % 3], [0.0, 0.3][trial % 2])
        ids, segments = combine_semantic_and_instance_outputs(*args)
        ref_ids, ref_segments = _combine_full_image(*args)
        assert torch.equal(ids, ref_ids), trial
        assert segments == ref_segments, trial


def test_sem_seg_postprocess_same_size_is_the_crop():
    """No resize when the output size is the input's: bit-identical to the bilinear resize it skips."""
    from torch.nn import functional as F

    from detectra.modeling.postprocessing import sem_seg_postprocess

    logits = torch.randn(1, 5, 32, 48).contiguous(memory_format=torch.channels_last)[0]
    for dtype in [torch.float32, torch.bfloat16]:
        x = logits.to(dtype)
        resized = F.interpolate(x[:, :30, :40][None], size=(30, 40), mode="bilinear", align_corners=False)[0]
        assert torch.equal(sem_seg_postprocess(x, (30, 40), 30, 40), resized)
    assert sem_seg_postprocess(logits, (30, 40), 60, 80).shape == (5, 60, 80)


def test_channel_max_indices_equal_argmax_with_ties_nan_and_inf():
    """The semantic post-processing labels pixels with ``max(dim=0).indices`` (faster than ``argmax(dim=0)`` over
    a full-size map): on ties both take the first maximal channel (as their docs say), and a NaN wins in both."""
    g = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        logits = torch.randint(0, 3, (54, 40, 60), generator=g).to(dtype)  # ~1/3 of the channels tie at the max
        logits[5, :4, :4] = float("nan")
        logits[:, 10, :] = 0.0  # a row where every channel ties
        logits[9, 20, :7] = float("inf")
        labels = logits.max(dim=0).indices
        assert torch.equal(labels, logits.argmax(dim=0))
        assert (labels[10, :] == 0).all() and (labels[:4, :4] == 5).all() and (labels[20, :7] == 9).all()
