"""Global registries of datasets (name -> loader function) and their metadata (name -> ``Metadata``)."""
from __future__ import annotations

import copy
import difflib
import logging
import types
from collections import UserDict
from typing import Any, Callable

__all__ = ["DatasetCatalog", "MetadataCatalog", "Metadata"]

logger = logging.getLogger(__name__)


def _unknown_name_message(kind: str, name: str, registered: list[str]) -> str:
    close = difflib.get_close_matches(name, registered, n=5, cutoff=0.5)
    others = [n for n in sorted(registered) if n not in close]
    listing = ", ".join(close + others) or "(none)"
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return (
        f"{kind} '{name}' is not registered.{hint} Registered names (closest first): {listing}. "
        f"Register it with DatasetCatalog.register('{name}', loader_fn) (or register_coco_instances)."
    )


class AlreadyRegisteredError(KeyError, AssertionError):
    """A dataset name registered twice. Also an `AssertionError`, the type Detectron2 raises here, which notebooks
    catch (`except AssertionError: pass`) to make a registration cell safe to rerun."""


class _Catalog(UserDict):
    """A global registry keyed by dataset name; ``str`` lists the names after the subclass's ``_title``."""

    _title: str

    def list(self) -> list[str]:
        """The registered names."""
        return list(self.keys())

    def remove(self, name: str) -> None:
        """Unregister ``name``."""
        self.pop(name)

    def __str__(self) -> str:
        return f"{type(self).__name__.lstrip('_')}({self._title}: {', '.join(self.keys())})"

    __repr__ = __str__


class _DatasetCatalog(_Catalog):
    """Maps a dataset name to a zero-argument function returning its list of dataset dicts.

    Loading is lazy: the function runs on every ``get`` call, so registering a dataset whose files are missing only
    fails when the dataset is used.
    """

    _title = "registered datasets"

    def register(self, name: str, func: Callable[[], list[dict]]) -> None:
        """Register ``func`` (no arguments, returns ``list[dict]`` in Detectron2's format) under ``name``."""
        if not callable(func):
            raise TypeError(f"DatasetCatalog.register('{name}', ...) needs a callable, got {type(func).__name__}.")
        if name in self:
            raise AlreadyRegisteredError(
                f"Dataset '{name}' is already registered; DatasetCatalog.remove('{name}') first."
            )
        self[name] = func

    def get(self, name: str) -> list[dict]:  # type: ignore[override]
        """Call the registered function and return its list of dataset dicts."""
        try:
            func = self[name]
        except KeyError:
            raise KeyError(_unknown_name_message("Dataset", name, list(self.keys()))) from None
        return func()



DatasetCatalog = _DatasetCatalog()
DatasetCatalog.__doc__ = _DatasetCatalog.__doc__


class Metadata(types.SimpleNamespace):
    """Attributes of one dataset (``thing_classes``, ``keypoint_flip_map``, ``evaluator_type``, ...).

    An attribute, once set, cannot be changed to a different value (setting the same value again is allowed): the
    metadata is shared by every component of a run and silently changing it would make them disagree.
    """

    name: str = "N/A"

    _RENAMED = {
        "class_names": "thing_classes",
        "dataset_id_to_contiguous_id": "thing_dataset_id_to_contiguous_id",
        "stuff_class_names": "stuff_classes",
    }

    def __getattr__(self, key: str) -> Any:
        if key in self._RENAMED:
            logger.warning("Metadata '%s' was renamed to '%s'!", key, self._RENAMED[key])
            return getattr(self, self._RENAMED[key])
        if len(self.__dict__) > 1:
            raise AttributeError(
                f"Attribute '{key}' does not exist in the metadata of dataset '{self.name}'. "
                f"Available keys are {sorted(self.__dict__)}."
            )
        raise AttributeError(
            f"Attribute '{key}' does not exist in the metadata of dataset '{self.name}': metadata is empty."
        )

    def __setattr__(self, key: str, val: Any) -> None:
        if key in self._RENAMED:
            logger.warning("Metadata '%s' was renamed to '%s'!", key, self._RENAMED[key])
            key = self._RENAMED[key]
        if key in self.__dict__:
            old = self.__dict__[key]
            if not _same_value(old, val):
                raise AssertionError(
                    f"Attribute '{key}' in the metadata of '{self.name}' cannot be set to a different value!\n"
                    f"{old} != {val}. Use MetadataCatalog.remove('{self.name}') to start over."
                )
            return
        super().__setattr__(key, val)

    def as_dict(self) -> dict[str, Any]:
        """A shallow copy of all attributes as a dict."""
        return copy.copy(self.__dict__)

    def set(self, **kwargs: Any) -> "Metadata":
        """Set several attributes at once; returns ``self`` so calls can be chained."""
        for k, v in kwargs.items():
            setattr(self, k, v)
        return self

    def get(self, key: str, default: Any = None) -> Any:
        """The attribute ``key`` if present, else ``default``."""
        try:
            return getattr(self, key)
        except AttributeError:
            return default


def _same_value(a: Any, b: Any) -> bool:
    try:
        result = a == b
        if hasattr(result, "all"):  # numpy arrays / tensors
            return bool(result.all())
        return bool(result)
    except Exception:
        return a is b


class _MetadataCatalog(_Catalog):
    """Maps a dataset name to its ``Metadata``; ``get`` creates an empty one on first access, as in Detectron2."""

    _title = "registered metadata"

    def __init__(self) -> None:
        super().__init__()
        # name -> callable run once at the first `get` (datasets generated on first use, e.g. shapes, make sure
        # the files their metadata points to exist before anyone reads them)
        self._prepare: dict[str, Callable[[], None]] = {}

    def get(self, name: str) -> Metadata:  # type: ignore[override]
        """The ``Metadata`` of ``name`` (created empty if it does not exist yet)."""
        if not name:
            raise ValueError("MetadataCatalog.get() needs a non-empty dataset name.")
        prepare = self._prepare.pop(name, None)
        if prepare is not None:
            prepare()
        r = super().get(name, None)
        if r is None:
            r = self[name] = Metadata(name=name)
        return r

    def _set_prepare(self, name: str, func: Callable[[], None]) -> None:
        """Run ``func`` before the first ``get(name)`` returns (for datasets generated on first use)."""
        self._prepare[name] = func

    def remove(self, name: str) -> None:
        """Drop the metadata of ``name``."""
        self._prepare.pop(name, None)
        super().remove(name)


MetadataCatalog = _MetadataCatalog()
MetadataCatalog.__doc__ = _MetadataCatalog.__doc__
