"""``PathManager``: one file API for local paths, ``http(s)://`` / ``ftp://`` URLs and ``detectron2://`` names.

The same calls as iopath's ``PathManager`` (``open``, ``exists``, ``isfile``, ``isdir``, ``ls``, ``mkdirs``, ``rm``,
``copy``, ``get_local_path``, ``register_handler``, ...), without depending on iopath. URLs are downloaded once into
detectra's cache (``$DETECTRA_CACHE``, see :mod:`detectra.checkpoint.catalog`) and read from there; offline, the
error says where to copy the file by hand. ``detectron2://X`` is Detectron2's model zoo
(``https://dl.fbaipublicfiles.com/detectron2/X``); ``catalog://`` names are added by :mod:`detectra.checkpoint`.
Other storage (S3, manifold, ...) plugs in with :meth:`PathManagerBase.register_handler`.
"""
from __future__ import annotations

import logging
import os
import shutil
import urllib.error
import urllib.request
from typing import IO, Any, Callable, Iterable

__all__ = ["PathHandler", "PathManager", "PathManagerBase", "NativePathHandler", "HTTPURLHandler", "Detectron2Handler"]

logger = logging.getLogger(__name__)


class PathHandler:
    """Serves the paths that start with one of :meth:`_get_supported_prefixes`; subclasses override the ``_``
    methods they support (the others raise ``NotImplementedError`` naming the handler and the operation).

    Handlers can also report what they do: :meth:`add_writer` registers a callable ``writer(event: dict)``;
    :class:`PathManagerBase` then records each operation (``topic``, ``op``, ``path`` and any keys set with
    :meth:`add_key`) and hands it to the writers with :meth:`log_event`.
    """

    DEFAULT_TOPIC = "detectra_file_io"

    def __init__(self) -> None:
        self._writers: list[Callable[[dict], Any]] = []
        self._event: dict[str, Any] = {}

    # --- event logging -------------------------------------------------------------------------------------
    def add_writer(self, writer: Callable[[dict], Any]) -> None:
        """Register ``writer``, called with each logged event (a dict)."""
        self._writers.append(writer)

    def add_key(self, key: str, value: Any) -> None:
        """Set ``key`` in the event being built."""
        self._event[key] = value

    def add_keys(self, kvs: dict[str, Any]) -> None:
        """Set several keys in the event being built."""
        self._event.update(kvs)

    def log_event(self, topic: str | None = None) -> None:
        """Hand the event built so far (with its ``topic``) to every writer and start a new one."""
        event, self._event = {"topic": topic or self.DEFAULT_TOPIC, **self._event}, {}
        for writer in self._writers:
            writer(event)

    # --- operations ----------------------------------------------------------------------------------------
    def _get_supported_prefixes(self) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} does not list the prefixes it serves.")

    def _unsupported(self, op: str) -> NotImplementedError:
        return NotImplementedError(f"{type(self).__name__} does not support {op}().")

    def _get_local_path(self, path: str, force: bool = False, **kwargs: Any) -> str:
        raise self._unsupported("get_local_path")

    def _copy_from_local(self, local_path: str, dst_path: str, overwrite: bool = False, **kwargs: Any) -> None:
        raise self._unsupported("copy_from_local")

    def _open(self, path: str, mode: str = "r", buffering: int = -1, **kwargs: Any) -> IO:
        raise self._unsupported("open")

    def _copy(self, src_path: str, dst_path: str, overwrite: bool = False, **kwargs: Any) -> bool:
        raise self._unsupported("copy")

    def _mv(self, src_path: str, dst_path: str, **kwargs: Any) -> bool:
        raise self._unsupported("mv")

    def _exists(self, path: str, **kwargs: Any) -> bool:
        raise self._unsupported("exists")

    def _isfile(self, path: str, **kwargs: Any) -> bool:
        raise self._unsupported("isfile")

    def _isdir(self, path: str, **kwargs: Any) -> bool:
        raise self._unsupported("isdir")

    def _ls(self, path: str, **kwargs: Any) -> list[str]:
        raise self._unsupported("ls")

    def _mkdirs(self, path: str, **kwargs: Any) -> None:
        raise self._unsupported("mkdirs")

    def _rm(self, path: str, **kwargs: Any) -> None:
        raise self._unsupported("rm")

    def _symlink(self, src_path: str, dst_path: str, **kwargs: Any) -> bool:
        raise self._unsupported("symlink")


