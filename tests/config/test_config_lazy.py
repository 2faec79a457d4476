"""LazyConfig: loading .py (with relative imports) and .yaml configs, saving, overrides, LazyCall and instantiate."""
from __future__ import annotations

import dataclasses
import pickle
import textwrap
import threading
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig, ListConfig, OmegaConf

from detectra.config import L, LazyCall, LazyConfig, instantiate
from detectra.config.instantiate import dump_target, locate


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Pair:
    def __init__(self, left, right=None) -> None:
        self.left, self.right = left, right


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.fixture()
def py_config(tmp_path: Path) -> str:
    _write(
        tmp_path / "common/optim.py",
        """
        import torch
        from detectra.config import LazyCall as L

        SGD = L(torch.optim.SGD)(params=None, lr=0.02, momentum=0.9)
        train = dict(max_iter=100, output_dir="./output", amp=dict(enabled=False))
        _private = dict(a=1)
        """,
    )
    _write(tmp_path / "common/__init__.py", "")  # a real folder with __init__: relative config imports still work
    return _write(
        tmp_path / "configs/model.py",
        """
        import torch
        from detectra.config import LazyCall as L
        from ..common.optim import SGD as optimizer, train

        model = L(torch.nn.Sequential)()
        model.layer = L(torch.nn.Linear)(in_features=4, out_features=2)
        train.max_iter = 50  # an imported dict is a DictConfig: attribute access works
        helper = 3  # not a config object: not part of the loaded config
        """,
    )


def test_load_py_with_relative_import(py_config: str) -> None:
    cfg = LazyConfig.load(py_config)
    assert isinstance(cfg, DictConfig)
    assert set(cfg.keys()) == {"optimizer", "train", "model"}  # no "helper", no "_private", no modules
    assert cfg.train.max_iter == 50 and cfg.train.amp.enabled is False
    assert cfg.optimizer.lr == 0.02 and cfg.optimizer._target_ is torch.optim.SGD
    assert cfg.model.layer.in_features == 4
    model, train = LazyConfig.load(py_config, keys=("model", "train"))
    assert model.layer.out_features == 2 and train.output_dir == "./output"
    assert LazyConfig.load(py_config, keys="train").max_iter == 50
    with pytest.raises(KeyError, match="nope"):
        LazyConfig.load(py_config, keys="nope")


def test_relative_import_errors(tmp_path: Path) -> None:
    missing = _write(tmp_path / "a.py", "from .base import x\n")
    with pytest.raises(ImportError, match=r"cannot import base: .*base\.py does not exist"):
        LazyConfig.load(missing)
    (tmp_path / "pkg").mkdir()
    folder = _write(tmp_path / "b.py", "from .pkg import x\n")
    with pytest.raises(ImportError, match="may only import other config files"):
        LazyConfig.load(folder)
    with pytest.raises(FileNotFoundError, match="not found"):
        LazyConfig.load(tmp_path / "absent.py")
    with pytest.raises(SyntaxError, match="invalid Python syntax"):
        LazyConfig.load(_write(tmp_path / "bad.py", "x = (\n"))


def test_import_hook_is_removed_after_load(py_config: str) -> None:
    import builtins

    before = builtins.__import__
    LazyConfig.load(py_config)
    assert builtins.__import__ is before


def test_save_and_load_yaml_round_trip(py_config: str, tmp_path: Path) -> None:
    cfg = LazyConfig.load(py_config)
    out = tmp_path / "saved.yaml"
    LazyConfig.save(cfg, out)
    text = out.read_text()
    assert "_target_: torch.nn.Linear" in text and "torch.optim.SGD" in text  # callables saved by import path
    assert cfg.optimizer._target_ is torch.optim.SGD  # the caller's config is not modified
    loaded = LazyConfig.load(out)
    assert loaded.train.max_iter == 50 and loaded.model.layer.out_features == 2
    layer = instantiate(loaded.model.layer)
    assert isinstance(layer, torch.nn.Linear) and layer.weight.shape == (2, 4)


def test_save_unserializable_falls_back_to_pickle(tmp_path: Path) -> None:
    cfg = OmegaConf.create({"a": 1}, flags={"allow_objects": True})
    cfg.f = L(Pair)(left=1)
    cfg.g = Pair(left=2)  # an arbitrary object: no plain-YAML form
    out = tmp_path / "c.yaml"
    LazyConfig.save(cfg, out)
    text = out.read_text()
    assert "!object" in text and "Pair" in text  # still written for reading, not silently loadable
    with pytest.raises(Exception, match="object"):
        LazyConfig.load(out)
    with open(tmp_path / "c.yaml.pkl", "rb") as f:
        restored = pickle.load(f)
    assert restored.g.left == 2 and restored.f._target_ == f"{__name__}.Pair"


def test_save_pickles_lambdas_with_cloudpickle(tmp_path: Path) -> None:
    offset = 3
    cfg = OmegaConf.create({"f": L(lambda x: x + offset)(x=1), "n": 2}, flags={"allow_objects": True})
    LazyConfig.save(cfg, tmp_path / "l.yaml")
    assert "lambda" in (tmp_path / "l.yaml").read_text()
    with open(tmp_path / "l.yaml.pkl", "rb") as f:
        restored = pickle.load(f)  # a lambda (with its closure) comes back from the cloudpickle file
    assert restored.n == 2 and restored.f._target_(restored.f.x) == 4
    assert instantiate(restored.f) == 4


def test_save_never_fails_on_unpicklable_objects(tmp_path: Path) -> None:
    cfg = OmegaConf.create({"lock": threading.Lock()}, flags={"allow_objects": True})
    LazyConfig.save(cfg, tmp_path / "l.yaml")
    assert "lock" in (tmp_path / "l.yaml").read_text()
    assert not (tmp_path / "l.yaml.pkl").exists()


