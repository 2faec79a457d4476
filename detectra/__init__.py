"""detectra: Detectron2-compatible object detection and segmentation in pure Python on PyTorch."""

__version__ = "0.1.0"

import importlib as _importlib

# `import detectra` stays light; `detectra.utils`, `detectra.modeling`, ... import on first attribute access, so
# code written as `import detectron2; detectron2.utils.comm...` works after the rename.
_SUBPACKAGES = ("checkpoint", "config", "data", "engine", "evaluation", "export", "layers", "model_zoo", "modeling",
                "solver", "structures", "tracking", "utils")  # fmt: skip


def _lazy_submodules(package: str, names: tuple[str, ...]):
    """A module-level ``__getattr__`` for ``package`` that imports ``package.<name>`` on first access, for
    ``name`` in ``names``."""

    def __getattr__(name: str):
        if name in names:
            try:
                return _importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as e:
                if e.name != f"{package}.{name}":
                    raise  # a real missing dependency inside the submodule
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


__getattr__ = _lazy_submodules(__name__, _SUBPACKAGES)