class NativePathHandler(PathHandler):
    """Local files (also ``file://`` paths)."""

    def _get_supported_prefixes(self) -> list[str]:
        return ["file://"]

    @staticmethod
    def _local(path: str) -> str:
        path = os.fspath(path)
        return os.path.expanduser(path[len("file://") :] if path.startswith("file://") else path)

    def _get_local_path(self, path: str, force: bool = False, **kwargs: Any) -> str:
        return self._local(path)

    def _copy_from_local(self, local_path: str, dst_path: str, overwrite: bool = False, **kwargs: Any) -> None:
        self._copy(local_path, dst_path, overwrite)

    def _open(self, path: str, mode: str = "r", buffering: int = -1, **kwargs: Any) -> IO:
        return open(self._local(path), mode, buffering=buffering, **kwargs)

    def _copy(self, src_path: str, dst_path: str, overwrite: bool = False, **kwargs: Any) -> bool:
        src, dst = self._local(src_path), self._local(dst_path)
        if os.path.exists(dst) and not overwrite:
            raise FileExistsError(f"Cannot copy '{src}' to '{dst}': the destination exists (pass overwrite=True).")
        shutil.copyfile(src, dst)
        return True

    def _mv(self, src_path: str, dst_path: str, **kwargs: Any) -> bool:
        shutil.move(self._local(src_path), self._local(dst_path))
        return True

    def _exists(self, path: str, **kwargs: Any) -> bool:
        return os.path.exists(self._local(path))

    def _isfile(self, path: str, **kwargs: Any) -> bool:
        return os.path.isfile(self._local(path))

    def _isdir(self, path: str, **kwargs: Any) -> bool:
        return os.path.isdir(self._local(path))

    def _ls(self, path: str, **kwargs: Any) -> list[str]:
        return sorted(os.listdir(self._local(path)))

    def _mkdirs(self, path: str, **kwargs: Any) -> None:
        os.makedirs(self._local(path), exist_ok=True)

    def _rm(self, path: str, **kwargs: Any) -> None:
        os.remove(self._local(path))

    def _symlink(self, src_path: str, dst_path: str, **kwargs: Any) -> bool:
        os.symlink(self._local(src_path), self._local(dst_path))
        return True


class HTTPURLHandler(PathHandler):
    """Read-only ``http://``, ``https://`` and ``ftp://`` files, downloaded once into detectra's cache."""

    def _get_supported_prefixes(self) -> list[str]:
        return ["http://", "https://", "ftp://"]

    def _url(self, path: str) -> str:
        from detectra.checkpoint.catalog import resolve_url

        return resolve_url(path)

    def _get_local_path(self, path: str, force: bool = False, **kwargs: Any) -> str:
        from detectra.checkpoint import catalog

        url = self._url(path)
        local = catalog.cached_path(url)
        if force or not os.path.isfile(local):
            catalog.download(url, local)
        return local

    def _open(self, path: str, mode: str = "r", buffering: int = -1, **kwargs: Any) -> IO:
        if any(c in mode for c in "wax+"):
            raise ValueError(f"'{path}' is a URL, which can only be opened for reading (mode 'r' or 'rb'), not '{mode}'.")
        return open(self._get_local_path(path), mode, buffering=buffering, **kwargs)

    def _exists(self, path: str, **kwargs: Any) -> bool:
        from detectra.checkpoint import catalog

        url = self._url(path)
        if os.path.isfile(catalog.cached_path(url)):
            return True
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=30):
                return True
        except urllib.error.HTTPError:
            return False  # the server answered: the file is not there
        except (urllib.error.URLError, OSError) as e:
            raise RuntimeError(f"Cannot tell whether '{url}' exists: the server could not be reached ({e}).") from e

    def _isfile(self, path: str, **kwargs: Any) -> bool:
        return self._exists(path)

    def _isdir(self, path: str, **kwargs: Any) -> bool:
        return False


class Detectron2Handler(HTTPURLHandler):
    """``detectron2://X``: Detectron2's published files, ``https://dl.fbaipublicfiles.com/detectron2/X``; also
    ``detectra://X``, what renaming ``detectron2`` to ``detectra`` in a script makes of it."""

    PREFIX = "detectron2://"

    def _get_supported_prefixes(self) -> list[str]:
        return [self.PREFIX, "detectra://"]


