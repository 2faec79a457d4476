"""``CfgNode``: a nested, attribute-accessible config dict with yacs semantics.

Written here rather than depending on yacs / fvcore (not allowed dependencies). Behaviour follows yacs and
Detectron2's subclass of it: typed merges from YAML files (with ``_BASE_`` inheritance), from ``KEY VALUE`` lists and
from other configs; freezing; YAML dump that loads back unchanged. Differences from yacs, all deliberate:

- an ``int`` may replace a ``float`` (``BASE_LR: 1`` is accepted and stored as ``1.0``); yacs rejects it;
- item assignment (``cfg["KEY"] = v``) respects :meth:`freeze` as attribute assignment does;
- unknown-key errors name the file being merged and list the closest existing keys.
"""
from __future__ import annotations

import copy
import difflib
import io
import logging
import os
from ast import literal_eval
from typing import Any, Iterable, Iterator, Optional, Union

import yaml

from .compat import downgrade_config, guess_version, upgrade_config

__all__ = ["CfgNode", "ConfigKeyError", "load_yaml_with_base"]

logger = logging.getLogger(__name__)

BASE_KEY = "_BASE_"

# Leaf value types a config may hold (as in yacs); CfgNode itself is the only non-leaf type.
_VALID_TYPES = {tuple, list, str, int, float, bool, type(None)}
# (from, to) pairs a merge may convert between, beyond "same type" and "None on either side".
_ALLOWED_CASTS = {(tuple, list), (list, tuple), (int, float)}

# Names kept in the instance __dict__ rather than as config keys.
_IMMUTABLE = "__immutable__"
_NEW_ALLOWED = "__new_allowed__"
_DEPRECATED_KEYS = "__deprecated_keys__"
_RENAMED_KEYS = "__renamed_keys__"


