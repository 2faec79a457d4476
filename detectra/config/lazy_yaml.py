"""Read LazyConfig YAML files as Detectron2 writes them, without running arbitrary code.

Detectron2's ``LazyConfig.save`` writes values that plain YAML cannot hold with PyYAML's Python tags, and its
``LazyConfig.load`` reads them back with ``yaml.unsafe_load``, which imports and calls whatever a file names. This
loader accepts exactly the tags such files contain, and only for trusted code:

- ``!!python/name:X ''``: the class or function ``X``, found only inside detectra, torch or torchvision
  (``detectron2.`` paths are read as ``detectra.``; names with a part starting with ``_`` are refused);
- ``!!python/object/apply:functools.partial``: a ``functools.partial`` of such a name;
- ``!!python/object:X {...}`` and ``!!python/object/new:X [...]``: an instance of one of detectra's plain config
  dataclasses (``ShapeSpec``), built from the mapping's fields or the positional values (Detectron2's older
  namedtuple ``ShapeSpec``);
- ``!!python/tuple``: a tuple.

Any other tag (``!!python/object/apply:os.system``, ``!!python/module:``, an unknown local tag) raises
:class:`UnsafeYAMLTagError`, naming the tag, the file and the line, before anything it names is imported or called.

:func:`dump_lazy_yaml` writes the same tags, as Detectron2's ``LazyConfig.save`` does (with the objects' real import
paths, ``detectra.…`` / ``torch.…``), and :func:`unloadable_values` lists the values the loader would not give back.
"""
from __future__ import annotations

import dataclasses
import functools
import types
from typing import IO, Any, Union

import yaml

from .instantiate import locate, to_detectra_name

__all__ = ["UnsafeYAMLTagError", "dump_lazy_yaml", "load_lazy_yaml", "unloadable_values"]

_PY = "tag:yaml.org,2002:python/"
# Roots whose names a config may refer to: importing or naming them runs only code that detectra already trusts.
_ALLOWED_ROOTS = ("detectra", "torch", "torchvision")
# What LazyConfig.save writes, with the repr, for a value that has no YAML form (a lambda, an arbitrary object).
_UNSAVED_TAG = "!object"
_NAMED_TYPES = (type, types.FunctionType, types.BuiltinFunctionType)


class UnsafeYAMLTagError(yaml.constructor.ConstructorError):
    """A LazyConfig YAML file uses a tag, or names an object, that the safe loader does not build."""


def _in_allowed_root(module_name: str) -> bool:
    return any(module_name == root or module_name.startswith(root + ".") for root in _ALLOWED_ROOTS)


def _is_allowed_name(name: str) -> bool:
    """Whether the dotted path ``name`` is public and inside the allowed packages (checked before importing it)."""
    return _in_allowed_root(name) and all(p and not p.startswith("_") for p in name.split("."))


def _is_config_dataclass(cls: Any) -> bool:
    return isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__.startswith("detectra.")


