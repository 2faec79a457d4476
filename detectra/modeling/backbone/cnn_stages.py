"""`StemStagesBackbone`: what ResNet and AnyNet / RegNet share as a stem followed by stages of `CNNBlockBase`
blocks: the per-stage stride / channel bookkeeping, the output-name check, the forward through the stages and
freezing by depth."""
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from detectra.layers import CNNBlockBase

from .backbone import Backbone

__all__ = ["StemStagesBackbone"]


class StemStagesBackbone(Backbone):
    """Base of the CNN backbones made of ``self.stem`` and named stages; subclasses list their stages in
    ``_named_stages`` (their attribute names differ: ``ResNet.stages`` / ``AnyNet.stages_and_names``)."""

    def _named_stages(self) -> Iterable[Tuple[str, nn.Module]]:
        """Returns: the ``(name, stage)`` pairs in forward order."""
        raise NotImplementedError

    def _record_stem(self, stem: CNNBlockBase) -> None:
        self._out_feature_strides = {"stem": stem.stride}
        self._out_feature_channels = {"stem": stem.out_channels}

    def _record_stage(self, name: str, blocks: Sequence[CNNBlockBase]) -> None:
        """Record the stride and channels of the stage after the last recorded one."""
        stride_in = list(self._out_feature_strides.values())[-1]
        self._out_feature_strides[name] = int(stride_in * np.prod([b.stride for b in blocks]))
        self._out_feature_channels[name] = blocks[-1].out_channels

    def _set_out_features(self, out_features: Sequence[str], available: List[str]) -> None:
        for f in out_features:
            if f not in available:
                raise ValueError(f"{type(self).__name__} out_features has {f!r}; available: {', '.join(available)}.")
        self._out_features = list(out_features)

    def _forward_stages(self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Run the stem and every stage.

        Args:
            x: Tensor[N, C, H, W].

        Returns:
            the last stage's output, and ``{name: feature}`` for the stem / stages among ``out_features``.
        """
        if x.dim() != 4:
            raise ValueError(f"{type(self).__name__} takes an input of shape (N, C, H, W); got {tuple(x.shape)}.")
        if x.device.type == "cpu":
            # oneDNN runs NHWC convolutions without reordering around every layer: 10-25% faster on CPU;
            # the layout then propagates through the network (FPN, heads)
            x = x.contiguous(memory_format=torch.channels_last)
        outputs = {}
        x = self.stem(x)
        if "stem" in self._out_features:
            outputs["stem"] = x
        for name, stage in self._named_stages():
            x = stage(x)
            if name in self._out_features:
                outputs[name] = x
        return x, outputs

    def freeze(self, freeze_at: int = 0) -> "StemStagesBackbone":
        """Freeze the stem (freeze_at >= 1) and the first ``freeze_at - 1`` stages: no gradients, FrozenBN.

        Returns:
            the model itself.
        """
        if freeze_at >= 1:
            self.stem.freeze()
        for idx, (_, stage) in enumerate(self._named_stages(), start=2):
            if freeze_at >= idx:
                for block in stage.children():
                    block.freeze()
        return self
