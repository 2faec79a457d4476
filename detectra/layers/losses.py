"""Box and classification losses (fvcore / Detectron2 names), delegating to `torchvision.ops` where it has them."""
import torch
import torch.nn.functional as F
from torchvision.ops import complete_box_iou_loss, distance_box_iou_loss, generalized_box_iou_loss
from torchvision.ops import sigmoid_focal_loss as _tv_sigmoid_focal_loss

__all__ = [
    "smooth_l1_loss",
    "giou_loss",
    "diou_loss",
    "ciou_loss",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_jit",
    "sigmoid_focal_loss_star",
    "sigmoid_focal_loss_star_jit",
]


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"Unknown reduction {reduction!r}; use 'none', 'mean' or 'sum'.")


def smooth_l1_loss(input: torch.Tensor, target: torch.Tensor, beta: float, reduction: str = "none") -> torch.Tensor:
    """Smooth L1 (Huber-like) loss; ``beta < 1e-5`` gives exactly the L1 loss.

    Differs from `F.smooth_l1_loss` in that beta=0 is allowed (torch would divide by zero in the gradient).

    Args:
        input, target (Tensor[*]): same shape.
        beta: the L1 to L2 change point.
        reduction: "none" | "mean" | "sum".
    """
    if beta < 1e-5:
        loss = torch.abs(input - target)
    else:
        n = torch.abs(input - target)
        cond = n < beta
        loss = torch.where(cond, 0.5 * n**2 / beta, n - 0.5 * beta)
    return _reduce(loss, reduction)


def giou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7) -> torch.Tensor:
    """Generalized IoU loss ``1 - GIoU`` between matched XYXY boxes (Tensor[N, 4] each)."""
    return generalized_box_iou_loss(boxes1, boxes2, reduction=reduction, eps=eps)


def diou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7) -> torch.Tensor:
    """Distance IoU loss between matched XYXY boxes (Tensor[N, 4] each)."""
    return distance_box_iou_loss(boxes1, boxes2, reduction=reduction, eps=eps)


def ciou_loss(boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: str = "none", eps: float = 1e-7) -> torch.Tensor:
    """Complete IoU loss between matched XYXY boxes (Tensor[N, 4] each)."""
    return complete_box_iou_loss(boxes1, boxes2, reduction=reduction, eps=eps)


def sigmoid_focal_loss(
    inputs: torch.Tensor, targets: torch.Tensor, alpha: float = -1, gamma: float = 2, reduction: str = "none"
) -> torch.Tensor:
    """Focal loss (RetinaNet) on logits; fvcore's defaults (alpha=-1: no class weighting).

    Args:
        inputs (Tensor[*]): logits.
        targets (Tensor[*]): binary targets (0/1), same shape.
        alpha: weight of positives in (0, 1), or < 0 for none.
        gamma: focusing exponent.
        reduction: "none" | "mean" | "sum".
    """
    return _tv_sigmoid_focal_loss(inputs, targets.to(inputs.dtype), alpha=alpha, gamma=gamma, reduction=reduction)


def sigmoid_focal_loss_star(
    inputs: torch.Tensor, targets: torch.Tensor, alpha: float = -1, gamma: float = 1, reduction: str = "none"
) -> torch.Tensor:
    """FL* from the focal-loss paper's appendix: ``-log(sigmoid(gamma * x_t)) / gamma``."""
    shifted_inputs = gamma * (inputs * (2 * targets - 1))
    loss = -(F.logsigmoid(shifted_inputs)) / gamma
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = loss * alpha_t
    return _reduce(loss, reduction)


# Detectron2 code calls the TorchScript-compiled variants by these names; eager functions serve the same role.
sigmoid_focal_loss_jit = sigmoid_focal_loss
sigmoid_focal_loss_star_jit = sigmoid_focal_loss_star