class _LazyConfigLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` plus the Python tags of Detectron2's LazyConfig files, restricted to trusted names."""

    def _refuse(self, node: yaml.Node, why: str, *, missing: bool = False) -> UnsafeYAMLTagError:
        mark = node.start_mark
        where = f"{mark.name}, line {mark.line + 1}" if mark is not None else "<unknown position>"
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        if missing:  # not a safety matter: an allowed name that this detectra lacks, or a value save could not write
            return UnsafeYAMLTagError(None, None, f"LazyConfig YAML tag {tag} at {where} cannot be loaded: {why}.")
        return UnsafeYAMLTagError(
            None,
            None,
            f"LazyConfig YAML tag {tag} at {where} is refused: {why}. The safe loader builds only "
            f"!!python/name: of objects in {', '.join(_ALLOWED_ROOTS)} (detectron2.* read as detectra.*), "
            "!!python/object/apply:functools.partial of those, !!python/object: or !!python/object/new: of "
            "detectra's config dataclasses (ShapeSpec) and !!python/tuple; remove the value or write it as plain YAML.",
            None,
        )

    def _resolve(self, name: str, node: yaml.Node) -> Any:
        """The object at dotted path ``name``, if it lives in an allowed package; refuse anything else."""
        name = to_detectra_name(name)
        if not _is_allowed_name(name):
            raise self._refuse(node, f"'{name}' is not a public name inside {', '.join(_ALLOWED_ROOTS)}")
        try:
            obj = locate(name)  # imports only modules under the allowed roots: the name starts with one
        except ImportError as e:
            why = f"'{name}' does not exist in this version of detectra ({e})"
            raise self._refuse(node, why, missing=True) from None
        # An attribute path may leave the allowed packages (``torch.os.system``): check where the result lives.
        home = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
        if not isinstance(home, str) or not _in_allowed_root(home):
            raise self._refuse(node, f"'{name}' resolves to an object of module {home!r}, outside the allowed ones")
        return obj

    def construct_python_name(self, suffix: str, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode) or self.construct_scalar(node):
            raise self._refuse(node, "a !!python/name: tag takes an empty value ('')")
        return self._resolve(suffix, node)

    def construct_python_tuple(self, node: yaml.Node) -> tuple:
        if not isinstance(node, yaml.SequenceNode):
            raise self._refuse(node, "!!python/tuple takes a sequence")
        return tuple(self.construct_sequence(node, deep=True))

    def construct_python_apply(self, suffix: str, node: yaml.Node) -> Any:
        if to_detectra_name(suffix) != "functools.partial":
            raise self._refuse(node, "only functools.partial may be applied")
        if isinstance(node, yaml.SequenceNode):  # !!python/object/apply:functools.partial [func, arg, ...]
            args, kwds, state = self.construct_sequence(node, deep=True), {}, None
        elif isinstance(node, yaml.MappingNode):  # {args: [func], state: (func, args, kwds, dict)}, as pickled
            value = self.construct_mapping(node, deep=True)
            unknown = set(value) - {"args", "kwds", "state"}
            if unknown:
                raise self._refuse(node, f"unexpected keys {sorted(unknown)} for functools.partial")
            args, kwds, state = list(value.get("args", [])), dict(value.get("kwds") or {}), value.get("state")
        else:
            raise self._refuse(node, "functools.partial takes a sequence or a mapping")
        if state is not None:
            if not (isinstance(state, tuple) and len(state) == 4 and isinstance(state[2] or {}, dict)):
                raise self._refuse(node, "a functools.partial state is (func, args, kwds, dict)")
            func, extra_args, state_kwds, instance_dict = state
            if instance_dict:
                raise self._refuse(node, "a functools.partial with instance attributes is not supported")
            args = [func, *(extra_args or ())]
            kwds = {**(state_kwds or {}), **kwds}
        if not args or not callable(args[0]):
            raise self._refuse(node, "functools.partial needs a function named by !!python/name:")
        # Every callable reachable here was built by construct_python_name, hence already checked.
        return functools.partial(*args, **kwds)

    def _config_dataclass(self, suffix: str, node: yaml.Node) -> type:
        cls = self._resolve(suffix, node)
        if not _is_config_dataclass(cls):
            raise self._refuse(node, f"'{suffix}' is not one of detectra's config dataclasses")
        return cls

    def _build(self, cls: type, args: list, kwargs: dict, node: yaml.Node) -> Any:
        try:
            return cls(*args, **kwargs)
        except TypeError as e:
            raise self._refuse(node, f"cannot build {cls.__name__} from {args or ''}{kwargs or ''}: {e}") from None

    def construct_python_object(self, suffix: str, node: yaml.Node) -> Any:
        """``!!python/object:Class {field: value}``: how dataclasses (Detectron2's ShapeSpec since 2022) are saved."""
        cls = self._config_dataclass(suffix, node)
        fields = self.construct_mapping(node, deep=True) if isinstance(node, yaml.MappingNode) else {}
        return self._build(cls, [], fields, node)

    def construct_python_object_new(self, suffix: str, node: yaml.Node) -> Any:
        """``!!python/object/new:Class [values]``: how namedtuples (the older ShapeSpec) are saved."""
        cls = self._config_dataclass(suffix, node)
        if isinstance(node, yaml.SequenceNode):
            return self._build(cls, self.construct_sequence(node, deep=True), {}, node)
        value = self.construct_mapping(node, deep=True) if isinstance(node, yaml.MappingNode) else {}
        if set(value) - {"args", "kwds"}:
            raise self._refuse(node, f"unexpected keys {sorted(set(value) - {'args', 'kwds'})} for {cls.__name__}")
        return self._build(cls, list(value.get("args") or []), dict(value.get("kwds") or {}), node)

    def construct_refused(self, node: yaml.Node) -> Any:
        if node.tag == _UNSAVED_TAG:
            raise self._refuse(
                node,
                "LazyConfig.save marks with it a value that has no YAML form (only its repr is kept); load the "
                "pickle it wrote next to this file instead (the file name plus '.pkl'), if you trust it, or replace "
                "the value in the config",
                missing=True,
            )
        raise self._refuse(node, "the tag is not one that LazyConfig files use")

    def construct_refused_multi(self, suffix: str, node: yaml.Node) -> Any:
        raise self._refuse(node, "the tag is not one that LazyConfig files use")


_LazyConfigLoader.add_multi_constructor(_PY + "name:", _LazyConfigLoader.construct_python_name)
_LazyConfigLoader.add_multi_constructor(_PY + "object/apply:", _LazyConfigLoader.construct_python_apply)
_LazyConfigLoader.add_multi_constructor(_PY + "object:", _LazyConfigLoader.construct_python_object)
_LazyConfigLoader.add_multi_constructor(_PY + "object/new:", _LazyConfigLoader.construct_python_object_new)
_LazyConfigLoader.add_constructor(_PY + "tuple", _LazyConfigLoader.construct_python_tuple)
# Every other Python tag (module, object/apply of anything but partial, …) and any unknown tag: refuse, naming the
# tag and the line.
_LazyConfigLoader.add_multi_constructor(_PY, _LazyConfigLoader.construct_refused_multi)
_LazyConfigLoader.add_constructor(None, _LazyConfigLoader.construct_refused)


def load_lazy_yaml(stream: Union[str, IO[str]]) -> Any:
    """Parse LazyConfig YAML (Detectron2's or detectra's) with the restricted constructor.

    Args:
        stream: YAML text, or an open text file (its name appears in errors).

    Returns:
        the parsed document: dicts, lists, scalars, and the objects the allowed tags describe.

    Raises:
        UnsafeYAMLTagError: the document uses a tag, or names an object, outside the allowed set.
    """
    loader = _LazyConfigLoader(stream)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _import_path(obj: Any) -> Union[str, None]:
    """``module.qualname`` of a class or function, or None where that does not import ``obj`` (a lambda, a local
    function, a class defined in a config file)."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    path = f"{module}.{qualname}"
    try:
        return path if locate(path) is obj else None
    except Exception:  # noqa: BLE001 (importing a user's module may fail in any way: then it has no import path)
        return None


class _LazyConfigDumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` writing classes, functions, ``functools.partial`` and dataclasses with Detectron2's tags."""

    def represent_name(self, data: Any) -> yaml.Node:
        path = _import_path(data)
        if path is None:
            return self.represent_unsaved(data)
        return self.represent_scalar(f"{_PY}name:{path}", "")

    def represent_partial(self, data: functools.partial) -> yaml.Node:
        # PyYAML's rendering of partial.__reduce__(), which is what Detectron2's files hold.
        state = (data.func, data.args, data.keywords, data.__dict__ or None)
        return self.represent_mapping(f"{_PY}object/apply:functools.partial", {"args": [data.func], "state": state})

    def represent_tuple(self, data: tuple) -> yaml.Node:
        return self.represent_sequence(f"{_PY}tuple", data)

    def represent_object(self, data: Any) -> yaml.Node:
        if dataclasses.is_dataclass(data) and not isinstance(data, type) and _import_path(type(data)):
            fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
            return self.represent_mapping(f"{_PY}object:{_import_path(type(data))}", fields)
        return self.represent_unsaved(data)

    def represent_unsaved(self, data: Any) -> yaml.Node:
        return self.represent_scalar(_UNSAVED_TAG, repr(data))


