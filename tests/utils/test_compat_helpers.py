"""The small Detectron2 helpers detectra provides for code written against it: each with a real behaviour check."""
from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
import torch
from torchvision.ops import deform_conv2d

from detectra.config import instantiate
from detectra.config.instantiate import dump_dataclass
from detectra.data.common import DatasetFromList, set_default_dataset_from_list_serialize_method
from detectra.data.transforms import GridSampleTransform, ScaleTransform
from detectra.layers.deform_conv import ModulatedDeformConv, deform_conv, modulated_deform_conv
from detectra.layers.mask_ops import pad_masks
from detectra.utils.develop import create_dummy_class, create_dummy_func
from detectra.utils.events import EventStorage, has_event_storage
from detectra.utils.memory import retry_if_cuda_oom
from detectra.utils.registry import locate
from detectra.utils.serialize import PicklableWrapper
from detectra.utils.torch_version_utils import min_torch_version
from detectra.utils.tracing import assert_fx_safe, is_fx_tracing


def test_has_event_storage():
    assert not has_event_storage()
    with EventStorage():
        assert has_event_storage()
    assert not has_event_storage()


def test_pad_masks():
    masks = torch.ones(2, 4, 4)
    padded, scale = pad_masks(masks, 2)
    assert padded.shape == (2, 8, 8) and scale == 2.0
    assert padded.sum() == masks.sum() and padded[:, 2:6, 2:6].eq(1).all()


@dataclasses.dataclass
class _Inner:
    size: int = 3


@dataclasses.dataclass
class _Outer:
    name: str
    inner: _Inner
    sizes: tuple = (1, 2)


def test_dump_dataclass_round_trips_through_instantiate():
    obj = _Outer("a", _Inner(5))
    cfg = dump_dataclass(obj)
    assert cfg["_target_"].endswith("_Outer") and cfg["inner"] == {"_target_": cfg["inner"]["_target_"], "size": 5}
    assert instantiate(cfg) == obj
    with pytest.raises(TypeError, match="dataclass instance"):
        dump_dataclass(_Outer)


def test_dataset_from_list_serialize_method():
    items = [{"i": i} for i in range(5)]
    assert DatasetFromList(items)[3] == {"i": 3} and len(DatasetFromList(items)) == 5
    with set_default_dataset_from_list_serialize_method(lambda lst: [f"stored {x['i']}" for x in lst]):
        assert DatasetFromList(items)[2] == "stored 2"
        assert DatasetFromList(items, serialize=False)[2] == {"i": 2}
    assert DatasetFromList(items)[2] == {"i": 2}  # the default is back


def test_scale_and_grid_sample_transforms():
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    t = ScaleTransform(4, 4, 2, 2, "area")
    np.testing.assert_allclose(t.apply_image(img), [[2.5, 4.5], [10.5, 12.5]])  # 2x2 block means
    np.testing.assert_allclose(t.apply_coords(np.array([[4.0, 2.0]])), [[2.0, 1.0]])
    np.testing.assert_allclose(t.inverse().apply_coords(np.array([[2.0, 1.0]])), [[4.0, 2.0]])
    # a grid through the pixel centres reproduces the image; flipping x in the grid flips the image
    centres = (np.arange(4) + 0.5) / 4 * 2 - 1
    ys, xs = np.meshgrid(centres, centres, indexing="ij")
    identity = np.stack([xs, ys], -1)[None]
    np.testing.assert_allclose(GridSampleTransform(identity, "bilinear").apply_image(img), img, atol=1e-5)
    flipped = np.stack([-xs, ys], -1)[None]
    np.testing.assert_allclose(GridSampleTransform(flipped, "nearest").apply_image(img), img[:, ::-1])
    with pytest.raises(NotImplementedError, match="cannot map coordinates"):
        GridSampleTransform(identity).apply_coords(np.zeros((1, 2)))


def test_deform_conv_functions_match_torchvision_and_module():
    torch.manual_seed(0)
    x, weight = torch.randn(1, 4, 6, 6), torch.randn(2, 2, 3, 3)
    offset, mask = torch.randn(1, 18, 6, 6), torch.rand(1, 9, 6, 6)
    expected = deform_conv2d(x, offset, weight, padding=(1, 1))
    torch.testing.assert_close(deform_conv(x, offset, weight, padding=1, groups=2), expected)
    module = ModulatedDeformConv(4, 2, 3, padding=1, groups=2)
    torch.testing.assert_close(
        modulated_deform_conv(x, offset, mask, module.weight, module.bias, padding=1, groups=2), module(x, offset, mask)
    )
    with pytest.raises(ValueError, match="groups=1 does not fit"):
        deform_conv(x, offset, weight, padding=1)


def _add_one(v):
    return v + 1


def test_serialize_develop_memory_version_tracing_registry():
    k = 3
    wrapped = PicklableWrapper(lambda v: v * k)
    assert pickle.loads(pickle.dumps(wrapped))(2) == 6 and wrapped(2) == 6
    Dummy = create_dummy_class("Fancy", "fancylib")
    with pytest.raises(ImportError, match="needs 'fancylib'"):
        Dummy()
    with pytest.raises(ImportError, match="needs 'a', 'b'"):
        create_dummy_func("f", ["a", "b"])()
    assert retry_if_cuda_oom(_add_one)(torch.tensor(1)).item() == 2
    assert min_torch_version("1.8") and min_torch_version("2.11") and not min_torch_version("99.0")
    assert not is_fx_tracing()
    with pytest.raises(AssertionError, match="boom"):
        assert_fx_safe(False, "boom")

    class M(torch.nn.Module):
        def forward(self, x):
            return x + is_fx_tracing()

    assert "add" in str(torch.fx.symbolic_trace(M()).graph)  # traced with is_fx_tracing() == True
    assert locate("detectra.utils.registry.locate") is locate


def test_detectron2_members(tmp_path):
    from detectra.checkpoint import Checkpointer
    from detectra.checkpoint.catalog import ModelCatalog
    from detectra.config import CfgNode

    model = torch.nn.Linear(2, 2)
    ckpt = Checkpointer(model, str(tmp_path))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ckpt.add_checkpointable("optimizer", opt)
    ckpt.save("m")
    assert "optimizer" in torch.load(tmp_path / "m.pth", weights_only=False)
    with pytest.raises(KeyError, match="already has"):
        ckpt.add_checkpointable("optimizer", opt)

    with EventStorage() as storage:
        for i in range(30):
            storage.iter = i
            if i % 3 == 0:
                storage.put_scalar("x", float(i))
        assert storage.count_samples("x", window_size=10) == 4  # iterations 18, 21, 24, 27: the 10 up to 27

    url = ModelCatalog.get("Caffe2Detectron/COCO/37697547/e2e_keypoint_rcnn_R-50-FPN_1x")
    assert "keypoints_coco_2014_train" in url and url.endswith("/generalized_rcnn/model_final.pkl")

    (tmp_path / "base.yaml").write_text("A: 1\nB: 2\n")
    (tmp_path / "child.yaml").write_text("_BASE_: base.yaml\nB: 3\n")
    assert CfgNode.load_yaml_with_base(str(tmp_path / "child.yaml")) == {"A": 1, "B": 3}
    assert CfgNode.IMMUTABLE == "__immutable__"
