"""`Matcher`: assign each prediction (anchor, proposal) to its best ground truth, labelled by IoU bands; and the
class each prediction takes from its match."""
from typing import List, Tuple

import torch

from detectra.layers import nonzero_tuple

__all__ = ["Matcher"]


class Matcher:
    """Matches each of N predictions to one of M ground-truth elements by the highest quality (e.g. IoU).

    ``thresholds`` split IoU into bands, ``labels`` gives each band's label: 1 = positive, 0 = negative,
    -1 = ignore. E.g. thresholds [0.3, 0.7], labels [0, -1, 1]: IoU < 0.3 negative, [0.3, 0.7) ignored, >= 0.7 positive.

    Args:
        thresholds: increasing IoU thresholds (the first > 0).
        labels: one label per band, ``len(thresholds) + 1`` of them, each in {-1, 0, 1}.
        allow_low_quality_matches: also mark positive, for each ground truth, the predictions that overlap it best
            (even below the positive threshold), so every ground truth gets a match (RPN, RetinaNet).
    """

    def __init__(self, thresholds: List[float], labels: List[int], allow_low_quality_matches: bool = False):
        thresholds = list(thresholds)
        if thresholds[0] < 0:
            raise ValueError(f"Matcher thresholds must be >= 0, got {thresholds}.")
        thresholds.insert(0, -float("inf"))
        thresholds.append(float("inf"))
        if not all(low <= high for low, high in zip(thresholds[:-1], thresholds[1:])):
            raise ValueError(f"Matcher thresholds must be increasing, got {thresholds[1:-1]}.")
        if not all(label in (-1, 0, 1) for label in labels):
            raise ValueError(f"Matcher labels must be in {{-1, 0, 1}}, got {labels}.")
        if len(labels) != len(thresholds) - 1:
            raise ValueError(f"Matcher needs len(thresholds) + 1 labels; got {thresholds[1:-1]} and {labels}.")
        self.thresholds = thresholds
        self.labels = list(labels)
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Args:
            match_quality_matrix: Tensor[M, N]: quality (>= 0) of ground truth m for prediction n.

        Returns:
            matches: int64 Tensor[N]: index in [0, M) of the matched ground truth (0 where M == 0).
            match_labels: int8 Tensor[N]: 1, 0 or -1 for every prediction.
        """
        if match_quality_matrix.dim() != 2:
            raise ValueError(f"match_quality_matrix must be (M, N), got {tuple(match_quality_matrix.shape)}.")
        if match_quality_matrix.numel() == 0:
            n = match_quality_matrix.size(1)
            default_matches = match_quality_matrix.new_full((n,), 0, dtype=torch.int64)
            # no ground truth: everything gets the label of the lowest band (background, normally)
            default_match_labels = match_quality_matrix.new_full((n,), self.labels[0], dtype=torch.int8)
            return default_matches, default_match_labels

        matched_vals, matches = match_quality_matrix.max(dim=0)  # (N,), (N,)
        match_labels = matches.new_full(matches.size(), 1, dtype=torch.int8)
        for label, low, high in zip(self.labels, self.thresholds[:-1], self.thresholds[1:]):
            low_high = (matched_vals >= low) & (matched_vals < high)
            match_labels[low_high] = label
        if self.allow_low_quality_matches:
            self.set_low_quality_matches_(match_labels, match_quality_matrix)
        return matches, match_labels

    def set_low_quality_matches_(self, match_labels: torch.Tensor, match_quality_matrix: torch.Tensor) -> None:
        """Mark positive every prediction that ties for the highest quality with some ground truth (in place).

        The match index itself is kept from the argmax, as in Detectron2 / the FPN paper's implementation.
        """
        highest_quality_foreach_gt, _ = match_quality_matrix.max(dim=1)  # (M,)
        _, pred_inds_with_highest_quality = nonzero_tuple(match_quality_matrix == highest_quality_foreach_gt[:, None])
        match_labels[pred_inds_with_highest_quality] = 1


def _classes_of_matches(
    gt_classes: torch.Tensor, matched_idxs: torch.Tensor, match_labels: torch.Tensor, bg_label: int
) -> torch.Tensor:
    """Per prediction, the class of the ground truth a `Matcher` matched it to: ``bg_label`` where the match is
    negative (label 0), -1 where it is ignored (label -1); ``bg_label`` everywhere without ground truth.

    Args:
        gt_classes: Tensor[M], the ground truth's classes.
        matched_idxs, match_labels: Tensor[R] each, the `Matcher`'s output.

    Returns:
        int64 Tensor[R].
    """
    if gt_classes.numel() == 0:
        return torch.full_like(matched_idxs, bg_label)
    classes = gt_classes[matched_idxs]
    classes[match_labels == 0] = bg_label
    classes[match_labels == -1] = -1
    return classes
