"""LazyConfig: Python / YAML configs made of OmegaConf dicts, built into objects with ``instantiate``.

A ``.py`` config is plain Python whose top-level dicts are the config::

    # my_config.py
    from detectra.config import LazyCall as L
    from .common import optimizer          # relative imports load other config files
    model = L(MyModel)(depth=50, head=L(MyHead)(num_classes=80))

``LazyConfig.load("my_config.py")`` returns a ``DictConfig`` with ``model`` and ``optimizer``;
``instantiate(cfg.model)`` builds ``MyModel(depth=50, head=MyHead(num_classes=80))``.
"""
from __future__ import annotations

import ast
import builtins
import collections.abc as abc
import contextlib
import copy
import dataclasses
import importlib.util
import inspect
import logging
import os
import types
import uuid
from typing import Any, Callable, Iterator, Union

import cloudpickle
import yaml
from omegaconf import DictConfig, ListConfig, OmegaConf, SCMode

from .instantiate import dump_target, locate, to_detectra_name
from .lazy_yaml import dump_lazy_yaml, load_lazy_yaml, unloadable_values

__all__ = ["LazyCall", "LazyConfig"]

logger = logging.getLogger(__name__)

# Config files are executed with __package__ set under this prefix, so that the import hook recognises their
# relative imports (no real package of this name exists).
_CFG_PACKAGE_NAME = "detectra._cfg_loader"


class LazyCall:
    """Record a call instead of making it: ``LazyCall(f)(a=1)`` is ``DictConfig({"_target_": f, "a": 1})``.

    ``instantiate`` makes the call later. Only keyword arguments are accepted, so every argument has a name that
    overrides can refer to (``model.a=2``). Also exported as ``L``.

    Args:
        target: a callable, the dotted import path of one, or a mapping (as Detectron2 allows).
    """

    def __init__(self, target: Union[Callable, str, abc.Mapping]) -> None:
        if not (callable(target) or isinstance(target, (str, abc.Mapping))):
            raise TypeError(f"LazyCall target must be a callable or a dotted import path, got {target!r}.")
        self._target = target

    def __call__(self, **kwargs: Any) -> DictConfig:
        # Dataclass targets are stored by name: OmegaConf would otherwise treat the class as a structured config.
        target = dump_target(self._target) if dataclasses.is_dataclass(self._target) else self._target
        kwargs["_target_"] = target
        return DictConfig(content=kwargs, flags={"allow_objects": True})


def _to_config(obj: Any) -> Any:
    # Plain dicts at the top of a config file become DictConfig, so attribute access and overrides work on them.
    if isinstance(obj, dict):
        return DictConfig(obj, flags={"allow_objects": True})
    return obj


def _find_relative_file(original_file: str, relative_import_path: str, level: int) -> str:
    if not relative_import_path:
        raise ImportError(
            f"In {original_file}: 'from . import name' is not supported in config files; "
            "import names from a config file instead ('from .other_config import name')."
        )
    cur = os.path.dirname(original_file)
    for _ in range(level - 1):
        cur = os.path.dirname(cur)
    target = os.path.join(cur, *relative_import_path.split(".")) + ".py"
    if not os.path.isfile(target):
        if os.path.isdir(target[: -len(".py")]):
            raise ImportError(
                f"In {original_file}: cannot import from the folder {target[:-3]}; relative imports in config "
                "files may only import other config files."
            )
        raise ImportError(f"In {original_file}: cannot import {relative_import_path}: {target} does not exist.")
    return target


def _exec_config_file(filename: str) -> dict:
    """Execute a Python config file in a fresh namespace (relative imports enabled) and return the namespace."""
    with open(filename, encoding="utf-8") as f:
        content = f.read()
    try:
        code = compile(content, filename, "exec")
    except SyntaxError as e:
        raise SyntaxError(f"Config file {filename} has invalid Python syntax: {e}") from e
    namespace = {"__file__": filename, "__package__": f"{_CFG_PACKAGE_NAME}{uuid.uuid4().hex[:8]}"}
    with _patch_import():
        exec(code, namespace)
    return namespace


def _importable_module_name(name: str) -> str:
    """``name``, or detectra's module of the same content when ``name`` is a Detectron2 / fvcore module that is not
    installed (with the ``detectron2`` compatibility package installed, its own names are used)."""
    renamed = to_detectra_name(name + ".")[:-1]  # the prefixes end in "." and name may be one: "detectron2"
    if renamed == name or importlib.util.find_spec(name.partition(".")[0]) is not None:
        return name
    return renamed


