"""DetectionCheckpointer on the file formats users bring: Detectron2 .pth / model-zoo .pkl, Caffe2 .pkl, torchvision
ResNet state dicts, and malicious pickles; plus the name conversion rules and the download cache."""
import logging
import os
import pickle
import re

import numpy as np
import pytest
import torch
from torch import nn

from detectra.checkpoint import DetectionCheckpointer, UnsafeCheckpointError, align_and_update_state_dicts, catalog
from detectra.checkpoint.c2_model_loading import convert_basic_c2_names, convert_c2_detectron_names
from detectra.checkpoint.torchvision_loading import convert_torchvision_resnet_names, is_torchvision_resnet

# A slice of Faster R-CNN FPN's parameter names (Detectron2's) with small shapes.
D2_SHAPES = {
    "backbone.bottom_up.stem.conv1.weight": (4, 3, 3, 3),
    "backbone.bottom_up.stem.conv1.norm.weight": (4,),
    "backbone.bottom_up.stem.conv1.norm.bias": (4,),
    "backbone.bottom_up.res2.0.conv1.weight": (4, 4, 1, 1),
    "backbone.bottom_up.res2.0.conv1.norm.running_mean": (4,),
    "backbone.bottom_up.res2.0.shortcut.weight": (8, 4, 1, 1),
    "backbone.fpn_lateral2.weight": (6, 8, 1, 1),
    "backbone.fpn_output2.weight": (6, 6, 3, 3),
    "proposal_generator.rpn_head.conv.weight": (6, 6, 3, 3),
    "proposal_generator.rpn_head.objectness_logits.weight": (3, 6, 1, 1),
    "roi_heads.box_head.fc1.weight": (5, 7),
    "roi_heads.box_predictor.cls_score.weight": (4, 5),  # 3 classes + background (last)
    "roi_heads.box_predictor.bbox_pred.weight": (12, 5),  # 3 classes x 4
}


def _model_from_shapes(shapes, seed=0):
    """An nn.Module whose state dict has exactly these keys (zeros + a seed-dependent constant)."""
    root = nn.Module()
    for key, shape in shapes.items():
        *path, leaf = key.split(".")
        m = root
        for p in path:
            if not hasattr(m, p):
                m.add_module(p, nn.Module())
            m = getattr(m, p)
        if leaf.startswith("running"):
            m.register_buffer(leaf, torch.full(shape, float(seed)))
        else:
            m.register_parameter(leaf, nn.Parameter(torch.full(shape, float(seed))))
    return root


def _arrays(shapes, seed=1):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}


def _assert_loaded(model, arrays, skip=()):
    sd = model.state_dict()
    for k, v in arrays.items():
        if k not in skip:
            np.testing.assert_array_equal(sd[k].numpy(), v, err_msg=k)


def test_detectron2_pth(tmp_path):
    arrays = _arrays(D2_SHAPES)
    torch.save({"model": {k: torch.from_numpy(v) for k, v in arrays.items()}, "iteration": 89999,
                "optimizer": {"state": {}, "param_groups": []}}, tmp_path / "model_final.pth")
    model = _model_from_shapes(D2_SHAPES)
    extra = DetectionCheckpointer(model).load(str(tmp_path / "model_final.pth"))
    _assert_loaded(model, arrays)
    assert extra["iteration"] == 89999 and "optimizer" in extra  # no optimizer registered: returned to caller


def test_detectron2_model_zoo_pkl_with_new_num_classes(tmp_path, caplog):
    arrays = _arrays(D2_SHAPES)
    with open(tmp_path / "model_final_280758.pkl", "wb") as f:
        pickle.dump({"model": arrays, "__author__": "Detectron2 Model Zoo", "matching_heuristics": True}, f)
    shapes = dict(D2_SHAPES)
    shapes["roi_heads.box_predictor.cls_score.weight"] = (3, 5)  # fine-tuning with 2 classes
    shapes["roi_heads.box_predictor.bbox_pred.weight"] = (8, 5)
    model = _model_from_shapes(shapes)
    with caplog.at_level(logging.INFO):
        DetectionCheckpointer(model).load(str(tmp_path / "model_final_280758.pkl"))
    skipped = {"roi_heads.box_predictor.cls_score.weight", "roi_heads.box_predictor.bbox_pred.weight"}
    _assert_loaded(model, arrays, skip=skipped)
    assert torch.all(model.roi_heads.box_predictor.cls_score.weight == 0)  # kept its initial value
    assert "Detectron2 Model Zoo" in caplog.text
    assert "Shape of roi_heads.box_predictor.cls_score.weight in checkpoint is (4, 5)" in caplog.text
    assert "missing in checkpoint" in caplog.text  # the table lists the two skipped keys


