"""Patterns from code written against Detectron2 (custom heads registered from YAML, export helpers, data
utilities), run through detectra: what such code gets back, and the errors it sees."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detectra.export import scripting_with_instances


class _ShapeInMessage(nn.Module):
    """A layer TorchScript cannot compile: its error message starts with a blank line."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"expected NCHW, got {tuple(x.shape)}")
        return x


def test_scripting_error_quotes_what_torchscript_said():
    with pytest.raises(NotImplementedError) as info:
        scripting_with_instances(_ShapeInMessage().eval(), {})
    said = str(info.value).split("(torch.jit.script said: ", 1)[1]
    assert said.startswith("cannot statically infer the expected size of a list"), said