@contextlib.contextmanager
def _patch_import() -> Iterator[None]:
    """Let config files import other config files with relative imports (``from .base import model``).

    Their absolute imports of Detectron2 modules (``from detectron2.config import LazyCall``) and of fvcore's
    schedulers import detectra's modules where those packages are not installed.
    """
    old_import = builtins.__import__

    def new_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002 (builtin signature)
        package = (globals or {}).get("__package__") or ""
        if not package.startswith(_CFG_PACKAGE_NAME):
            return old_import(name, globals, locals, fromlist, level)
        if level == 0:
            return old_import(_importable_module_name(name), globals, locals, fromlist, level)
        path = _find_relative_file(globals["__file__"], name, level)
        module = types.ModuleType(f"{package}.{os.path.basename(path)[:-3]}")
        module.__dict__.update(_exec_config_file(path))
        for attr in fromlist or ():
            if attr in module.__dict__:
                setattr(module, attr, _to_config(module.__dict__[attr]))
        return module

    builtins.__import__ = new_import
    try:
        yield
    finally:
        builtins.__import__ = old_import


def _parse_override_value(text: str) -> Any:
    # Python literals first ("1", "[1,2]", "'str'"), then YAML for true / null / [a, b]; anything else is a string.
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if isinstance(value, str) else value


class LazyConfig:
    """Load, save and override LazyConfig files (Python ``.py`` or ``.yaml``)."""

    @staticmethod
    def load(filename: Union[str, os.PathLike], keys: Union[None, str, tuple[str, ...]] = None) -> Any:
        """Load a config file.

        Args:
            filename: a ``.py`` file (relative imports of other config files allowed) or a ``.yaml`` file, such as
                Detectron2's ``LazyConfig.save`` writes: its Python tags are read by a restricted loader
                (:mod:`detectra.config.lazy_yaml`) that refuses any tag naming code outside detectra / torch.
            keys: name(s) of top-level variables to return; default: all top-level config dicts of the file.

        Returns:
            a ``DictConfig`` of the file's top-level config objects, or the value(s) named by ``keys``.
        """
        filename = os.path.expanduser(os.fspath(filename))
        if not os.path.isfile(filename):
            raise FileNotFoundError(f"LazyConfig file not found: {filename}")
        ext = os.path.splitext(filename)[1]
        if ext == ".py":
            ret: Any = _exec_config_file(filename)
        elif ext in (".yaml", ".yml"):
            with open(filename, encoding="utf-8") as f:
                ret = OmegaConf.create(load_lazy_yaml(f) or {}, flags={"allow_objects": True})
        else:
            raise ValueError(f"LazyConfig.load reads .py or .yaml files, got {filename}.")

        if keys is not None:
            missing = [k for k in ([keys] if isinstance(keys, str) else keys) if k not in ret]
            if missing:
                raise KeyError(f"{filename} defines no variable(s) {missing}.")
            if isinstance(keys, str):
                return _to_config(ret[keys])
            return tuple(_to_config(ret[k]) for k in keys)
        if ext == ".py":
            ret = DictConfig(
                {
                    name: _to_config(value)
                    for name, value in ret.items()
                    if isinstance(value, (DictConfig, ListConfig, dict)) and not name.startswith("_")
                },
                flags={"allow_objects": True},
            )
        return ret

    @staticmethod
    def load_rel(filename: str, keys: Union[None, str, tuple[str, ...]] = None) -> Any:
        """Like :meth:`load`, with ``filename`` relative to the folder of the calling file."""
        caller_file = inspect.stack()[1].filename
        if caller_file.startswith("<"):
            raise ValueError("load_rel must be called from a file; use LazyConfig.load with a full path.")
        return LazyConfig.load(os.path.join(os.path.dirname(caller_file), filename), keys)

    @staticmethod
    def save(cfg: Any, filename: Union[str, os.PathLike]) -> None:
        """Save a config as YAML in Detectron2's form, which :meth:`load` reads back.

        ``_target_`` callables are written as dotted import paths; other classes and functions as
        ``!!python/name:``, ``functools.partial`` objects and ``ShapeSpec`` (and the other config dataclasses) with
        PyYAML's Python tags, as Detectron2 does (see :func:`~detectra.config.lazy_yaml.dump_lazy_yaml`).

        A value that :meth:`load` would refuse (a lambda, a local function, a function outside detectra / torch /
        torchvision, an arbitrary object) does not stop the save, as in Detectron2: the YAML still shows it (as
        ``!object '<repr>'`` when it has no tag form), a warning names its key and why, and the config is also
        written with cloudpickle to ``filename + ".pkl"`` where possible (lambdas included; read it back with
        ``pickle.load``).
        """
        filename = os.fspath(filename)
        try:
            cfg = copy.deepcopy(cfg)
        except Exception:  # noqa: BLE001 (an un-copyable object: save it as it is)
            pass
        else:
            _visit_dict_configs(cfg, _replace_target_by_name)
        # INSTANTIATE: structured configs (ShapeSpec) stay dataclass objects, written with their tag.
        container = OmegaConf.to_container(
            cfg, resolve=False, enum_to_str=True, structured_config_mode=SCMode.INSTANTIATE
        )
        dumped = dump_lazy_yaml(container)
        unloadable = unloadable_values(container)
        if unloadable:
            listed = "; ".join(f"{key}: {why}" for key, why in unloadable)
            logger.warning(
                "%s cannot be loaded back by LazyConfig.load, which builds only classes and functions of detectra, "
                "torch and torchvision, functools.partial of them and detectra's config dataclasses: %s. Replace "
                "these values (e.g. with a module-level function of your package named as a LazyCall _target_ "
                "string) to make the YAML loadable; a pickle of the config is written to %s.pkl where possible.",
                filename, listed, filename,
            )
            try:
                # cloudpickle, as Detectron2: lambdas and local functions pickle by value, and `pickle.load`
                # reads them back wherever cloudpickle is installed (a base dependency)
                pickled = cloudpickle.dumps(cfg)  # in memory first: a failure must not leave a truncated file
                with open(filename + ".pkl", "wb") as f:
                    f.write(pickled)
            except Exception as pe:  # noqa: BLE001 (any object may fail to pickle; the YAML is still written)
                logger.warning("Could not pickle the config either (%s); %s is readable only.", pe, filename)
        with open(filename, "w", encoding="utf-8") as f:
            f.write(dumped)

    @staticmethod
    def apply_overrides(cfg: DictConfig, overrides: list[str]) -> DictConfig:
        """Apply command-line style overrides in place, e.g. ``["train.max_iter=100", "model.x=[1,2]"]``.

        Values are Python literals (``1``, ``[1,2]``, ``'str'``), YAML scalars (``true``, ``null``), or plain
        strings (``foo``). Keys that do not exist yet are created, as in Detectron2.

        Returns:
            ``cfg``, updated.
        """
        for override in overrides:
            key, sep, text = override.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ValueError(f"Override {override!r} is not of the form key=value.")
            value = _parse_override_value(text.strip())
            parts = key.split(".")
            for idx in range(1, len(parts)):
                prefix = ".".join(parts[:idx])
                existing = OmegaConf.select(cfg, prefix, default=None)
                if existing is None:
                    break
                if not OmegaConf.is_config(existing):
                    raise KeyError(
                        f"Cannot apply override {override!r}: {prefix} is a {type(existing).__name__}, not a config."
                    )
            OmegaConf.update(cfg, key, value, merge=True)
        return cfg

    @staticmethod
    def to_py(cfg: Any, prefix: str = "cfg.") -> str:
        """The config as Python-like text, in Detectron2's form, for reading and diffing.

        One ``cfg.a.b = value`` line per value outside calls; a dict with ``_target_`` is written as the call it
        stands for, ``module.Class(arg=value, ...)``. Keys are sorted and interpolations resolved where they can
        be. The text names what the config builds but is not meant to be run. Formatted with black when black is
        installed.
        """
        cfg = copy.deepcopy(cfg)
        _visit_dict_configs(cfg, _replace_target_by_name)
        if OmegaConf.is_config(cfg):
            try:
                cfg = OmegaConf.to_container(cfg, resolve=True)
            except Exception:  # noqa: BLE001 (an interpolation that cannot resolve stays as written)
                cfg = OmegaConf.to_container(cfg, resolve=False)
        text = "\n".join(_py_assignments(cfg, prefix))
        try:
            import black
        except ImportError:
            return text
        try:
            return black.format_str(text, mode=black.Mode())
        except black.InvalidInput:
            return text