def test_caffe2_name_conversion_rules():
    c2 = [
        "conv1_w", "res_conv1_bn_s", "res_conv1_bn_b", "res2_0_branch2a_w", "res2_0_branch2a_bn_s",
        "res2_0_branch2b_bn_rm", "res2_0_branch2c_bn_riv", "res3_1_branch1_w", "res4_0_branch1_bn_b", "pred_w",
        "res2_0_branch2a_gn_s", "fc1000_b",
    ]
    assert convert_basic_c2_names(c2) == [
        "stem.conv1.weight", "stem.conv1.norm.weight", "stem.conv1.norm.bias", "res2.0.conv1.weight",
        "res2.0.conv1.norm.weight", "res2.0.conv2.norm.running_mean", "res2.0.conv3.norm.running_var",
        "res3.1.shortcut.weight", "res4.0.shortcut.norm.bias", "linear.weight", "res2.0.conv1.norm.weight",
        "fc1000.bias",
    ]
    detectron = {
        "fpn_inner_res2_2_sum_lateral_w": "fpn_lateral2.weight",
        "fpn_inner_res5_2_sum_b": "fpn_lateral5.bias",
        "fpn_res3_3_sum_w": "fpn_output3.weight",
        "conv_rpn_fpn2_w": "proposal_generator.rpn_head.conv.weight",
        "rpn_cls_logits_fpn2_b": "proposal_generator.rpn_head.objectness_logits.bias",
        "rpn_bbox_pred_fpn2_w": "proposal_generator.rpn_head.anchor_deltas.weight",
        "conv_rpn_w": "proposal_generator.rpn_head.conv.weight2",  # placeholder, replaced below
        "fc6_w": "box_head.fc1.weight",
        "fc7_b": "box_head.fc2.bias",
        "head_conv1_gn_s": "box_head.conv1.norm.weight",
        "_[mask]_fcn1_w": "mask_head.mask_fcn1.weight",
        "mask_fcn_logits_w": "mask_head.predictor.weight",
        "conv5_mask_w": "mask_head.deconv.weight",
        "conv_fcn3_b": "roi_heads.keypoint_head.conv_fcn3.bias",
        "kps_score_lowres_w": "roi_heads.keypoint_head.score_lowres.weight",
    }
    del detectron["conv_rpn_w"]  # the non-FPN RPN name would collide with the FPN one in one file
    renamed, back = convert_c2_detectron_names({k: np.zeros((5, 1), np.float32) for k in detectron})
    assert {back[new]: new for new in renamed} == detectron
    renamed, _ = convert_c2_detectron_names({"conv_rpn_w": np.zeros(1), "rpn_bbox_pred_w": np.zeros(1)})
    assert set(renamed) == {"proposal_generator.rpn_head.conv.weight", "proposal_generator.rpn_head.anchor_deltas.weight"}


