"""`Backbone`: the feature-extractor contract every detector head is wired against."""
from abc import ABCMeta, abstractmethod
from typing import Dict

import torch
from torch import nn

from detectra.layers import ShapeSpec

__all__ = ["Backbone"]


class Backbone(nn.Module, metaclass=ABCMeta):
    """A network mapping an image batch Tensor[N, C, H, W] to named feature maps ``{name: Tensor}``.

    Subclasses set ``_out_features``, ``_out_feature_channels`` and ``_out_feature_strides`` so that heads can be
    built from :meth:`output_shape` without running the network.
    """

    def __init__(self) -> None:
        super().__init__()

    @abstractmethod
    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Args: x: Tensor[N, C, H, W]. Returns: ``{feature name: Tensor[N, C_f, H_f, W_f]}``."""

    @property
    def size_divisibility(self) -> int:
        """Input height and width must be multiples of this (0: no constraint); ImageList pads batches to it."""
        return 0

    @property
    def padding_constraints(self) -> Dict[str, int]:
        """Extra padding rules for ImageList.from_tensors, e.g. ``{"square_size": 1024}``; empty for none."""
        return {}

    def output_shape(self) -> Dict[str, ShapeSpec]:
        """Returns: ``{feature name: ShapeSpec(channels, stride)}`` for every output feature."""
        return {
            name: ShapeSpec(channels=self._out_feature_channels[name], stride=self._out_feature_strides[name])
            for name in self._out_features
        }
