"""Names of published weights -> URLs, and a download cache for them.

``detectron2://X`` means ``https://dl.fbaipublicfiles.com/detectron2/X`` (Detectron2's own model zoo, and the
ImageNet-pretrained backbones its configs name in MODEL.WEIGHTS); ``catalog://ImageNetPretrained/MSRA/R-50`` uses
:class:`ModelCatalog`. Downloads land in ``$DETECTRA_CACHE`` (default ``~/.torch/detectra_cache``), mirroring the
URL's path, so a file copied there by hand is used without any network access.
"""
from __future__ import annotations

import logging
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request

from detectra.checkpoint.safe_io import atomic_write
from detectra.utils.file_io import HTTPURLHandler, PathManager

__all__ = ["ModelCatalog", "ModelCatalogHandler", "resolve_url", "get_cache_dir", "cached_path", "download", "get_local_path"]

logger = logging.getLogger(__name__)

D2_PREFIX = "https://dl.fbaipublicfiles.com/detectron2/"


class ModelCatalog:
    """Published Caffe2 ImageNet-pretrained backbones, as Detectron2's ``ModelCatalog`` names them."""

    S3_C2_DETECTRON_PREFIX = "https://dl.fbaipublicfiles.com/detectron"
    C2_IMAGENET_MODELS = {
        "MSRA/R-50": "ImageNetPretrained/MSRA/R-50.pkl",
        "MSRA/R-101": "ImageNetPretrained/MSRA/R-101.pkl",
        "FAIR/R-50-GN": "ImageNetPretrained/47261647/R-50-GN.pkl",
        "FAIR/R-101-GN": "ImageNetPretrained/47592356/R-101-GN.pkl",
        "FAIR/X-101-32x8d": "ImageNetPretrained/20171220/X-101-32x8d.pkl",
        "FAIR/X-101-64x4d": "ImageNetPretrained/FBResNeXt/X-101-64x4d.pkl",
        "FAIR/X-152-32x8d-IN5k": "ImageNetPretrained/25093814/X-152-32x8d-IN5k.pkl",
    }

    @staticmethod
    def get(name: str) -> str:
        """URL of a catalog name such as ``ImageNetPretrained/MSRA/R-50``."""
        if name.startswith("ImageNetPretrained/"):
            short = name[len("ImageNetPretrained/") :]
            if short in ModelCatalog.C2_IMAGENET_MODELS:
                return f"{ModelCatalog.S3_C2_DETECTRON_PREFIX}/{ModelCatalog.C2_IMAGENET_MODELS[short]}"
        known = ", ".join(f"ImageNetPretrained/{k}" for k in ModelCatalog.C2_IMAGENET_MODELS)
        raise KeyError(f"Model '{name}' is not in the catalog. Known names: {known}.")


class ModelCatalogHandler(HTTPURLHandler):
    """Serves ``catalog://<name>`` paths in :data:`detectra.utils.file_io.PathManager` from their URLs."""

    PREFIX = "catalog://"

    def _get_supported_prefixes(self) -> list[str]:
        return [self.PREFIX]

    def _url(self, path: str) -> str:
        return ModelCatalog.get(path[len(self.PREFIX) :])


PathManager.register_handler(ModelCatalogHandler())


def resolve_url(path: str) -> str:
    """Expand ``detectron2://`` and ``catalog://`` names to https URLs; other strings are returned unchanged."""
    if path.startswith("detectron2://"):
        return D2_PREFIX + path[len("detectron2://") :]
    if path.startswith("catalog://"):
        return ModelCatalog.get(path[len("catalog://") :])
    return path


def get_cache_dir() -> str:
    """``$DETECTRA_CACHE``, or ``~/.torch/detectra_cache``."""
    return os.path.expanduser(os.environ.get("DETECTRA_CACHE", "~/.torch/detectra_cache"))


def cached_path(url: str) -> str:
    """Where ``url`` is (or would be) stored in the cache: its host-relative path under :func:`get_cache_dir`."""
    parsed = urllib.parse.urlparse(url)
    rel = urllib.parse.unquote(parsed.path).lstrip("/")
    if not rel or ".." in rel.split("/"):
        raise ValueError(f"Cannot cache '{url}': its path does not name a file.")
    return os.path.join(get_cache_dir(), *rel.split("/"))


def download(url: str, dest: str, *, timeout: float = 60.0) -> str:
    """Download ``url`` to ``dest`` atomically (a partial download never appears at ``dest``).

    Raises:
        RuntimeError: the download failed (e.g. offline); it names the URL and where to put the file by hand.
    """
    logger.info(f"Downloading {url} to {dest} ...")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            atomic_write(dest, lambda f: shutil.copyfileobj(response, f))
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise RuntimeError(
            f"Could not download '{url}' ({e}). Without network access, download it on another machine and copy "
            f"it to '{dest}' (the cache folder is set by $DETECTRA_CACHE, now '{get_cache_dir()}')."
        ) from e
    return dest


def get_local_path(path: str) -> str:
    """A local file for ``path``: local paths as they are, URLs and ``detectron2://`` names from the cache,
    downloading them on first use."""
    url = resolve_url(path)
    if urllib.parse.urlparse(url).scheme not in ("http", "https", "ftp", "file"):
        return path
    local = cached_path(url)
    if not os.path.isfile(local):
        download(url, local)
    return local
