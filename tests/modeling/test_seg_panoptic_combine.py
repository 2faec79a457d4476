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