def test_caffe2_pkl_loads_with_background_handling(tmp_path):
    rng = np.random.default_rng(0)
    blobs = {
        "conv1_w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "conv1_w_momentum": np.ones((4, 3, 3, 3), np.float32),
        "res_conv1_bn_b": rng.standard_normal(4).astype(np.float32),
        "res2_0_branch2a_w": rng.standard_normal((4, 4, 1, 1)).astype(np.float32),
        "res2_0_branch2a_bn_rm": rng.standard_normal(4).astype(np.float32),
        "res2_0_branch1_w": rng.standard_normal((8, 4, 1, 1)).astype(np.float32),
        "fpn_inner_res2_2_sum_lateral_w": rng.standard_normal((6, 8, 1, 1)).astype(np.float32),
        "fpn_res2_2_sum_w": rng.standard_normal((6, 6, 3, 3)).astype(np.float32),
        "conv_rpn_fpn2_w": rng.standard_normal((6, 6, 3, 3)).astype(np.float32),
        "rpn_cls_logits_fpn2_w": rng.standard_normal((3, 6, 1, 1)).astype(np.float32),
        "fc6_w": rng.standard_normal((5, 7)).astype(np.float32),
        "cls_score_w": rng.standard_normal((4, 5)).astype(np.float32),  # background first in Caffe2
        "bbox_pred_w": rng.standard_normal((16, 5)).astype(np.float32),  # 4 background rows first
    }
    # Detectron1 detection files wrap the weights in "blobs"; pickled with protocol 2, Python-2 style
    with open(tmp_path / "model_final.pkl", "wb") as f:
        pickle.dump({"blobs": blobs, "cfg": "yaml text"}, f, protocol=2)
    model = _model_from_shapes(D2_SHAPES, seed=7)
    DetectionCheckpointer(model).load(str(tmp_path / "model_final.pkl"))
    sd = model.state_dict()
    np.testing.assert_array_equal(sd["backbone.bottom_up.stem.conv1.weight"].numpy(), blobs["conv1_w"])
    np.testing.assert_array_equal(sd["backbone.bottom_up.stem.conv1.norm.bias"].numpy(), blobs["res_conv1_bn_b"])
    np.testing.assert_array_equal(sd["backbone.bottom_up.res2.0.conv1.weight"].numpy(), blobs["res2_0_branch2a_w"])
    np.testing.assert_array_equal(
        sd["backbone.bottom_up.res2.0.conv1.norm.running_mean"].numpy(), blobs["res2_0_branch2a_bn_rm"]
    )
    np.testing.assert_array_equal(sd["backbone.bottom_up.res2.0.shortcut.weight"].numpy(), blobs["res2_0_branch1_w"])
    np.testing.assert_array_equal(sd["backbone.fpn_lateral2.weight"].numpy(), blobs["fpn_inner_res2_2_sum_lateral_w"])
    np.testing.assert_array_equal(sd["backbone.fpn_output2.weight"].numpy(), blobs["fpn_res2_2_sum_w"])
    np.testing.assert_array_equal(sd["proposal_generator.rpn_head.conv.weight"].numpy(), blobs["conv_rpn_fpn2_w"])
    np.testing.assert_array_equal(sd["roi_heads.box_head.fc1.weight"].numpy(), blobs["fc6_w"])
    cls = blobs["cls_score_w"]
    np.testing.assert_array_equal(sd["roi_heads.box_predictor.cls_score.weight"].numpy(), np.concatenate([cls[1:], cls[:1]]))
    np.testing.assert_array_equal(sd["roi_heads.box_predictor.bbox_pred.weight"].numpy(), blobs["bbox_pred_w"][4:])
    # the stem norm weight was in no blob: initial value kept
    assert torch.all(sd["backbone.bottom_up.stem.conv1.norm.weight"] == 7)


def test_flat_caffe2_imagenet_pkl(tmp_path):
    # ImageNet backbones are flat dicts (no "blobs"); the classifier matches nothing and is ignored.
    blobs = {"res2_0_branch2a_w": np.full((4, 4, 1, 1), 3.0, np.float32), "fc1000_w": np.ones((10, 4), np.float32)}
    with open(tmp_path / "R-50.pkl", "wb") as f:
        pickle.dump(blobs, f)
    model = _model_from_shapes(D2_SHAPES)
    DetectionCheckpointer(model).load(str(tmp_path / "R-50.pkl"))
    assert torch.all(model.state_dict()["backbone.bottom_up.res2.0.conv1.weight"] == 3.0)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED_BY_PICKLE",))


