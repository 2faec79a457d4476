"""Utilities: distributed helpers (comm), events and writers, logging, registries, file I/O, visualization, ..."""
from detectra import _lazy_submodules

# Submodules import on first attribute access (`detectra.utils.comm` after `import detectra.utils`), as they do
# in Detectron2 once imported, without making `import detectra.utils` pull in matplotlib or torch.distributed.
_SUBMODULES = ("analysis", "collect_env", "colormap", "comm", "develop", "env", "events", "file_io", "logger",
               "memory", "registry", "serialize", "testing", "torch_version_utils", "tracing", "video_visualizer",
               "visualizer")  # fmt: skip


__getattr__ = _lazy_submodules(__name__, _SUBMODULES)