class ConfigKeyError(KeyError):
    """An unknown or renamed config key. A ``KeyError`` whose message prints without ``KeyError``'s quoting."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class CfgNode(dict):
    """A config node: a ``dict`` whose keys can also be read and written as attributes.

    Example:
        cfg = CfgNode()
        cfg.SOLVER = CfgNode()
        cfg.SOLVER.BASE_LR = 0.02
        cfg.merge_from_list(["SOLVER.BASE_LR", "0.01"])
        cfg.freeze()

    Args:
        init_dict: initial content; nested dicts become ``CfgNode`` too.
        key_list: full key of this node inside its root (used in error messages).
        new_allowed: whether merges may add keys that this node does not have.
    """

    # where each node keeps its flags (in __dict__, out of the dict's keys), under yacs' names
    IMMUTABLE = _IMMUTABLE
    DEPRECATED_KEYS = _DEPRECATED_KEYS
    RENAMED_KEYS = _RENAMED_KEYS
    NEW_ALLOWED = _NEW_ALLOWED

    @classmethod
    def load_yaml_with_base(cls, filename: str, allow_unsafe: bool = False) -> dict:
        """The mapping of a YAML config file with its ``_BASE_`` chain merged in (see the module function);
        ``allow_unsafe`` is accepted for Detectron2 compatibility (YAML is always read with the safe loader)."""
        return load_yaml_with_base(filename)

    def __init__(
        self,
        init_dict: Optional[dict] = None,
        key_list: Optional[list[str]] = None,
        new_allowed: bool = False,
    ) -> None:
        init_dict = {} if init_dict is None else init_dict
        key_list = [] if key_list is None else key_list
        init_dict = self._create_config_tree_from_dict(init_dict, key_list, new_allowed)
        # Internal state lives in __dict__ so it never collides with (or shows up as) config keys.
        self.__dict__[_IMMUTABLE] = False
        self.__dict__[_NEW_ALLOWED] = new_allowed
        self.__dict__[_DEPRECATED_KEYS] = set()
        self.__dict__[_RENAMED_KEYS] = {}
        super().__init__(init_dict)

    @classmethod
    def _create_config_tree_from_dict(cls, dic: dict, key_list: list[str], new_allowed: bool = False) -> dict:
        out = copy.deepcopy(dic)
        for k, v in out.items():
            if isinstance(v, dict):
                out[k] = cls(v, key_list=key_list + [k], new_allowed=new_allowed)
            else:
                _check_valid_type(v, ".".join(key_list + [str(k)]))
        return out

    # ---------------------------------------------------------------- attribute / item access
    def __getattr__(self, name: str) -> Any:
        if name in self:
            return self[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("COMPUTED_"):
            # Detectron2 convention: COMPUTED_* keys may be set once by code, even on a frozen config.
            if name in self:
                if self[name] == value:
                    return
                raise KeyError(
                    f"Computed attribute '{name}' already exists with a different value! "
                    f"old={self[name]}, new={value}."
                )
            dict.__setitem__(self, name, value)
            return
        if name in self.__dict__:
            raise AttributeError(f"Invalid attempt to modify internal CfgNode state: {name}")
        self[name] = value

    def __setitem__(self, key: str, value: Any) -> None:
        if self.is_frozen():
            raise AttributeError(
                f"Attempted to set {key} to {value!r}, but CfgNode is immutable (frozen). Call cfg.defrost() first."
            )
        _check_valid_type(value, key)
        super().__setitem__(key, value)

    def __delattr__(self, name: str) -> None:
        if self.is_frozen():
            raise AttributeError(f"Attempted to delete {name}, but CfgNode is immutable (frozen).")
        if name not in self:
            raise AttributeError(name)
        super().__delitem__(name)

    def __reduce__(self) -> tuple:
        # Rebuild content first, then state: setting the frozen flag last keeps copy/pickle of frozen nodes working.
        return (_rebuild, (type(self), dict(self), dict(self.__dict__)))

    def __str__(self) -> str:
        lines = []
        for k, v in sorted(self.items()):
            if isinstance(v, CfgNode):
                body = "\n".join("  " + line for line in str(v).split("\n"))
                lines.append(f"{k}:\n{body}")
            else:
                lines.append(f"{k}: {v}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({super().__repr__()})"

    # ---------------------------------------------------------------- state
    def freeze(self) -> None:
        """Make this config and all of its children immutable."""
        self._set_immutable(True)

    def defrost(self) -> None:
        """Make this config and all of its children mutable."""
        self._set_immutable(False)

    def is_frozen(self) -> bool:
        return self.__dict__[_IMMUTABLE]

    def _set_immutable(self, is_immutable: bool) -> None:
        self._set_flag(_IMMUTABLE, is_immutable)

    def is_new_allowed(self) -> bool:
        return self.__dict__[_NEW_ALLOWED]

    def set_new_allowed(self, is_new_allowed: bool) -> None:
        """Allow (or forbid) merges to add new keys, in this node and all of its children."""
        self._set_flag(_NEW_ALLOWED, is_new_allowed)

    def _set_flag(self, flag: str, value: bool) -> None:
        """Set one of the node flags (``_IMMUTABLE``, ``_NEW_ALLOWED``) in this node and all of its children."""
        self.__dict__[flag] = value
        for v in self.values():
            if isinstance(v, CfgNode):
                v._set_flag(flag, value)

    def clone(self) -> "CfgNode":
        """A deep copy (frozen state included)."""
        return copy.deepcopy(self)

    # ---------------------------------------------------------------- deprecated / renamed keys
    def register_deprecated_key(self, key: str) -> None:
        """Silently ignore ``key`` (a full dotted key) when merging; use for keys that no longer do anything."""
        if key in self.__dict__[_DEPRECATED_KEYS]:
            raise ValueError(f"Key {key} is already registered as deprecated.")
        self.__dict__[_DEPRECATED_KEYS].add(key)

    def register_renamed_key(self, old_name: str, new_name: str, message: Optional[str] = None) -> None:
        """Make merges of ``old_name`` fail with an error that points to ``new_name``."""
        if old_name in self.__dict__[_RENAMED_KEYS]:
            raise ValueError(f"Key {old_name} is already registered as renamed.")
        self.__dict__[_RENAMED_KEYS][old_name] = (new_name, message)

    def key_is_deprecated(self, full_key: str) -> bool:
        if full_key in self.__dict__[_DEPRECATED_KEYS]:
            logger.warning("Deprecated config key (ignoring): %s", full_key)
            return True
        return False

    def key_is_renamed(self, full_key: str) -> bool:
        return full_key in self.__dict__[_RENAMED_KEYS]

    def raise_key_rename_error(self, full_key: str) -> None:
        new_key, message = self.__dict__[_RENAMED_KEYS][full_key]
        note = f" Note: {message}" if message else ""
        raise ConfigKeyError(f"Key {full_key} was renamed to {new_key}; please update your config.{note}")

    # ---------------------------------------------------------------- dump / load
    def to_dict(self) -> dict:
        """This config as nested plain dicts (leaf values unchanged)."""
        return {k: v.to_dict() if isinstance(v, CfgNode) else v for k, v in self.items()}

    def dump(self, **kwargs: Any) -> str:
        """The config as a YAML string; tuples become lists, as in yacs. ``kwargs`` go to ``yaml.dump``."""
        kwargs.setdefault("default_flow_style", False)
        return yaml.dump(self.to_dict(), Dumper=_NoAliasSafeDumper, **kwargs)

    @classmethod
    def load_cfg(cls, cfg_file_obj_or_str: Union[str, io.IOBase]) -> "CfgNode":
        """Build a ``CfgNode`` from a YAML string or an open YAML file (no ``_BASE_`` handling)."""
        if isinstance(cfg_file_obj_or_str, str):
            loaded = yaml.safe_load(cfg_file_obj_or_str)
        elif hasattr(cfg_file_obj_or_str, "read"):
            loaded = yaml.safe_load(cfg_file_obj_or_str.read())
        else:
            raise TypeError(f"load_cfg expects a YAML string or a file object, got {type(cfg_file_obj_or_str)}.")
        return cls(loaded or {})

    # ---------------------------------------------------------------- merges
    def merge_from_file(self, cfg_filename: Union[str, os.PathLike], allow_unsafe: bool = False) -> None:
        """Merge a YAML config file (and its ``_BASE_`` chain) into this config.

        Args:
            cfg_filename: path of the YAML file. ``_BASE_`` paths inside it are relative to its folder.
            allow_unsafe: accepted for Detectron2 compatibility; YAML is always read with the safe loader.

        Raises:
            ConfigKeyError: a key of the file does not exist here (the message lists close matches).
            ValueError: a value's type does not match the default's type.
        """
        cfg_filename = os.fspath(cfg_filename)
        loaded = load_yaml_with_base(cfg_filename)
        loaded_ver = self._loaded_version(loaded, cfg_filename)
        if loaded_ver is None or loaded_ver == self.VERSION:
            _merge_a_into_b(CfgNode(loaded), self, self, [], source=cfg_filename)
            return
        # an older file: merge it into the defaults as they were named then, then rename everything forward
        if self.is_frozen():
            raise AttributeError(
                f"Attempted to merge {cfg_filename}, but CfgNode is immutable (frozen). Call cfg.defrost() first."
            )
        old_self = downgrade_config(self, to_version=loaded_ver)
        _merge_a_into_b(CfgNode(loaded), old_self, old_self, [], source=cfg_filename)
        upgraded = upgrade_config(old_self, to_version=self.VERSION)
        dict.clear(self)
        dict.update(self, upgraded)

    def _loaded_version(self, loaded: dict, cfg_filename: str) -> Optional[int]:
        """The VERSION a loaded file was written for; None where this config has no VERSION to compare with."""
        if "VERSION" not in self:
            return None
        loaded_ver = loaded.get("VERSION")
        if loaded_ver is None:
            return min(guess_version(loaded, cfg_filename), self.VERSION)
        if not isinstance(loaded_ver, int) or not 0 <= loaded_ver <= self.VERSION:
            raise ValueError(
                f"Config {cfg_filename} has VERSION: {loaded_ver}, but this code reads VERSION 0 to {self.VERSION} "
                "configs. A newer VERSION was written for a newer release: upgrade detectra or remove the newer keys."
            )
        return loaded_ver

    def merge_from_other_cfg(self, cfg_other: "CfgNode") -> None:
        """Merge another ``CfgNode`` into this one, with the same key and type checks as a file merge."""
        if BASE_KEY in cfg_other:
            raise ValueError(f"The config to merge must not contain '{BASE_KEY}'; merge it from a file instead.")
        _merge_a_into_b(cfg_other, self, self, [])

    def merge_from_list(self, cfg_list: list) -> None:
        """Merge ``[KEY1, VALUE1, KEY2, VALUE2, ...]``, as given on a command line.

        Values that are strings are parsed as Python literals (``"0.01"``, ``"(800,)"``, ``"[1, 2]"``); a string
        that is not a literal (``"SyncBN"``) stays a string. Example:
        ``cfg.merge_from_list(["SOLVER.BASE_LR", "0.01", "INPUT.MIN_SIZE_TRAIN", "(640, 672)"])``.
        """
        if len(cfg_list) % 2 != 0:
            raise ValueError(
                f"Override list has an odd length ({len(cfg_list)}): expected KEY VALUE pairs, got {cfg_list}."
            )
        root = self
        for full_key, v in zip(cfg_list[0::2], cfg_list[1::2]):
            if root.key_is_deprecated(full_key):
                continue
            if root.key_is_renamed(full_key):
                root.raise_key_rename_error(full_key)
            key_list = full_key.split(".")
            d = self
            for i, subkey in enumerate(key_list):
                if not isinstance(d, CfgNode) or subkey not in d:
                    _raise_unknown_key(root, full_key, source="command-line overrides")
                if i < len(key_list) - 1:
                    d = d[subkey]
            value = _decode_cfg_value(v)
            leaf = key_list[-1]
            d[leaf] = _check_and_coerce_cfg_value_type(value, d[leaf], full_key, "command-line overrides")

    # ---------------------------------------------------------------- helpers
    def _iter_full_keys(self, prefix: str = "") -> Iterator[str]:
        for k, v in self.items():
            yield prefix + k
            if isinstance(v, CfgNode):
                yield from v._iter_full_keys(prefix + k + ".")


def _rebuild(cls: type, items: dict, state: dict) -> CfgNode:
    node = cls.__new__(cls)
    node.__dict__.update({_IMMUTABLE: False, _NEW_ALLOWED: False, _DEPRECATED_KEYS: set(), _RENAMED_KEYS: {}})
    dict.update(node, items)
    node.__dict__.update(state)
    return node


class _NoAliasSafeDumper(yaml.SafeDumper):
    # Shared default objects (the same tuple at two keys) would otherwise dump as &id001 / *id001 anchors.
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _check_valid_type(value: Any, full_key: str) -> None:
    if not isinstance(value, CfgNode) and type(value) not in _VALID_TYPES:
        raise TypeError(
            f"Config key {full_key} has value {value!r} of type {type(value).__name__}; a CfgNode may only hold "
            f"{', '.join(sorted(t.__name__ for t in _VALID_TYPES))} or CfgNode. Use LazyConfig for arbitrary objects."
        )


def _decode_cfg_value(value: Any) -> Any:
    """Turn a raw value (from YAML or a command line) into a config value.

    dicts become ``CfgNode``; strings that are Python literals are evaluated; other strings stay strings.
    """
    if isinstance(value, dict):
        return CfgNode(value)
    if not isinstance(value, str):
        return value
    try:
        return literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value


def _check_and_coerce_cfg_value_type(replacement: Any, original: Any, full_key: str, source: Optional[str]) -> Any:
    original_type, replacement_type = type(original), type(replacement)
    if replacement_type == original_type:
        return replacement
    # None can replace any leaf value and any leaf value can replace None.
    if (replacement is None and original_type in _VALID_TYPES) or (
        original is None and replacement_type in _VALID_TYPES
    ):
        return replacement
    if (replacement_type, original_type) in _ALLOWED_CASTS:
        return original_type(replacement)
    where = f" (in {source})" if source else ""
    raise ValueError(
        f"Type mismatch ({original_type.__name__} vs. {replacement_type.__name__}) with values "
        f"({original!r} vs. {replacement!r}) for config key: {full_key}{where}. "
        f"Expected a value of type {original_type.__name__} for {full_key}."
    )


def _raise_unknown_key(root: CfgNode, full_key: str, source: Optional[str]) -> None:
    close = difflib.get_close_matches(full_key, list(root._iter_full_keys()), n=3, cutoff=0.6)
    where = f" (in {source})" if source else ""
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ConfigKeyError(
        f"Non-existent config key: {full_key}{where}.{hint} Fix the key name, or add it to the defaults "
        f"(cfg.set_new_allowed(True) accepts new keys)."
    )


def _merge_a_into_b(a: CfgNode, b: CfgNode, root: CfgNode, key_list: list[str], source: Optional[str] = None) -> None:
    """Merge config ``a`` into ``b`` in place: keys of ``a`` must exist in ``b`` (unless new keys are allowed)."""
    if not isinstance(a, CfgNode) or not isinstance(b, CfgNode):
        raise TypeError(f"Cannot merge a {type(a).__name__} into a {type(b).__name__}; both must be CfgNode.")
    for k, v_ in a.items():
        full_key = ".".join(key_list + [k])
        v = _decode_cfg_value(copy.deepcopy(v_))
        if k in b:
            v = _check_and_coerce_cfg_value_type(v, b[k], full_key, source)
            if isinstance(v, CfgNode):
                _merge_a_into_b(v, b[k], root, key_list + [k], source)
            else:
                b[k] = v
        elif b.is_new_allowed():
            b[k] = v
        elif root.key_is_deprecated(full_key):
            continue
        elif root.key_is_renamed(full_key):
            root.raise_key_rename_error(full_key)
        else:
            _raise_unknown_key(root, full_key, source)


def _merge_dict_into(child: dict, base: dict) -> None:
    # Child keys override base keys; nested dicts merge key by key (as Detectron2's _BASE_ handling).
    for k, v in child.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge_dict_into(v, base[k])
        else:
            base[k] = v


def load_yaml_with_base(filename: str, _seen: Optional[Iterable[str]] = None) -> dict:
    """Read a YAML config, resolving its ``_BASE_`` chain recursively.

    ``_BASE_`` may be a path relative to the file's folder, ``~``-prefixed, or absolute. Keys of a file override
    the same keys of its base.

    Returns:
        the merged content as nested dicts, without ``_BASE_``.
    """
    seen = list(_seen or [])
    abspath = os.path.abspath(filename)
    if abspath in seen:
        raise ValueError(f"Cyclic _BASE_ chain in configs: {' -> '.join(seen + [abspath])}")
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"Config file not found: {filename}")
    with open(filename, encoding="utf-8") as f:
        try:
            cfg = yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise ValueError(f"Config file {filename} is not valid YAML: {e}") from e
    cfg = {} if cfg is None else cfg
    if not isinstance(cfg, dict):
        raise ValueError(f"Config file {filename} must hold a YAML mapping at the top level, got {type(cfg).__name__}.")
    if BASE_KEY not in cfg:
        return cfg
    base_name = cfg.pop(BASE_KEY)
    if not isinstance(base_name, str):
        raise ValueError(f"{BASE_KEY} in {filename} must be a single path string, got {base_name!r}.")
    base_name = os.path.expanduser(base_name)
    if not os.path.isabs(base_name):
        base_name = os.path.join(os.path.dirname(filename), base_name)
    if not os.path.isfile(base_name):
        raise FileNotFoundError(f"{BASE_KEY} of {filename} points to {base_name}, which does not exist.")
    base = load_yaml_with_base(base_name, seen + [abspath])
    _merge_dict_into(cfg, base)
    return base