@pytest.mark.parametrize("payload", [_Evil(), {"model": {"w": _Evil()}, "__author__": "x"}])
def test_malicious_pkl_is_refused(tmp_path, monkeypatch, payload):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pkl"
    with open(path, "wb") as f:
        pickle.dump(payload, f)
    with pytest.raises(UnsafeCheckpointError) as e:
        DetectionCheckpointer(_model_from_shapes(D2_SHAPES)).load(str(path))
    assert str(path) in str(e.value) and "posix.system" in str(e.value) and "arbitrary code" in str(e.value)
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()


def test_matching_heuristics_query_on_pth(tmp_path):
    arrays = {"res2.0.conv1.weight": np.full((4, 4, 1, 1), 2.0, np.float32),
              "stem.conv1.weight": np.full((4, 3, 3, 3), 5.0, np.float32)}
    torch.save({k: torch.from_numpy(v) for k, v in arrays.items()}, tmp_path / "backbone.pth")  # bare state dict
    model = _model_from_shapes(D2_SHAPES)
    DetectionCheckpointer(model).load(str(tmp_path / "backbone.pth"))  # without heuristics: nothing matches
    assert torch.all(model.state_dict()["backbone.bottom_up.stem.conv1.weight"] == 0)
    DetectionCheckpointer(model).load(str(tmp_path / "backbone.pth") + "?matching_heuristics=True")
    sd = model.state_dict()
    assert torch.all(sd["backbone.bottom_up.stem.conv1.weight"] == 5) and torch.all(sd["backbone.bottom_up.res2.0.conv1.weight"] == 2)


def test_align_picks_longest_suffix_and_rejects_ambiguity():
    model = {"a.b.weight": torch.zeros(2), "c.b.weight": torch.zeros(2), "x.weight": torch.zeros(3)}
    out = align_and_update_state_dicts(model, {"a.b.weight": torch.ones(2), "b.weight": torch.full((2,), 2.0)},
                                       c2_conversion=False)
    assert torch.all(out["a.b.weight"] == 1) and torch.all(out["c.b.weight"] == 2)
    assert "x.weight" not in out
    # one checkpoint key suffix-matching two model keys is ambiguous
    with pytest.raises(ValueError, match="Ambiguous"):
        align_and_update_state_dicts(model, {"b.weight": torch.ones(2)}, c2_conversion=False)
    # "ab.weight" must not match "b.weight": suffixes only at a "." boundary
    out = align_and_update_state_dicts({"ab.weight": torch.zeros(2)}, {"b.weight": torch.ones(2)}, c2_conversion=False)
    assert out == {}


@pytest.fixture(scope="module")
def tv_r50_state_dict():
    import torchvision

    # Built on the meta device and filled with random values: torchvision's own init takes ~10 s on 2 busy cores.
    with torch.device("meta"):
        model = torchvision.models.resnet50(weights=None)
    model.to_empty(device="cpu")
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.uniform_(generator=gen)
    return model.state_dict()


def test_torchvision_resnet_name_conversion(tv_r50_state_dict):
    sd = tv_r50_state_dict
    assert is_torchvision_resnet(sd)
    renamed = convert_torchvision_resnet_names(sd)
    assert not any(k.startswith("fc.") for k in renamed)
    assert len(renamed) == len(sd) - 2
    expected = {
        "conv1.weight": "stem.conv1.weight",
        "bn1.running_var": "stem.conv1.norm.running_var",
        "layer1.0.conv1.weight": "res2.0.conv1.weight",
        "layer1.0.bn3.bias": "res2.0.conv3.norm.bias",
        "layer1.0.downsample.0.weight": "res2.0.shortcut.weight",
        "layer1.0.downsample.1.weight": "res2.0.shortcut.norm.weight",
        "layer4.2.bn2.running_mean": "res5.2.conv2.norm.running_mean",
    }
    for tv, d2 in expected.items():
        assert renamed[d2] is sd[tv]
    # every renamed weight is a Detectron2 R-50 name: stem / res2..res5 with conv1..3, shortcut and their norms
    pattern = r"^(stem\.conv1|res[2-5]\.\d+\.(conv[123]|shortcut))(\.norm)?\.(weight|bias|running_mean|running_var|num_batches_tracked)$"
    assert [k for k in renamed if not re.match(pattern, k)] == []