_LazyConfigDumper.add_multi_representer(type, _LazyConfigDumper.represent_name)
_LazyConfigDumper.add_representer(types.FunctionType, _LazyConfigDumper.represent_name)
_LazyConfigDumper.add_representer(types.BuiltinFunctionType, _LazyConfigDumper.represent_name)
_LazyConfigDumper.add_representer(functools.partial, _LazyConfigDumper.represent_partial)
_LazyConfigDumper.add_representer(tuple, _LazyConfigDumper.represent_tuple)
_LazyConfigDumper.add_multi_representer(object, _LazyConfigDumper.represent_object)


def dump_lazy_yaml(data: Any) -> str:
    """Write plain data (``OmegaConf.to_container`` of a config) as LazyConfig YAML, in Detectron2's form.

    Classes and functions become ``!!python/name:module.qualname ''``, ``functools.partial`` objects
    ``!!python/object/apply:functools.partial``, dataclass instances (``ShapeSpec``) ``!!python/object:Class {...}``
    and tuples ``!!python/tuple``. A value with no such form (a lambda, an arbitrary object) is written as
    ``!object '<repr>'``, for reading only: :func:`unloadable_values` names it.
    """
    return yaml.dump(data, Dumper=_LazyConfigDumper, default_flow_style=None, allow_unicode=True, width=9999)


