"""`subsample_labels`: pick a fixed-size, class-balanced minibatch of anchors or proposals."""
from typing import Tuple

import torch

from detectra.layers import nonzero_tuple

__all__ = ["subsample_labels"]


def subsample_labels(
    labels: torch.Tensor, num_samples: int, positive_fraction: float, bg_label: int
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Randomly sample up to ``num_samples`` elements, at most ``positive_fraction`` of them positive; negatives
    fill the rest.

    Args:
        labels: Tensor[N]: -1 = ignore, ``bg_label`` = negative, anything else = positive.
        num_samples: total number of samples wanted.
        positive_fraction: wanted fraction of positives.
        bg_label: the label of negatives.

    Returns:
        pos_idx, neg_idx: int64 index Tensors of the sampled positives and negatives.
    """
    positive = nonzero_tuple((labels != -1) & (labels != bg_label))[0]
    negative = nonzero_tuple(labels == bg_label)[0]

    num_pos = int(num_samples * positive_fraction)
    num_pos = min(positive.numel(), num_pos)  # too few positives: fill with negatives
    num_neg = num_samples - num_pos
    num_neg = min(negative.numel(), num_neg)

    perm1 = torch.randperm(positive.numel(), device=positive.device)[:num_pos]
    perm2 = torch.randperm(negative.numel(), device=negative.device)[:num_neg]
    return positive[perm1], negative[perm2]
