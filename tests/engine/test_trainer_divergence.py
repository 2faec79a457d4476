"""A NaN loss in a model whose frozen norms were never loaded: `Trainer.train` names that cause and the fix."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from detectra.engine import Trainer, TrainSettings
from detectra.layers import FrozenBatchNorm2d


class _Diverging(nn.Module):
    """conv -> FrozenBN; the loss is NaN from the first step, as a diverged from-scratch backbone's becomes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = FrozenBatchNorm2d(4)

    def forward(self, batch: list[dict]) -> dict[str, torch.Tensor]:
        x = self.norm(self.conv(torch.stack([d["image"] for d in batch])))
        return {"loss_cls": x.mean() * float("nan")}


def _train(model: nn.Module, tmp_path) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = itertools.repeat([{"image": torch.rand(3, 8, 8)}])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: 1.0)
    settings = TrainSettings(output_dir=str(tmp_path), max_iter=3, checkpoint_period=100)
    trainer = Trainer(model=model, optimizer=optimizer, data_loader=loader, scheduler=scheduler, settings=settings)
    trainer.train()


def test_nan_loss_with_frozen_norms_at_their_initial_values_names_them_and_the_fix(tmp_path):
    with pytest.raises(FloatingPointError) as info:
        _train(_Diverging(), tmp_path)
    message = str(info.value)
    assert message.startswith("Loss became infinite or NaN at iteration=0")  # the loop's own message comes first
    assert "1 FrozenBatchNorm2d layers hold their initial statistics" in message
    assert "MODEL.RESNETS.NORM BN" in message and 'model.backbone.bottom_up.stages.norm = "BN"' in message


def test_nan_loss_with_loaded_frozen_norms_keeps_the_plain_message(tmp_path):
    model = _Diverging()
    model.norm.running_mean.fill_(0.5)  # as pretrained statistics would be
    model.norm.running_var.fill_(4.0)
    with pytest.raises(FloatingPointError) as info:
        _train(model, tmp_path)
    assert "FrozenBatchNorm2d" not in str(info.value)
    assert "Lower the learning rate" in str(info.value)