def _why_unloadable(value: Any) -> Union[str, None]:
    """Why :func:`load_lazy_yaml` would not give back ``value`` as :func:`dump_lazy_yaml` writes it, or None."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return None
    if isinstance(value, (list, tuple)):
        return next(filter(None, map(_why_unloadable, value)), None)
    if isinstance(value, dict):
        return next(filter(None, map(_why_unloadable, value.values())), None)
    if type(value) is functools.partial:
        return _why_unloadable([value.func, value.args, value.keywords]) or _why_unloadable(value.__dict__)
    if isinstance(value, _NAMED_TYPES):
        path = _import_path(value)
        if path is None:
            return f"{value!r} has no import path (a lambda, a local function, a class defined in a config file)"
        if not _is_allowed_name(path):
            roots = ", ".join(_ALLOWED_ROOTS)
            return f"{path} is not a public name in {roots}, the only packages LazyConfig.load imports from"
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not _is_config_dataclass(type(value)):
            name = type(value).__qualname__
            return f"{name} is not one of detectra's config dataclasses, the only objects LazyConfig.load builds"
        return _why_unloadable([getattr(value, f.name) for f in dataclasses.fields(value)])
    return f"a {type(value).__module__}.{type(value).__qualname__} object has no YAML form"


def unloadable_values(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """The values of ``data`` (dicts and lists of values) that :func:`load_lazy_yaml` would not read back.

    Returns:
        ``(key path, reason)`` pairs, e.g. ``("model.norm", "<function <lambda> ...> is a lambda ...")``.
    """
    if isinstance(data, dict):
        items = [(f"{prefix}.{k}" if prefix else str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        items = [(f"{prefix}[{i}]", v) for i, v in enumerate(data)]
    else:
        why = _why_unloadable(data)
        return [(prefix, why)] if why else []
    return [problem for path, value in items for problem in unloadable_values(value, path)]
