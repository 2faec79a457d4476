"""Box heads: per-ROI feature extractors between the pooler and `FastRCNNOutputLayers`."""
from typing import List

import numpy as np
import torch
from torch import nn

from detectra.config import configurable
from detectra.layers import ShapeSpec, conv3x3_norm_act
from detectra.utils.registry import Registry

from ..weight_init import c2_msra_fill, c2_xavier_fill

__all__ = ["FastRCNNConvFCHead", "build_box_head", "ROI_BOX_HEAD_REGISTRY"]

ROI_BOX_HEAD_REGISTRY = Registry("ROI_BOX_HEAD")
ROI_BOX_HEAD_REGISTRY.__doc__ = """Box heads: ``cls(cfg, input_shape: ShapeSpec)``."""


@ROI_BOX_HEAD_REGISTRY.register()
class FastRCNNConvFCHead(nn.Sequential):
    """Convs (3x3 + norm + ReLU) then fully connected layers (+ ReLU) on pooled ROI features.

    Module names follow Detectron2 (``conv1``.., ``flatten``, ``fc1``, ``fc_relu1``, ...) so checkpoints load.

    Args:
        input_shape: shape of the pooled features (channels, height, width).
        conv_dims: output channels of each conv.
        fc_dims: output size of each fully connected layer.
        conv_norm: norm of the convs ("" for none).
    """

    @configurable
    def __init__(self, input_shape: ShapeSpec, *, conv_dims: List[int], fc_dims: List[int], conv_norm: str = ""):
        super().__init__()
        if len(conv_dims) + len(fc_dims) == 0:
            raise ValueError("FastRCNNConvFCHead needs at least one conv or fc layer (NUM_CONV + NUM_FC > 0).")
        self._output_size = (input_shape.channels, input_shape.height, input_shape.width)

        self.conv_norm_relus = []
        for k, conv_dim in enumerate(conv_dims):
            conv = conv3x3_norm_act(self._output_size[0], conv_dim, conv_norm, nn.ReLU())
            self.add_module(f"conv{k + 1}", conv)
            self.conv_norm_relus.append(conv)
            self._output_size = (conv_dim, self._output_size[1], self._output_size[2])

        self.fcs = []
        for k, fc_dim in enumerate(fc_dims):
            if k == 0:
                self.add_module("flatten", nn.Flatten())
            fc = nn.Linear(int(np.prod(self._output_size)), fc_dim)
            self.add_module(f"fc{k + 1}", fc)
            self.add_module(f"fc_relu{k + 1}", nn.ReLU())
            self.fcs.append(fc)
            self._output_size = fc_dim

        for layer in self.conv_norm_relus:
            c2_msra_fill(layer)
        for layer in self.fcs:
            c2_xavier_fill(layer)

    @classmethod
    def from_config(cls, cfg, input_shape: ShapeSpec):
        h = cfg.MODEL.ROI_BOX_HEAD
        return {
            "input_shape": input_shape,
            "conv_dims": [h.CONV_DIM] * h.NUM_CONV,
            "fc_dims": [h.FC_DIM] * h.NUM_FC,
            "conv_norm": h.NORM,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: Tensor[N, C, H, W]. Returns: Tensor[N, fc_dim] (or [N, C', H, W] without fc layers)."""
        for layer in self:
            x = layer(x)
        return x

    @property
    def output_shape(self) -> ShapeSpec:
        """Shape of the output (a ShapeSpec with channels only after fc layers)."""
        o = self._output_size
        if isinstance(o, int):
            return ShapeSpec(channels=o)
        return ShapeSpec(channels=o[0], height=o[1], width=o[2])


def build_box_head(cfg, input_shape: ShapeSpec) -> nn.Module:
    """Build ``cfg.MODEL.ROI_BOX_HEAD.NAME``."""
    return ROI_BOX_HEAD_REGISTRY.get(cfg.MODEL.ROI_BOX_HEAD.NAME)(cfg, input_shape)
