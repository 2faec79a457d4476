"""``detectron2`` import names for detectra: ``detectron2.X.Y`` is the module object ``detectra.X.Y``.

Importing this package puts a finder at the front of ``sys.meta_path``. It answers every ``detectron2.<path>``
import by importing ``detectra.<path>`` and registering that same module object under the ``detectron2`` name, so:

- nothing is imported twice: ``detectron2.modeling.META_ARCH_REGISTRY is detectra.modeling.META_ARCH_REGISTRY``,
  and ``isinstance`` checks and pickles agree whichever name the code used;
- modules added to detectra later are reachable at once (``from detectron2.modeling.backbone.vit import ViT``):
  there is no list of modules to keep in step.

``detectron2.__version__`` is this distribution's version, ``0.6+detectra.<detectra version>``.

The ``detectron2`` logger (``logging.getLogger("detectron2")``, where Detectron2's tools log) is a child of the
``detectra`` logger: it prints through the handlers ``setup_logger()`` / ``default_setup`` put there.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import logging
import pkgutil
import sys
import types
from typing import Any, Optional, Sequence

import detectra

_ALIAS = __name__  # "detectron2"
_TARGET = detectra.__name__  # "detectra"

try:
    __version__ = importlib.metadata.version(_ALIAS)
except importlib.metadata.PackageNotFoundError:  # imported from a source tree without being installed
    __version__ = f"0.6+detectra.{detectra.__version__}"


def _target_name(fullname: str) -> str:
    return _TARGET + fullname[len(_ALIAS) :]


class _AliasLoader(importlib.abc.Loader):
    """Loads ``detectron2.<path>`` as the already-existing (or newly imported) module ``detectra.<path>``."""

    def __init__(self, target: str) -> None:
        self._target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[types.ModuleType]:
        return None  # a throwaway module: exec_module replaces it

    def exec_module(self, module: types.ModuleType) -> None:
        # After exec_module the import system returns whatever sys.modules holds under the name, so the detectra
        # module itself becomes detectron2.<path>, untouched (its __name__ and __spec__ stay detectra's).
        sys.modules[module.__name__] = importlib.import_module(self._target)


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``detectron2.<path>`` wherever ``detectra.<path>`` exists; anything else is left to other finders."""

    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]] = None, target: Optional[types.ModuleType] = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if not fullname.startswith(_ALIAS + "."):
            return None
        if fullname == f"{_ALIAS}._C":
            # ImportError, not ModuleNotFoundError: `from detectron2 import _C` would turn the latter into a bare
            # "cannot import name".
            raise ImportError(
                "detectron2._C is Detectron2's compiled extension; detectra has none. Its operators are in "
                "detectron2.layers (nms, ROIAlign, deform conv, ... on torchvision.ops): import them from there.",
                name=fullname,
            )
        real = _target_name(fullname)
        try:
            real_spec = importlib.util.find_spec(real)
        except ModuleNotFoundError:  # a parent of the path is not a package either
            return None
        if real_spec is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(real), is_package=real_spec.submodule_search_locations is not None
        )


def _install_finder() -> None:
    # Placed first: otherwise the path finder would load detectra's files a second time, as new modules, when a
    # parent's __path__ (detectra's folder) is searched for a detectron2.<path> name.
    if not any(type(f).__name__ == _AliasFinder.__name__ for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())


def _install_logging() -> None:
    # Detectron2's setup_logger() configured the logger named "detectron2"; detectra's configures "detectra". As a
    # child of "detectra", "detectron2" takes its level and handlers: a script's logging.getLogger("detectron2")
    # prints once setup_logger() ran, and `isEnabledFor(INFO)` (which Detectron2-style trainers check to decide
    # whether to call setup_logger) answers as it would with Detectron2. A script calling
    # setup_logger(name="detectron2") gets its own handlers, which stop the propagation as in Detectron2.
    logging.getLogger(_ALIAS).parent = logging.getLogger(_TARGET)


def __getattr__(name: str) -> Any:
    # `import detectron2; detectron2.model_zoo.get(...)` works without importing the submodule first.
    if not name.startswith("_") and importlib.util.find_spec(f"{_TARGET}.{name}") is not None:
        return importlib.import_module(f"{_ALIAS}.{name}")
    try:
        return getattr(detectra, name)
    except AttributeError:
        raise AttributeError(f"module {_ALIAS!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({"__version__"} | {m.name for m in pkgutil.iter_modules(detectra.__path__) if m.name[0] != "_"})


_install_finder()
_install_logging()