def test_apply_overrides(py_config: str) -> None:
    cfg = LazyConfig.load(py_config)
    LazyConfig.apply_overrides(
        cfg,
        [
            "train.max_iter=1",
            "train.steps=[1,2]",
            "train.name='str'",
            "train.device=foo",
            "train.amp.enabled=true",
            "optimizer.lr=0.5",
            "train.nothing=null",
            "model.layer.out_features=3",
            "train.new.nested=2",  # new keys are created, as in Detectron2
        ],
    )
    assert cfg.train.max_iter == 1
    assert list(cfg.train.steps) == [1, 2]
    assert cfg.train.name == "str" and cfg.train.device == "foo"
    assert cfg.train.amp.enabled is True and cfg.optimizer.lr == 0.5 and cfg.train.nothing is None
    assert cfg.train.new.nested == 2
    assert instantiate(cfg.model.layer).out_features == 3
    with pytest.raises(KeyError, match="train.max_iter is a int, not a config"):
        LazyConfig.apply_overrides(cfg, ["train.max_iter.x=1"])
    with pytest.raises(ValueError, match="key=value"):
        LazyConfig.apply_overrides(cfg, ["train.max_iter"])


def test_to_py_writes_detectron2_form(py_config: str) -> None:
    cfg = LazyConfig.load(py_config)
    cfg.train.out_copy = "${.output_dir}"
    assert LazyConfig.to_py(cfg).splitlines() == [
        "cfg.model = torch.nn.Sequential(layer=torch.nn.Linear(in_features=4, out_features=2))",
        "cfg.optimizer = torch.optim.SGD(lr=0.02, momentum=0.9, params=None)",
        "cfg.train.amp.enabled = False",
        "cfg.train.max_iter = 50",
        "cfg.train.out_copy = './output'",  # interpolations resolved
        "cfg.train.output_dir = './output'",
    ]


def test_lazycall_makes_dictconfig() -> None:
    node = LazyCall(Pair)(left=1, right=[1, 2])
    assert isinstance(node, DictConfig) and node._target_ is Pair and node.left == 1
    assert L is LazyCall
    assert L("torch.nn.ReLU")()._target_ == "torch.nn.ReLU"
    assert L(Point)(x=1)._target_ == f"{__name__}.Point"  # dataclasses stored by name
    with pytest.raises(TypeError, match="callable"):
        LazyCall(3)
    with pytest.raises(TypeError):
        LazyCall(Pair)(1)  # positional arguments are not allowed


def test_instantiate_recursion() -> None:
    cfg = L(Pair)(
        left=L(torch.nn.Linear)(in_features=2, out_features=3, bias=False),
        right=[L(Point)(x=1, y=2), {"inner": L("torch.nn.ReLU")()}, 5],
    )
    obj = instantiate(cfg)
    assert isinstance(obj, Pair)
    assert isinstance(obj.left, torch.nn.Linear) and obj.left.bias is None
    assert isinstance(obj.right, ListConfig)
    assert obj.right[0] == Point(1, 2)
    assert isinstance(obj.right[1].inner, torch.nn.ReLU)  # dicts without _target_ are recursed into
    assert obj.right[2] == 5


def test_instantiate_keeps_objects_set_on_the_config() -> None:
    # Detectron2's training pattern: put the built model into the optimizer config, then instantiate it.
    # (Pair stands in for the optimizer class: torch.optim's first import alone takes seconds.)
    model = torch.nn.Linear(2, 2)
    cfg = L(Pair)(left=L(_parameters)(model=None), right=0.1)
    cfg.left.model = model
    optimizer = instantiate(cfg)
    assert optimizer.left[0] is model.weight and optimizer.left[1] is model.bias and optimizer.right == 0.1


def _parameters(model: torch.nn.Module) -> list:
    return list(model.parameters())


def test_instantiate_plain_python_and_passthrough() -> None:
    built = instantiate({"_target_": "torch.nn.Linear", "in_features": 1, "out_features": 1})
    assert isinstance(built, torch.nn.Linear)
    nested = instantiate({"a": [{"_target_": Pair, "left": 1}], "b": 2})
    assert isinstance(nested["a"][0], Pair) and nested["b"] == 2
    assert instantiate(7) == 7 and instantiate("x") == "x"
    structured = OmegaConf.structured(Point(x=4))
    assert instantiate(structured) == Point(4, 0)
    # Interpolations are resolved when building.
    layer = {"_target_": "torch.nn.Linear", "in_features": "${dim}", "out_features": 1}
    cfg = OmegaConf.create({"dim": 6, "layer": layer})
    assert instantiate(cfg.layer).in_features == 6


def test_instantiate_errors() -> None:
    with pytest.raises(ImportError, match="no_such_module"):
        instantiate({"_target_": "no_such_module.Thing"})
    with pytest.raises(ImportError, match="'Nope' not found"):
        instantiate({"_target_": "torch.nn.Nope"})
    with pytest.raises(TypeError, match="not callable"):
        instantiate({"_target_": "math.pi"})
    with pytest.raises(TypeError):
        instantiate(L(Pair)(wrong=1))


def test_locate_and_dump_target_are_inverse() -> None:
    assert locate("torch.nn.Linear") is torch.nn.Linear
    assert locate("torch.nn.functional.relu") is torch.nn.functional.relu
    assert dump_target(torch.nn.Linear) == "torch.nn.Linear"  # shortest public path, not torch.nn.modules.linear
    assert dump_target(LazyConfig) == "detectra.config.LazyConfig"
    assert locate(dump_target(Pair)) is Pair