def test_torchvision_resnet50_loads_into_r50_backbone(tmp_path, tv_r50_state_dict):
    modeling = pytest.importorskip("detectra.modeling")
    from detectra.config import get_cfg
    from detectra.layers import ShapeSpec

    sd = tv_r50_state_dict
    torch.save(sd, tmp_path / "resnet50.pth")
    cfg = get_cfg()  # R-50 (RESNETS.DEPTH 50), FrozenBN, Detectron2 defaults
    cfg.MODEL.RESNETS.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
    cfg.MODEL.FPN.IN_FEATURES = ["res2", "res3", "res4", "res5"]
    model = nn.Module()
    with torch.device("meta"):  # skip the random init: every backbone weight is about to be loaded
        model.backbone = modeling.build_resnet_fpn_backbone(cfg, ShapeSpec(channels=3))
    model.to_empty(device="cpu")
    DetectionCheckpointer(model).load(str(tmp_path / "resnet50.pth"))
    mine = model.state_dict()
    renamed = convert_torchvision_resnet_names(sd)
    loaded = [k for k in renamed if "num_batches_tracked" not in k]
    for k in loaded:
        torch.testing.assert_close(mine["backbone.bottom_up." + k], renamed[k], rtol=0, atol=0, msg=k)
    bottom_up = [k for k in mine if k.startswith("backbone.bottom_up.")]
    assert len(bottom_up) == len(loaded)  # every backbone weight came from torchvision


def test_catalog_urls_and_cache(tmp_path, monkeypatch):
    assert catalog.resolve_url("detectron2://ImageNetPretrained/MSRA/R-50.pkl") == (
        "https://dl.fbaipublicfiles.com/detectron2/ImageNetPretrained/MSRA/R-50.pkl"
    )
    assert catalog.resolve_url("catalog://ImageNetPretrained/FAIR/X-101-32x8d") == (
        "https://dl.fbaipublicfiles.com/detectron/ImageNetPretrained/20171220/X-101-32x8d.pkl"
    )
    with pytest.raises(KeyError, match="MSRA/R-50"):
        catalog.ModelCatalog.get("ImageNetPretrained/nope")
    monkeypatch.setenv("DETECTRA_CACHE", str(tmp_path / "cache"))
    expected_local = tmp_path / "cache" / "detectron2" / "ImageNetPretrained" / "MSRA" / "R-50.pkl"
    assert catalog.cached_path(catalog.resolve_url("detectron2://ImageNetPretrained/MSRA/R-50.pkl")) == str(expected_local)

    # offline: a clear error naming the URL and where to put the file
    def offline(*a, **k):
        raise catalog.urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(catalog.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError) as e:
        DetectionCheckpointer(_model_from_shapes(D2_SHAPES)).load("detectron2://ImageNetPretrained/MSRA/R-50.pkl")
    assert "https://dl.fbaipublicfiles.com/detectron2/ImageNetPretrained/MSRA/R-50.pkl" in str(e.value)
    assert str(expected_local) in str(e.value)
    assert not expected_local.exists()

    # a file placed in the cache by hand is used without any network access
    expected_local.parent.mkdir(parents=True)
    with open(expected_local, "wb") as f:
        pickle.dump({"res2_0_branch2a_w": np.full((4, 4, 1, 1), 9.0, np.float32)}, f)
    model = _model_from_shapes(D2_SHAPES)
    DetectionCheckpointer(model).load("detectron2://ImageNetPretrained/MSRA/R-50.pkl")
    assert torch.all(model.state_dict()["backbone.bottom_up.res2.0.conv1.weight"] == 9.0)


def test_download_to_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DETECTRA_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "served" / "weights" / "model.pth"
    src.parent.mkdir(parents=True)
    torch.save({"model": {"backbone.fpn_lateral2.weight": torch.full((6, 8, 1, 1), 4.0)}}, src)
    url = src.as_uri()  # file:// goes through the same urlopen path as https
    local = catalog.get_local_path(url)
    assert local == str(tmp_path / "cache" / src.relative_to("/")) and os.path.isfile(local)
    model = _model_from_shapes(D2_SHAPES)
    DetectionCheckpointer(model).load(url)
    assert torch.all(model.state_dict()["backbone.fpn_lateral2.weight"] == 4.0)


