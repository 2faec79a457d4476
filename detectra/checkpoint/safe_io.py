"""Reading and writing checkpoint files without running code from them, and without half-written files.

* ``.pth`` files are read with ``torch.load(weights_only=True)``: only tensors and plain Python containers.
* ``.pkl`` files (Detectron2 model zoo, Caffe2 / Detectron1) are read with :class:`RestrictedUnpickler`, which
  rebuilds numpy arrays and plain containers and refuses everything else.
* Saves go to a temporary file in the destination folder, are flushed and fsynced, then ``os.replace``-d into place,
  so a process killed mid-save leaves the previous file untouched.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from collections import OrderedDict
from typing import Any, BinaryIO, Callable

import numpy as np
import torch

__all__ = [
    "UnsafeCheckpointError",
    "RestrictedUnpickler",
    "load_pickle_file",
    "load_torch_file",
    "to_weights_only_safe",
    "atomic_write",
    "atomic_torch_save",
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """Raised when a checkpoint needs to unpickle objects that could execute code."""


# (module, name) pairs a numpy-array pickle needs; numpy 2 renamed numpy.core to numpy._core, older files use either.
_NUMPY_GLOBALS = {
    (mod, name)
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray")
    for name in ("_reconstruct", "scalar")
} | {
    ("numpy.core.numeric", "_frombuffer"),  # pickle protocol 5
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    # Python-2 era pickles store raw bytes through codecs.encode(str, "latin1"): a pure string conversion.
    ("_codecs", "encode"),
}
_CONTAINER_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "dict"): dict,
    ("builtins", "list"): list,
    ("builtins", "tuple"): tuple,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "set"): set,  # Python 2 spelling
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds numpy arrays / scalars / dtypes and plain containers.

    Anything else (a class, ``os.system``, ``builtins.eval``, ...) raises :class:`UnsafeCheckpointError` instead of
    being imported, so a malicious ``.pkl`` cannot run code while it is read.
    """

    def __init__(self, file: BinaryIO, *, source: str = "<stream>") -> None:
        super().__init__(file, encoding="latin1")  # latin1: Caffe2 / Detectron1 files are Python 2 pickles
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _CONTAINER_GLOBALS:
            return _CONTAINER_GLOBALS[(module, name)]
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise UnsafeCheckpointError(
            f"Refusing to load '{self._source}': it asks to unpickle '{module}.{name}', which is neither a numpy "
            "array nor a plain container, and unpickling it could execute arbitrary code. Only load checkpoints "
            "from sources you trust; if you do trust this one, convert it to a state dict of tensors "
            "(torch.save({'model': state_dict}, 'model.pth')) in a separate, trusted Python session."
        )


def load_pickle_file(path: str) -> Any:
    """Read a ``.pkl`` checkpoint with :class:`RestrictedUnpickler`.

    Args:
        path: a local file.

    Returns:
        The unpickled object (dicts of numpy arrays for model-zoo and Caffe2 files).
    """
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, source=path).load()


def load_torch_file(path: str) -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)`` with a clear error for unsafe files.

    Raises:
        UnsafeCheckpointError: the file contains objects other than tensors and plain containers.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise UnsafeCheckpointError(
            f"Refusing to load '{path}': it contains objects other than tensors and plain Python containers, and "
            f"unpickling them could execute arbitrary code (torch.load(weights_only=True) said: "
            f"{str(e).splitlines()[0]}). If you trust the file, re-save just its weights in a separate, trusted "
            "Python session: ckpt = torch.load(path, weights_only=False); "
            "torch.save({'model': ckpt['model']}, 'model.pth'), then load 'model.pth'."
        ) from e


# Leaf types torch.load(weights_only=True) accepts without extra allow-listing.
_SAFE_LEAVES = (torch.Tensor, str, bytes, int, float, bool, complex, type(None), torch.dtype, torch.device, torch.Size)


def to_weights_only_safe(obj: Any, *, where: str = "checkpoint") -> Any:
    """Return ``obj`` with numpy values replaced by what ``torch.load(weights_only=True)`` can read back.

    numpy arrays become tensors (same dtype and values), numpy scalars become Python numbers; dicts (keeping
    OrderedDict), lists, tuples and sets are walked.

    Args:
        obj: what is about to be saved.
        where: its location, for the error message.

    Raises:
        TypeError: a value that cannot be stored safely (a custom object); it names its location, so the caller
            can convert it (to a tensor, list or dict) before saving.
    """
    if isinstance(obj, np.generic):  # before the leaves: np.float64 subclasses float but pickles as numpy
        return obj.item()
    if isinstance(obj, _SAFE_LEAVES):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return [to_weights_only_safe(x, where=f"{where}[{i}]") for i, x in enumerate(obj.tolist())]
        return torch.from_numpy(np.ascontiguousarray(obj)).clone()
    if isinstance(obj, dict):
        out = OrderedDict() if isinstance(obj, OrderedDict) else {}
        for k, v in obj.items():
            out[k] = to_weights_only_safe(v, where=f"{where}[{k!r}]")
        return out
    if isinstance(obj, list):
        return [to_weights_only_safe(v, where=f"{where}[{i}]") for i, v in enumerate(obj)]
    if type(obj) is set:
        return {to_weights_only_safe(v, where=f"{where}[{v!r}]") for v in obj}
    if isinstance(obj, tuple) and type(obj) is tuple:  # namedtuples are classes: not weights_only-loadable
        return tuple(to_weights_only_safe(v, where=f"{where}[{i}]") for i, v in enumerate(obj))
    raise TypeError(
        f"Cannot save {where}: a value of type {type(obj).__module__}.{type(obj).__qualname__} could only be read "
        "back by unpickling arbitrary code, which detectra refuses on load. Convert it to tensors, numbers, "
        "strings, lists or dicts in its state_dict()."
    )


def atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Write a file so that readers see either the old content or the complete new one, never a partial file.

    ``write(f)`` fills a temporary file in the same folder; it is flushed and fsynced, then renamed over ``path``
    with ``os.replace`` (atomic on POSIX and Windows). If ``write`` raises, the temporary file is removed and
    ``path`` is untouched.

    Args:
        path: the destination file.
        write: a function writing the content to a binary file object.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    # Makes the rename itself durable across a power loss; not supported on every OS / filesystem.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save(obj, path)`` through :func:`atomic_write`."""

    atomic_write(path, lambda f: torch.save(obj, f))
