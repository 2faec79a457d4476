"""Utilities: distributed helpers (comm), events and writers, logging, registries, file I/O, visualization, ..."""
import importlib as _importlib

# Submodules import on first attribute access (`detectra.utils.comm` after `import detectra.utils`), as they do
# in Detectron2 once imported, without making `import detectra.utils` pull in matplotlib or torch.distributed.
_SUBMODULES = ("analysis", "collect_env", "colormap", "comm", "develop", "env", "events", "file_io", "logger",
               "memory", "registry", "serialize", "testing", "torch_version_utils", "tracing", "video_visualizer",
               "visualizer")  # fmt: skip


def __getattr__(name: str):
    if name in _SUBMODULES:
        try:
            return _importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise  # a real missing dependency inside the submodule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
