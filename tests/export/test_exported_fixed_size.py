"""An export made without ``--dynamic`` runs on images of its example's size only: another size is refused before
the graph runs, with one message naming the file, both sizes and the fix (instead of the runtime's own guard error)."""
from __future__ import annotations

import json

import pytest
import torch

from detectra.export import ExportedModel


class _Sum(torch.nn.Module):
    def forward(self, image: torch.Tensor):
        return (image.float().sum(),)


def _fixed_size_export(tmp_path, dynamic: bool):
    path = tmp_path / "model.ts"
    torch.jit.trace(_Sum(), torch.zeros(3, 4, 5)).save(str(path))
    sidecar = {"format": "torchscript", "input": {"name": "image", "layout": "CHW", "dtype": "float32",
                                                  "example_hw": [4, 5], "dynamic_hw": dynamic},
               "outputs_schema": {"type": "IdentitySchema"}}  # fmt: skip
    (tmp_path / "model.ts.json").write_text(json.dumps(sidecar))
    return ExportedModel(path)


def test_fixed_size_export_refuses_another_size_naming_the_fix(tmp_path):
    model = _fixed_size_export(tmp_path, dynamic=False)
    assert model.raw_outputs(torch.ones(3, 4, 5)).item() == 60.0
    with pytest.raises(ValueError, match=r"model\.ts was exported for 4x5 \(height x width\) images only \(without "
                                         r"--dynamic\), and this image is 6x5 after resizing: export it again with "
                                         r"--dynamic"):
        model.raw_outputs(torch.ones(3, 6, 5))


def test_dynamic_export_takes_any_size(tmp_path):
    assert _fixed_size_export(tmp_path, dynamic=True).raw_outputs(torch.ones(3, 6, 5)).item() == 90.0
