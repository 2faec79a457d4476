"""torchvision://ARCH weights: the cached file loads into Detectron2's ResNet names, downloads are checked
against the hash in their file name, the offline error says where to put the file, and the input settings
those weights expect are applied (CLI) or checked (API)."""
from __future__ import annotations

import logging
import urllib.error
from pathlib import Path

import pytest
import torch
import torchvision

from detectra.checkpoint import DetectionCheckpointer
from detectra.checkpoint import catalog
from detectra.checkpoint.torchvision_loading import (
    TORCHVISION_INPUT,
    apply_torchvision_preprocessing,
    check_torchvision_preprocessing,
    torchvision_weights_url,
)
from detectra.config import get_cfg


def _r18_cfg():
    from detectra import model_zoo

    cfg = get_cfg()
    cfg.merge_from_file(model_zoo.get_config_file("COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml"))
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.RESNETS.DEPTH = 18
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 64
    cfg.MODEL.WEIGHTS = "torchvision://resnet18"
    return cfg


def test_cached_torchvision_resnet_loads_into_the_backbone(tmp_path, monkeypatch, caplog):
    from detectra.modeling import build_model

    monkeypatch.setenv("DETECTRA_CACHE", str(tmp_path))
    url = torchvision_weights_url("torchvision://resnet18")
    assert url.startswith("https://download.pytorch.org/models/resnet18-")
    state = torchvision.models.resnet18(weights=None).state_dict()  # generated, not downloaded
    Path(catalog.cached_path(url)).parent.mkdir(parents=True)
    torch.save(state, catalog.cached_path(url))
    cfg = _r18_cfg()
    assert apply_torchvision_preprocessing(cfg) == list(TORCHVISION_INPUT)
    assert check_torchvision_preprocessing(cfg) == []
    model = build_model(cfg)
    with caplog.at_level(logging.WARNING):
        DetectionCheckpointer(model).load("torchvision://resnet18")
    assert "weights expect" not in caplog.text  # the input settings match
    body = model.backbone.bottom_up.state_dict()
    torch.testing.assert_close(body["stem.conv1.weight"], state["conv1.weight"])
    torch.testing.assert_close(body["res3.0.shortcut.weight"], state["layer2.0.downsample.0.weight"])
    torch.testing.assert_close(body["res5.1.conv2.norm.running_var"], state["layer4.1.bn2.running_var"])


def test_api_warns_when_the_model_normalises_otherwise(tmp_path, monkeypatch, caplog):
    from detectra.modeling import build_model

    monkeypatch.setenv("DETECTRA_CACHE", str(tmp_path))
    url = torchvision_weights_url("resnet18")
    Path(catalog.cached_path(url)).parent.mkdir(parents=True)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), catalog.cached_path(url))
    model = build_model(_r18_cfg())  # Detectron2's BGR mean / std
    with caplog.at_level(logging.WARNING):
        DetectionCheckpointer(model).load("torchvision://resnet18")
    assert "torchvision's ImageNet weights expect RGB input" in caplog.text and "INPUT.FORMAT RGB" in caplog.text


def test_download_is_checked_against_the_hash_in_its_name(tmp_path):
    payload = b"weights" * 1000
    import hashlib

    digest = hashlib.sha256(payload).hexdigest()
    good = tmp_path / f"w-{digest[:8]}.pth"
    good.write_bytes(payload)
    dest = tmp_path / "cache" / "good.pth"
    catalog.download(good.as_uri(), str(dest))
    assert dest.read_bytes() == payload
    bad = tmp_path / "w-00000000.pth"
    bad.write_bytes(payload)
    with pytest.raises(RuntimeError, match=f"SHA-256 {digest[:8]}..., not the 00000000"):
        catalog.download(bad.as_uri(), str(tmp_path / "cache" / "bad.pth"))
    assert not (tmp_path / "cache" / "bad.pth").exists()


def test_offline_error_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DETECTRA_CACHE", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(catalog.urllib.request, "urlopen", offline)
    expected = str(tmp_path / "models" / "resnet50-0676ba61.pth")
    with pytest.raises(RuntimeError, match="copy it to '" + expected.replace(".", r"\.")):
        catalog.get_local_path("torchvision://resnet50")


def test_unknown_architecture_lists_the_known_ones():
    with pytest.raises(KeyError, match="torchvision://resnet50, torchvision://resnet101"):
        torchvision_weights_url("torchvision://vgg16")


def test_cli_applies_the_input_settings_unless_given(monkeypatch):
    from detectra.cli._common import load_config
    from detectra.cli.analyze import build_parser

    args = build_parser("a").parse_args(["--config-file", "COCO-Detection/faster_rcnn_R_50_FPN_1x", "MODEL.WEIGHTS",
                                         "torchvision://resnet50", "INPUT.FORMAT", "BGR"])  # fmt: skip
    cfg = load_config(args)
    assert list(cfg.MODEL.PIXEL_MEAN) == TORCHVISION_INPUT["MODEL.PIXEL_MEAN"]
    assert cfg.MODEL.RESNETS.STRIDE_IN_1X1 is False and cfg.INPUT.FORMAT == "BGR"  # the user's choice stays
