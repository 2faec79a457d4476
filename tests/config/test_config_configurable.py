"""@configurable: explicit arguments, a CfgNode (plus extra arguments), functions, and the LazyConfig path."""
from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from detectra.config import CfgNode, L, configurable, get_cfg, instantiate


class Head:
    @configurable
    def __init__(self, num_classes: int, dim: int = 256, *, norm: str = "") -> None:
        self.num_classes, self.dim, self.norm = num_classes, dim, norm

    @classmethod
    def from_config(cls, cfg, dim: int = 128):
        return {"num_classes": cfg.MODEL.ROI_HEADS.NUM_CLASSES, "dim": dim, "norm": cfg.MODEL.FPN.NORM}


class SubHead(Head):
    @configurable
    def __init__(self, scale: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    @classmethod
    def from_config(cls, cfg):
        ret = super().from_config(cfg)
        ret["scale"] = cfg.SOLVER.BASE_LR
        return ret


class VarArgsFromConfig:
    @configurable
    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b

    @classmethod
    def from_config(cls, cfg, **kwargs):
        return {"a": cfg.SEED, **kwargs}


def _cfg() -> CfgNode:
    cfg = get_cfg()
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = 7
    cfg.MODEL.FPN.NORM = "GN"
    cfg.SOLVER.BASE_LR = 0.5
    cfg.SEED = 3
    return cfg


def test_explicit_arguments_bypass_from_config() -> None:
    head = Head(3, norm="BN")
    assert (head.num_classes, head.dim, head.norm) == (3, 256, "BN")
    head = Head(num_classes=4, dim=8)
    assert (head.num_classes, head.dim, head.norm) == (4, 8, "")


def test_cfg_as_first_argument_calls_from_config() -> None:
    head = Head(_cfg())
    assert (head.num_classes, head.dim, head.norm) == (7, 128, "GN")  # from_config's own default for dim


def test_cfg_with_extra_arguments() -> None:
    # dim is an argument of from_config: forwarded there. norm is not: it overrides from_config's result.
    head = Head(_cfg(), dim=64, norm="SyncBN")
    assert (head.num_classes, head.dim, head.norm) == (7, 64, "SyncBN")
    head = Head(cfg=_cfg())  # cfg as a keyword
    assert head.num_classes == 7


def test_from_config_with_var_kwargs_receives_everything() -> None:
    obj = VarArgsFromConfig(_cfg(), b=9)
    assert (obj.a, obj.b) == (3, 9)


def test_subclass_with_its_own_from_config() -> None:
    sub = SubHead(_cfg())
    assert (sub.num_classes, sub.dim, sub.norm, sub.scale) == (7, 128, "GN", 0.5)
    sub = SubHead(scale=2.0, num_classes=1)
    assert (sub.scale, sub.num_classes, sub.dim) == (2.0, 1, 256)


def test_omegaconf_config_counts_as_cfg() -> None:
    cfg = OmegaConf.create({"MODEL": {"ROI_HEADS": {"NUM_CLASSES": 5}, "FPN": {"NORM": ""}}})
    assert Head(cfg).num_classes == 5


def _build_from_config(cfg, scale: float = 1.0):
    return {"size": cfg.INPUT.MIN_SIZE_TEST, "scale": scale}


@configurable(from_config=_build_from_config)
def build_resizer(size: int, scale: float = 1.0, flip: bool = False) -> tuple:
    return size, scale, flip


def test_function_with_from_config() -> None:
    assert build_resizer(10) == (10, 1.0, False)
    assert build_resizer(_cfg()) == (800, 1.0, False)
    assert build_resizer(_cfg(), scale=2.0, flip=True) == (800, 2.0, True)
    assert build_resizer.from_config is _build_from_config
    assert build_resizer.__name__ == "build_resizer"  # functools.wraps keeps the name


def test_lazy_config_path_builds_configurable_class() -> None:
    head = instantiate(L(Head)(num_classes=2, dim=16))
    assert isinstance(head, Head) and (head.num_classes, head.dim, head.norm) == (2, 16, "")
    assert instantiate(L(build_resizer)(size=5, flip=True)) == (5, 1.0, True)


def test_misuse_errors() -> None:
    class NoFromConfig:
        @configurable
        def __init__(self, a: int) -> None:
            self.a = a

    # As in Detectron2, the check runs on every call, explicit arguments included.
    with pytest.raises(AttributeError, match="NoFromConfig uses @configurable.*'from_config' classmethod"):
        NoFromConfig(1)

    class StaticFromConfig:
        @configurable
        def __init__(self, a: int) -> None:
            self.a = a

        @staticmethod
        def from_config(cfg):
            return {"a": 1}

    with pytest.raises(TypeError, match="must be a classmethod"):
        StaticFromConfig(a=1)

    class BadFirstArg:
        @configurable
        def __init__(self, a: int) -> None:
            self.a = a

        @classmethod
        def from_config(cls, config):
            return {"a": 1}

    with pytest.raises(TypeError, match="must take 'cfg' as its first argument"):
        BadFirstArg(get_cfg())

    with pytest.raises(TypeError, match="Incorrect use of @configurable"):
        configurable(lambda x: x)
    with pytest.raises(TypeError, match="from_config argument of configurable must be a function"):
        configurable(from_config=3)
    assert configurable() is configurable  # "@configurable()" is "@configurable"