class PathManagerBase:
    """Dispatches each path to the registered :class:`PathHandler` with the longest matching prefix (local files
    when none matches)."""

    def __init__(self) -> None:
        self._handlers: dict[str, PathHandler] = {}
        self._native = NativePathHandler()
        self._strict_kwargs = True

    def __get_handler(self, path: str) -> PathHandler:
        path = os.fspath(path)
        for prefix in sorted(self._handlers, key=len, reverse=True):
            if path.startswith(prefix):
                return self._handlers[prefix]
        return self._native

    def _call(self, op: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if self._strict_kwargs is False:
            kwargs = {}  # handlers then see only the positional arguments that every handler takes
        handler = self.__get_handler(path)
        result = getattr(handler, f"_{op}")(path, *args, **kwargs)
        if handler._writers:
            handler.add_keys({"op": op, "path": os.fspath(path), "handler": type(handler).__name__})
            handler.log_event()
        return result

    def register_handler(self, handler: PathHandler, allow_override: bool = False) -> None:
        """Serve ``handler._get_supported_prefixes()`` with ``handler``.

        Raises:
            KeyError: a prefix already has a handler and ``allow_override`` is False.
        """
        if not isinstance(handler, PathHandler):
            raise TypeError(f"register_handler needs a PathHandler, got {type(handler).__name__}.")
        for prefix in handler._get_supported_prefixes():
            if prefix in self._handlers and not allow_override:
                raise KeyError(
                    f"Prefix '{prefix}' is already served by {type(self._handlers[prefix]).__name__}; "
                    "pass allow_override=True to replace it."
                )
            self._handlers[prefix] = handler

    def set_strict_kwargs_checking(self, enable: bool) -> None:
        """With ``enable=False``, keyword arguments that a handler does not take are dropped instead of raising."""
        self._strict_kwargs = enable

    def open(self, path: str, mode: str = "r", buffering: int = -1, **kwargs: Any) -> IO:
        """Open ``path`` like the built-in ``open`` (URLs: read-only, from the cache)."""
        return self._call("open", path, mode, buffering, **kwargs)

    def get_local_path(self, path: str, force: bool = False, **kwargs: Any) -> str:
        """A local file with the content of ``path`` (URLs are downloaded once; ``force`` downloads again)."""
        return self._call("get_local_path", path, force, **kwargs)

    def copy_from_local(self, local_path: str, dst_path: str, overwrite: bool = False, **kwargs: Any) -> None:
        """Copy a local file to ``dst_path`` (whatever storage serves it)."""
        if not os.path.isfile(local_path):
            raise FileNotFoundError(f"copy_from_local: '{local_path}' is not a local file.")
        handler = self.__get_handler(dst_path)
        handler._copy_from_local(local_path, dst_path, overwrite=overwrite, **kwargs)

    def copy(self, src_path: str, dst_path: str, overwrite: bool = False, **kwargs: Any) -> bool:
        """Copy a file; both paths must be served by the same handler."""
        if self.__get_handler(src_path) is not self.__get_handler(dst_path):
            raise ValueError(f"copy('{src_path}', '{dst_path}'): both paths must use the same storage.")
        return self._call("copy", src_path, dst_path, overwrite, **kwargs)

    def mv(self, src_path: str, dst_path: str, **kwargs: Any) -> bool:
        """Move a file; both paths must be served by the same handler."""
        if self.__get_handler(src_path) is not self.__get_handler(dst_path):
            raise ValueError(f"mv('{src_path}', '{dst_path}'): both paths must use the same storage.")
        return self._call("mv", src_path, dst_path, **kwargs)

    def symlink(self, src_path: str, dst_path: str, **kwargs: Any) -> bool:
        """Make ``dst_path`` a symbolic link to ``src_path`` (local files)."""
        return self._call("symlink", src_path, dst_path, **kwargs)

    def exists(self, path: str, **kwargs: Any) -> bool:
        return self._call("exists", path, **kwargs)

    def isfile(self, path: str, **kwargs: Any) -> bool:
        return self._call("isfile", path, **kwargs)

    def isdir(self, path: str, **kwargs: Any) -> bool:
        return self._call("isdir", path, **kwargs)

    def ls(self, path: str, **kwargs: Any) -> list[str]:
        """The names in a directory, sorted."""
        return self._call("ls", path, **kwargs)

    def mkdirs(self, path: str, **kwargs: Any) -> None:
        """Create a directory and its parents (no error if it exists)."""
        return self._call("mkdirs", path, **kwargs)

    def rm(self, path: str, **kwargs: Any) -> None:
        """Remove a file."""
        return self._call("rm", path, **kwargs)

    @property
    def handlers(self) -> Iterable[PathHandler]:
        """The registered handlers (without the local-file default)."""
        return list({id(h): h for h in self._handlers.values()}.values())


PathManager = PathManagerBase()
PathManager.register_handler(HTTPURLHandler())
PathManager.register_handler(Detectron2Handler())