def _msra_r50_blob_names():
    """The blob names of Detectron's ImageNet ``MSRA/R-50.pkl`` (batch norm folded into scale / bias)."""
    names = ["conv1_w", "res_conv1_bn_s", "res_conv1_bn_b", "fc1000_w", "fc1000_b"]
    for stage, blocks in zip(range(2, 6), (3, 4, 6, 3)):
        for b in range(blocks):
            branches = ["branch2a", "branch2b", "branch2c"] + (["branch1"] if b == 0 else [])
            for br in branches:
                names += [f"res{stage}_{b}_{br}_w", f"res{stage}_{b}_{br}_bn_s", f"res{stage}_{b}_{br}_bn_b"]
    return names


def test_caffe2_imagenet_r50_loads_into_r50_backbone(tmp_path):
    modeling = pytest.importorskip("detectra.modeling")
    from detectra.config import get_cfg
    from detectra.layers import ShapeSpec

    cfg = get_cfg()  # the default MODEL.WEIGHTS of every R-50 config is this kind of file
    cfg.MODEL.RESNETS.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
    cfg.MODEL.FPN.IN_FEATURES = ["res2", "res3", "res4", "res5"]
    model = nn.Module()
    with torch.device("meta"):
        model.backbone = modeling.build_resnet_fpn_backbone(cfg, ShapeSpec(channels=3))
    model.to_empty(device="cpu")
    with torch.no_grad():
        for t in model.state_dict().values():
            t.fill_(-1.0)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}

    blob_names = _msra_r50_blob_names()
    converted = dict(zip(blob_names, convert_basic_c2_names(blob_names)))
    rng = np.random.default_rng(0)
    blobs = {}
    for blob, d2_name in converted.items():
        shape = shapes.get("backbone.bottom_up." + d2_name, (10, 4))  # fc1000 has no model counterpart
        blobs[blob] = rng.standard_normal(shape).astype(np.float32)
    with open(tmp_path / "R-50.pkl", "wb") as f:
        pickle.dump(blobs, f, protocol=2)
    DetectionCheckpointer(model).load(str(tmp_path / "R-50.pkl"))

    sd = model.state_dict()
    for blob, d2_name in converted.items():
        if not blob.startswith("fc1000"):
            np.testing.assert_array_equal(sd["backbone.bottom_up." + d2_name].numpy(), blobs[blob], err_msg=blob)
    # Every learned backbone weight came from the file; FrozenBN running stats take their identity defaults.
    not_loaded = [k for k in sd if k.startswith("backbone.bottom_up.") and torch.all(sd[k] == -1)]
    assert not_loaded == []
    assert len([k for k in converted if not k.startswith("fc1000")]) == len(
        [k for k in sd if k.startswith("backbone.bottom_up.") and not k.endswith(("running_mean", "running_var"))]
    )


def test_pycls_pyth(tmp_path):
    torch.save({"model_state": {"res2.0.conv1.weight": torch.full((4, 4, 1, 1), 6.0)}, "epoch": 3}, tmp_path / "r.pyth")
    model = _model_from_shapes(D2_SHAPES)
    DetectionCheckpointer(model).load(str(tmp_path / "r.pyth"))
    assert torch.all(model.state_dict()["backbone.bottom_up.res2.0.conv1.weight"] == 6.0)


def test_torchvision_model_checkpoint_is_not_renamed_for_a_torchvision_model(tmp_path, tv_r50_state_dict):
    import torchvision

    with torch.device("meta"):
        model = torchvision.models.resnet50(weights=None)
    model.to_empty(device="cpu")
    torch.save({"model": tv_r50_state_dict}, tmp_path / "tv.pth")
    DetectionCheckpointer(model).load(str(tmp_path / "tv.pth"))  # a torchvision classifier keeps its own names
    torch.testing.assert_close(model.fc.weight.detach(), tv_r50_state_dict["fc.weight"])
    torch.testing.assert_close(model.layer4[2].bn3.running_var, tv_r50_state_dict["layer4.2.bn3.running_var"])
