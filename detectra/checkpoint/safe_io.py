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
import re
import tempfile
from collections import OrderedDict
from typing import Any, BinaryIO, Callable, Mapping, Optional

import numpy as np
import torch

__all__ = [
    "UnsafeCheckpointError",
    "UnreadableCheckpointError",
    "RestrictedUnpickler",
    "load_pickle_file",
    "contiguous_array",
    "load_torch_file",
    "to_weights_only_safe",
    "atomic_write",
    "atomic_torch_save",
    "remove_stale_temp_files",
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """Raised when a checkpoint needs to unpickle objects that could execute code."""


class UnreadableCheckpointError(ValueError):
    """Raised when a weights file is empty, truncated or not a checkpoint at all (a json, a folder's pointer)."""


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


_CHECKPOINT_FIX = (
    "convert it to a state dict of tensors (torch.save({'model': state_dict}, 'model.pth')) in a separate, trusted "
    "Python session."
)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds numpy arrays / scalars / dtypes and plain containers.

    Anything else (a class, ``os.system``, ``builtins.eval``, ...) raises :class:`UnsafeCheckpointError` instead of
    being imported, so a malicious ``.pkl`` cannot run code while it is read.
    """

    def __init__(
        self,
        file: BinaryIO,
        *,
        source: str = "<stream>",
        fix: str = _CHECKPOINT_FIX,
        extra_globals: Optional[Mapping[tuple[str, str], Any]] = None,
    ) -> None:
        """
        Args:
            file: the binary stream to read.
            source: its name, for the error message.
            fix: what the error message tells a user who trusts the file to do.
            extra_globals: more ``(module, name) -> object`` the file may name; each must be harmless to call
                with the file's arguments (e.g. an ``IntEnum`` class).
        """
        super().__init__(file, encoding="latin1")  # latin1: Caffe2 / Detectron1 files are Python 2 pickles
        self._source = source
        self._fix = fix
        self._extra = dict(extra_globals or {})

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _CONTAINER_GLOBALS:
            return _CONTAINER_GLOBALS[(module, name)]
        if (module, name) in self._extra:
            return self._extra[(module, name)]
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise UnsafeCheckpointError(
            f"Refusing to load '{self._source}': it asks to unpickle '{module}.{name}', which is neither a numpy "
            "array nor a plain container, and unpickling it could execute arbitrary code. Only load files from "
            f"sources you trust; if you do trust this one, {self._fix}"
        )


def load_pickle_file(
    path: str, *, fix: str = _CHECKPOINT_FIX, extra_globals: Optional[Mapping[tuple[str, str], Any]] = None
) -> Any:
    """Read a ``.pkl`` file (checkpoint, precomputed proposals) with :class:`RestrictedUnpickler`.

    Args:
        path: a local file.
        fix: what the error message for an unsafe file tells a user who trusts it to do.
        extra_globals: see :class:`RestrictedUnpickler`.

    Returns:
        The unpickled object (dicts of numpy arrays for model-zoo and Caffe2 files).

    Raises:
        UnsafeCheckpointError: the file asks for an object other than numpy arrays and plain containers.
        UnreadableCheckpointError: the file is empty, truncated or not a pickle (the message names the file).
    """
    with open(path, "rb") as f:
        try:
            return RestrictedUnpickler(f, source=path, fix=fix, extra_globals=extra_globals).load()
        except UnsafeCheckpointError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError) as e:
            size = os.path.getsize(path)
            detail = str(e).splitlines()[0] if str(e) else "no details"
            raise UnreadableCheckpointError(
                f"Cannot read '{path}' ({size} bytes): it is not a pickle of numpy arrays and plain containers "
                f"({type(e).__name__}: {detail}); it may be empty, truncated, or another kind of file. Download or "
                "write it again."
            ) from None


def contiguous_array(array: np.ndarray) -> np.ndarray:
    """``array`` in C order, keeping its shape: ``np.ascontiguousarray`` turns a 0-d array into shape (1,)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def load_torch_file(path: str) -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)`` with a clear error for unsafe files.

    Raises:
        UnsafeCheckpointError: the file contains objects other than tensors and plain containers.
        UnreadableCheckpointError: the file is empty, truncated or not a PyTorch file (the message names it).
    """
    with open(path, "rb") as f:
        head = f.read(8)
    # torch.save writes a zip (b"PK\x03\x04"), or a pickle (b"\x80" + protocol) with the legacy format; anything
    # else (a json, a log, last_checkpoint) would reach the unpickler and be reported as unsafe, which it is not
    if head and not head.startswith((b"PK\x03\x04", b"\x80")):
        raise UnreadableCheckpointError(
            f"Cannot read checkpoint '{path}' ({os.path.getsize(path)} bytes): it is not a PyTorch file (it starts "
            f"with {head!r}, not a torch.save zip or pickle). Pass the .pth file a run wrote, e.g. model_final.pth."
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (EOFError, RuntimeError, KeyError, ValueError) as e:  # what torch raises for empty / cut / foreign files
        size = os.path.getsize(path)
        detail = " ".join(str(e).split()[:12]) or type(e).__name__
        raise UnreadableCheckpointError(
            f"Cannot read checkpoint '{path}' ({size} bytes): it is empty, truncated or not a PyTorch file "
            f"({type(e).__name__}: {detail}). A run killed while copying or saving leaves such files: use "
            "another checkpoint (with --resume, point last_checkpoint at an earlier model_*.pth), or save / "
            "download it again."
        ) from None
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
        return torch.from_numpy(contiguous_array(obj)).clone()
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
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(folder)


# What atomic_write's mkstemp names look like: ".{destination}.{8 random characters}.tmp".
_TEMP_NAME = re.compile(r"^\.(?P<dest>.+)\.[a-z0-9_]{8}\.tmp$")


def remove_stale_temp_files(folder: str) -> list[str]:
    """Delete the temporary files :func:`atomic_write` leaves in ``folder`` when its process is killed mid-write.

    Only names of that pattern (``.model_0004999.pth.k3j9x_2a.tmp``) are touched. Call it when a run that owns the
    folder starts or resumes; a concurrent writer to the same folder would lose its half-written file.

    Returns:
        The paths removed.
    """
    if not folder or not os.path.isdir(folder):
        return []
    removed = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if _TEMP_NAME.match(name) and os.path.isfile(path) and not os.path.islink(path):
            try:
                os.remove(path)
            except OSError:  # gone already, or not ours to remove: leave it
                continue
            removed.append(path)
    return removed


def _current_umask() -> int:
    # mkstemp creates files with mode 0600; a plain open() would give 0666 & ~umask, which is what users expect.
    try:
        with open("/proc/self/status") as f:  # Linux: read it without changing it (no race with other threads)
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