def _is_call(obj: Any) -> bool:
    return isinstance(obj, abc.Mapping) and "_target_" in obj


def _py_assignments(obj: abc.Mapping, prefix: str) -> Iterator[str]:
    for key in sorted(obj, key=str):
        value = obj[key]
        if isinstance(value, abc.Mapping) and not _is_call(value):
            yield from _py_assignments(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key} = {_py_expression(value)}"


def _py_expression(obj: Any) -> str:
    if _is_call(obj):
        target = obj["_target_"]
        name = target if isinstance(target, str) else getattr(target, "__qualname__", repr(target))
        args = ", ".join(f"{k}={_py_expression(obj[k])}" for k in sorted(obj, key=str) if k != "_target_")
        return f"{name}({args})"
    if isinstance(obj, abc.Mapping):
        return "{" + ", ".join(f"{k!r}: {_py_expression(obj[k])}" for k in sorted(obj, key=str)) + "}"
    if isinstance(obj, list):
        return "[" + ", ".join(_py_expression(x) for x in obj) + "]"
    if isinstance(obj, tuple):
        return "(" + ", ".join(_py_expression(x) for x in obj) + ("," if len(obj) == 1 else "") + ")"
    return repr(obj)


def _replace_target_by_name(node: DictConfig) -> None:
    target = node.get("_target_") if "_target_" in node else None
    if not callable(target):
        return
    try:
        name = dump_target(target)
        # An fvcore scheduler's name loads back as detectra's equivalent class (see to_detectra_name).
        importable = locate(name) is target or to_detectra_name(name) != name
    except (AttributeError, ImportError):
        importable = False
    if importable:  # a lambda or a local class has no import path: leave it (save then falls back to pickle)
        node["_target_"] = name


def _visit_dict_configs(cfg: Any, func: Callable[[DictConfig], None]) -> None:
    if isinstance(cfg, DictConfig):
        func(cfg)
        for v in cfg.values():
            _visit_dict_configs(v, func)
    elif isinstance(cfg, ListConfig):
        for v in cfg:
            _visit_dict_configs(v, func)
