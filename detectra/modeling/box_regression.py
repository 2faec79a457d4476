"""Box <-> delta transforms (R-CNN parametrisation), the shared dense box-regression loss, and the weights of the
(classification, box regression) loss pair of RPN and the Fast R-CNN head."""
import math
from typing import Dict, List, Sequence, Tuple, Union

import torch
from torch.nn import functional as F
from detectra.layers import cat, ciou_loss, diou_loss, giou_loss, smooth_l1_loss
from detectra.structures import Boxes

__all__ = [
    "Box2BoxTransform",
    "Box2BoxTransformRotated",
    "Box2BoxTransformLinear",
    "_dense_box_regression_loss",
    "_loss_weight_dict",
]

# Clamp exp() of width/height deltas: no box grows more than 1000/16 times its source in one step
_DEFAULT_SCALE_CLAMP = math.log(1000.0 / 16)


class Box2BoxTransform:
    """R-CNN box transform: deltas ``(dx, dy, dw, dh)`` = center shift in units of size and log size ratio,
    each multiplied by ``weights``.

    Args:
        weights: (wx, wy, ww, wh) scaling of the deltas, e.g. (10, 10, 5, 5) for Fast R-CNN.
        scale_clamp: upper clamp of dw and dh before exp().
    """

    def __init__(self, weights: Tuple[float, float, float, float], scale_clamp: float = _DEFAULT_SCALE_CLAMP):
        self.weights = weights
        self.scale_clamp = scale_clamp

    def get_deltas(self, src_boxes: torch.Tensor, target_boxes: torch.Tensor) -> torch.Tensor:
        """Deltas that turn ``src_boxes`` into ``target_boxes``.

        Args:
            src_boxes, target_boxes: Tensor[N, 4], XYXY_ABS.

        Returns:
            Tensor[N, 4]: (dx, dy, dw, dh).
        """
        if not isinstance(src_boxes, torch.Tensor) or not isinstance(target_boxes, torch.Tensor):
            raise TypeError("Box2BoxTransform.get_deltas takes Tensors, not Boxes (use boxes.tensor).")
        src_widths = src_boxes[:, 2] - src_boxes[:, 0]
        src_heights = src_boxes[:, 3] - src_boxes[:, 1]
        src_ctr_x = src_boxes[:, 0] + 0.5 * src_widths
        src_ctr_y = src_boxes[:, 1] + 0.5 * src_heights

        target_widths = target_boxes[:, 2] - target_boxes[:, 0]
        target_heights = target_boxes[:, 3] - target_boxes[:, 1]
        target_ctr_x = target_boxes[:, 0] + 0.5 * target_widths
        target_ctr_y = target_boxes[:, 1] + 0.5 * target_heights

        wx, wy, ww, wh = self.weights
        dx = wx * (target_ctr_x - src_ctr_x) / src_widths
        dy = wy * (target_ctr_y - src_ctr_y) / src_heights
        dw = ww * torch.log(target_widths / src_widths)
        dh = wh * torch.log(target_heights / src_heights)
        return torch.stack((dx, dy, dw, dh), dim=1)

    def apply_deltas(self, deltas: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """Apply deltas to boxes (computed in float32 whatever the input dtype: exp() overflows in half precision).

        Args:
            deltas: Tensor[N, k * 4], k >= 1 sets of deltas (e.g. one per class).
            boxes: Tensor[N, 4], XYXY_ABS.

        Returns:
            Tensor[N, k * 4]: transformed boxes.
        """
        deltas = deltas.float()
        boxes = boxes.to(deltas.dtype)

        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights

        wx, wy, ww, wh = self.weights
        dx = deltas[:, 0::4] / wx
        dy = deltas[:, 1::4] / wy
        dw = torch.clamp(deltas[:, 2::4] / ww, max=self.scale_clamp)
        dh = torch.clamp(deltas[:, 3::4] / wh, max=self.scale_clamp)

        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        pred_w = torch.exp(dw) * widths[:, None]
        pred_h = torch.exp(dh) * heights[:, None]

        x1 = pred_ctr_x - 0.5 * pred_w
        y1 = pred_ctr_y - 0.5 * pred_h
        x2 = pred_ctr_x + 0.5 * pred_w
        y2 = pred_ctr_y + 0.5 * pred_h
        pred_boxes = torch.stack((x1, y1, x2, y2), dim=-1)  # (N, k, 4)
        return pred_boxes.reshape(deltas.shape)


class Box2BoxTransformRotated:
    """Box transform for rotated boxes (cx, cy, w, h, angle in degrees): deltas (dx, dy, dw, dh, da).

    Args:
        weights: (wx, wy, ww, wh, wa); ``da`` is in radians times ``wa``.
        scale_clamp: upper clamp of dw and dh before exp().
    """

    def __init__(
        self, weights: Tuple[float, float, float, float, float], scale_clamp: float = _DEFAULT_SCALE_CLAMP
    ):
        self.weights = weights
        self.scale_clamp = scale_clamp

    def get_deltas(self, src_boxes: torch.Tensor, target_boxes: torch.Tensor) -> torch.Tensor:
        """Args: src_boxes, target_boxes: Tensor[N, 5]. Returns: Tensor[N, 5] deltas."""
        src_ctr_x, src_ctr_y, src_widths, src_heights, src_angles = torch.unbind(src_boxes, dim=1)
        target_ctr_x, target_ctr_y, target_widths, target_heights, target_angles = torch.unbind(target_boxes, dim=1)
        wx, wy, ww, wh, wa = self.weights
        dx = wx * (target_ctr_x - src_ctr_x) / src_widths
        dy = wy * (target_ctr_y - src_ctr_y) / src_heights
        dw = ww * torch.log(target_widths / src_widths)
        dh = wh * torch.log(target_heights / src_heights)
        # angle difference wrapped into [-180, 180) degrees, then in radians
        da = (target_angles - src_angles + 180.0) % 360.0 - 180.0
        da = da * wa * math.pi / 180.0
        return torch.stack((dx, dy, dw, dh, da), dim=1)

    def apply_deltas(self, deltas: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """Args: deltas: Tensor[N, k * 5]; boxes: Tensor[N, 5]. Returns: Tensor[N, k * 5]."""
        if deltas.shape[1] % 5 != 0 or boxes.shape[1] != 5:
            raise ValueError(f"Rotated deltas must be (N, k*5) and boxes (N, 5); got {deltas.shape}, {boxes.shape}.")
        boxes = boxes.to(deltas.dtype).unsqueeze(2)
        ctr_x, ctr_y, widths, heights, angles = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], boxes[:, 4]
        wx, wy, ww, wh, wa = self.weights
        dx = deltas[:, 0::5] / wx
        dy = deltas[:, 1::5] / wy
        dw = torch.clamp(deltas[:, 2::5] / ww, max=self.scale_clamp)
        dh = torch.clamp(deltas[:, 3::5] / wh, max=self.scale_clamp)
        da = deltas[:, 4::5] / wa

        pred_boxes = torch.empty_like(deltas)
        pred_boxes[:, 0::5] = dx * widths + ctr_x
        pred_boxes[:, 1::5] = dy * heights + ctr_y
        pred_boxes[:, 2::5] = torch.exp(dw) * widths
        pred_boxes[:, 3::5] = torch.exp(dh) * heights
        pred_angle = da * 180.0 / math.pi + angles
        pred_boxes[:, 4::5] = (pred_angle + 180.0) % 360.0 - 180.0
        return pred_boxes


class Box2BoxTransformLinear:
    """FCOS-style transform: deltas are distances (left, top, right, bottom) from the source box center.

    Args:
        normalize_by_size: divide the distances by the source box width / height.
    """

    def __init__(self, normalize_by_size: bool = True):
        self.normalize_by_size = normalize_by_size

    def get_deltas(self, src_boxes: torch.Tensor, target_boxes: torch.Tensor) -> torch.Tensor:
        """Args: src_boxes, target_boxes: Tensor[N, 4] XYXY. Returns: Tensor[N, 4] (l, t, r, b)."""
        src_ctr_x = 0.5 * (src_boxes[:, 0] + src_boxes[:, 2])
        src_ctr_y = 0.5 * (src_boxes[:, 1] + src_boxes[:, 3])
        target_l = src_ctr_x - target_boxes[:, 0]
        target_t = src_ctr_y - target_boxes[:, 1]
        target_r = target_boxes[:, 2] - src_ctr_x
        target_b = target_boxes[:, 3] - src_ctr_y
        deltas = torch.stack((target_l, target_t, target_r, target_b), dim=1)
        if self.normalize_by_size:
            stride_w = src_boxes[:, 2] - src_boxes[:, 0]
            stride_h = src_boxes[:, 3] - src_boxes[:, 1]
            deltas = deltas / torch.stack([stride_w, stride_h, stride_w, stride_h], dim=1)
        return deltas

    def apply_deltas(self, deltas: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """Args: deltas: Tensor[N, k * 4]; boxes: Tensor[N, 4]. Returns: Tensor[N, k * 4]."""
        deltas = F.relu(deltas)  # distances cannot be negative
        boxes = boxes.to(deltas.dtype)
        ctr_x = 0.5 * (boxes[:, 0] + boxes[:, 2])
        ctr_y = 0.5 * (boxes[:, 1] + boxes[:, 3])
        if self.normalize_by_size:
            stride_w = boxes[:, 2] - boxes[:, 0]
            stride_h = boxes[:, 3] - boxes[:, 1]
            strides = torch.stack([stride_w, stride_h, stride_w, stride_h], dim=1)
            deltas = deltas * strides.repeat(1, deltas.shape[1] // 4)
        x1 = ctr_x[:, None] - deltas[:, 0::4]
        y1 = ctr_y[:, None] - deltas[:, 1::4]
        x2 = ctr_x[:, None] + deltas[:, 2::4]
        y2 = ctr_y[:, None] + deltas[:, 3::4]
        return torch.stack((x1, y1, x2, y2), dim=-1).reshape(deltas.shape)


def _dense_box_regression_loss(
    anchors: List[Union[Boxes, torch.Tensor]],
    box2box_transform: Box2BoxTransform,
    pred_anchor_deltas: List[torch.Tensor],
    gt_boxes: Sequence[torch.Tensor],
    fg_mask: torch.Tensor,
    box_reg_loss_type: str = "smooth_l1",
    smooth_l1_beta: float = 0.0,
) -> torch.Tensor:
    """Summed box-regression loss over foreground anchors of a dense detector (RPN, RetinaNet) or ROI head.

    Args:
        anchors: per level, Boxes or Tensor[R_i, 4]; concatenated to R anchors.
        pred_anchor_deltas: per level, Tensor[N, R_i, 4].
        gt_boxes: per image, Tensor[R, 4]: the ground-truth box matched to every anchor.
        fg_mask: bool Tensor[N, R] of foreground anchors (or ``...`` for all).
        box_reg_loss_type: "smooth_l1", "giou", "diou" or "ciou".
        smooth_l1_beta: beta of the smooth L1 loss (0: L1).

    Returns:
        scalar Tensor (sum over foreground anchors).
    """
    if isinstance(anchors[0], Boxes):
        anchors = type(anchors[0]).cat(anchors).tensor  # (R, 4)
    else:
        anchors = cat(anchors)
    if box_reg_loss_type == "smooth_l1":
        gt_anchor_deltas = torch.stack([box2box_transform.get_deltas(anchors, k) for k in gt_boxes])  # (N, R, 4)
        return smooth_l1_loss(
            cat(pred_anchor_deltas, dim=1)[fg_mask], gt_anchor_deltas[fg_mask], beta=smooth_l1_beta, reduction="sum"
        )
    pred_boxes = torch.stack([box2box_transform.apply_deltas(k, anchors) for k in cat(pred_anchor_deltas, dim=1)])
    target = torch.stack(list(gt_boxes))[fg_mask]
    if box_reg_loss_type == "giou":
        return giou_loss(pred_boxes[fg_mask], target, reduction="sum")
    if box_reg_loss_type == "diou":
        return diou_loss(pred_boxes[fg_mask], target, reduction="sum")
    if box_reg_loss_type == "ciou":
        return ciou_loss(pred_boxes[fg_mask], target, reduction="sum")
    raise ValueError(f"Unknown box regression loss type {box_reg_loss_type!r}; use smooth_l1, giou, diou or ciou.")


def _loss_weight_dict(loss_weight: Union[float, Dict[str, float]], loss_names: Sequence[str]) -> Dict[str, float]:
    """A ``loss_weight`` argument as ``{loss name: weight}``: one number weighs each of ``loss_names`` alike; a dict
    is kept as it is (a loss it leaves out weighs 1)."""
    if isinstance(loss_weight, (int, float)):
        return {name: loss_weight for name in loss_names}
    return loss_weight
