"""MODEL.DEVICE auto picks cuda, then mps, then cpu; a device the machine lacks is one clear error."""
from __future__ import annotations

import pytest
import torch

from detectra.utils import device as device_module
from detectra.utils.device import resolve_device


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(device_module, "_mps_available", lambda: True)
    assert resolve_device("AUTO") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_missing_devices_say_what_to_do(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"MODEL.DEVICE is 'cuda' but this machine has no usable CUDA GPU.*"
                                           r"set MODEL.DEVICE cpu, or auto"):
        resolve_device("cuda")
    with pytest.raises(RuntimeError, match="MPS is not available"):
        resolve_device("mps")
    with pytest.raises(RuntimeError, match="not a device name"):
        resolve_device("gpu0")


def test_build_model_with_a_missing_cuda_fails_before_torch_does(monkeypatch):
    from detectra.config import get_cfg
    from detectra.modeling import build_model

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cfg = get_cfg()
    cfg.MODEL.DEVICE = "cuda"
    with pytest.raises(RuntimeError, match="no usable CUDA GPU"):
        build_model(cfg)
    cfg.MODEL.DEVICE = "auto"
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)
    cfg.MODEL.RESNETS.DEPTH = 18
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 64
    assert next(build_model(cfg).parameters()).device == torch.device("cpu")
