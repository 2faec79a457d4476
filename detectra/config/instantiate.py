"""``instantiate``: build the objects a LazyConfig describes (dicts with a ``_target_`` key)."""
from __future__ import annotations

import collections.abc as abc
import dataclasses
import importlib
import logging
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

try:  # OmegaConf >= 2.4 keeps Python tuples as TupleConfig, which is not a ListConfig
    from omegaconf.tupleconfig import TupleConfig as _TupleConfig
except ImportError:  # pragma: no cover (older OmegaConf turns tuples into ListConfig)
    _TupleConfig = ListConfig

__all__ = ["instantiate", "locate", "dump_target", "dump_dataclass", "to_detectra_name"]

logger = logging.getLogger(__name__)


# Module paths of Detectron2 configs and the packages it builds on, and where detectra keeps the same objects.
_RENAMED_PREFIXES = (
    ("detectron2.", "detectra."),
    ("fvcore.common.param_scheduler.", "detectra.solver.param_scheduler."),
)


def to_detectra_name(name: str) -> str:
    """The dotted path ``name`` with Detectron2's module prefixes renamed to detectra's.

    ``"detectron2.modeling.FCOS"`` becomes ``"detectra.modeling.FCOS"``, and fvcore's LR schedulers become
    ``detectra.solver.param_scheduler``'s; other names are returned unchanged.
    """
    for old, new in _RENAMED_PREFIXES:
        if name.startswith(old):
            return new + name[len(old):]
    return name


def dump_target(obj: Any) -> str:
    """The dotted import path of a class or function (``"torch.nn.Linear"``), the inverse of :func:`locate`."""
    module, qualname = obj.__module__, obj.__qualname__
    # Prefer the shortest public module path that still resolves to the same object
    # (e.g. "detectra.config.LazyConfig" rather than "detectra.config.lazy.LazyConfig").
    parts = module.split(".")
    for i in range(1, len(parts)):
        candidate = ".".join(parts[:i]) + "." + qualname
        try:
            if locate(candidate) is obj:
                return candidate
        except ImportError:
            continue
    return f"{module}.{qualname}"


def locate(name: str) -> Any:
    """Import the object at the dotted path ``name`` (``"module.sub.Class.attr"``).

    Detectron2 paths (``"detectron2.modeling.FCOS"``) are read as detectra's; fvcore's LR schedulers are fvcore's
    where fvcore is installed and detectra's equivalents otherwise (see :func:`to_detectra_name`).

    Raises:
        ImportError: no prefix of ``name`` is an importable module, or an attribute is missing.
    """
    if name.startswith("detectron2."):
        return _locate(to_detectra_name(name))
    try:
        return _locate(name)
    except ImportError:
        renamed = to_detectra_name(name)
        if renamed == name:
            raise
        return _locate(renamed)


def _locate(name: str) -> Any:
    parts = name.split(".")
    module = None
    # Longest importable module prefix, then attribute lookups for the rest.
    for i in range(len(parts), 0, -1):
        module_name = ".".join(parts[:i])
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            # Only "this prefix is not a module" means: try a shorter one. A missing dependency inside a real
            # module is the user's real error and must surface.
            if e.name is not None and not module_name.startswith(e.name):
                raise
            continue
        break
    else:
        raise ImportError(f"Cannot locate '{name}': no part of it is an importable module.")
    obj: Any = module
    for attr in parts[i:]:
        try:
            obj = getattr(obj, attr)
        except AttributeError as e:
            raise ImportError(f"Cannot locate '{name}': '{attr}' not found in {obj!r}.") from e
    return obj


def dump_dataclass(obj: Any) -> dict:
    """A LazyConfig dict (``_target_`` plus every field) that :func:`instantiate` turns back into ``obj``.

    Args:
        obj: a dataclass instance; fields that are dataclasses, lists or tuples of them are converted too.

    Raises:
        TypeError: ``obj`` is not a dataclass instance.
    """
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"dump_dataclass needs a dataclass instance, got {type(obj).__name__}.")
    fields = {f.name: _dump_field(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return {"_target_": dump_target(type(obj)), **fields}


def _dump_field(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dump_dataclass(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_dump_field(v) for v in value)
    return value


def instantiate(cfg: Any) -> Any:
    """Recursively build objects from a config.

    A mapping with a ``_target_`` key (a callable, or its dotted import path) becomes ``_target_(**other_keys)``,
    after its values are instantiated. Lists are instantiated element-wise, and mappings without ``_target_`` key by
    key. A structured config of a dataclass becomes that dataclass. Anything else is returned unchanged.

    Example:
        instantiate(L(torch.nn.Conv2d)(in_channels=3, out_channels=8, kernel_size=3))  # an nn.Conv2d
    """
    if isinstance(cfg, _TupleConfig) and _TupleConfig is not ListConfig:
        return tuple(instantiate(cfg[i]) for i in range(len(cfg)))
    if isinstance(cfg, ListConfig):
        return ListConfig([instantiate(cfg[i]) for i in range(len(cfg))], flags={"allow_objects": True})
    if isinstance(cfg, list):
        return [instantiate(x) for x in cfg]
    if isinstance(cfg, DictConfig) and dataclasses.is_dataclass(cfg._metadata.object_type):
        return OmegaConf.to_object(cfg)
    if not isinstance(cfg, abc.Mapping):
        return cfg
    if "_target_" not in cfg:
        if isinstance(cfg, DictConfig):
            items = {k: instantiate(cfg[k]) for k in cfg.keys()}
            return DictConfig(items, flags={"allow_objects": True})
        if type(cfg) is dict:
            return {k: instantiate(v) for k, v in cfg.items()}
        return cfg  # other mappings (e.g. a CfgNode) are data, not something to build

    kwargs = {k: instantiate(cfg[k]) for k in cfg.keys() if k != "_target_"}
    target = instantiate(cfg["_target_"])
    if isinstance(target, str):
        target_name = target
        target = locate(target_name)
    else:
        target_name = getattr(target, "__qualname__", repr(target))
    if not callable(target):
        raise TypeError(f"_target_ {target_name} is not callable (got {type(target).__name__}).")
    try:
        return target(**kwargs)
    except TypeError:
        logger.error("Error when instantiating %s with arguments %s", target_name, sorted(kwargs))
        raise
