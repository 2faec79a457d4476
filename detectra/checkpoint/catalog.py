"""Names of published weights -> URLs, and a download cache for them.

``detectron2://X`` means ``https://dl.fbaipublicfiles.com/detectron2/X`` (Detectron2's own model zoo, and the
ImageNet-pretrained backbones its configs name in MODEL.WEIGHTS); ``catalog://ImageNetPretrained/MSRA/R-50`` uses
:class:`ModelCatalog`. Downloads land in ``$DETECTRA_CACHE`` (default ``~/.torch/detectra_cache``), mirroring the
URL's path, so a file copied there by hand is used without any network access.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request

from detectra.checkpoint.safe_io import atomic_write
from detectra.utils.file_io import HTTPURLHandler, PathManager

__all__ = ["ModelCatalog", "ModelCatalogHandler", "resolve_url", "get_cache_dir", "cached_path", "download", "get_local_path"]

logger = logging.getLogger(__name__)

D2_PREFIX = "https://dl.fbaipublicfiles.com/detectron2/"
# What `sed s/detectron2/detectra/g` (the README's way to port a script) makes of `detectron2://X` and of
# Detectron2's model-zoo URLs: nothing is published under these names, so they are read as Detectron2's.
_RENAMED_D2_PREFIXES = ("detectra://", "https://dl.fbaipublicfiles.com/detectra/")


class ModelCatalog:
    """Published Caffe2 Detectron weights, as Detectron2's ``ModelCatalog`` names them: ImageNet-pretrained
    backbones (``ImageNetPretrained/MSRA/R-50``) and Detectron (v1) COCO baselines
    (``Caffe2Detectron/COCO/35857345/e2e_faster_rcnn_R-50-FPN_1x``), loadable through the C2 name conversion."""

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
    C2_DETECTRON_PATH_FORMAT = "{prefix}/{url}/output/train/{dataset}/{type}/model_final.pkl"
    C2_DATASET_COCO = "coco_2014_train%3Acoco_2014_valminusminival"
    C2_DATASET_COCO_KEYPOINTS = "keypoints_coco_2014_train%3Akeypoints_coco_2014_valminusminival"
    # model name -> the part of its URL under S3_C2_DETECTRON_PREFIX
    C2_DETECTRON_MODELS = {
        "35857197/e2e_faster_rcnn_R-50-C4_1x": "35857197/12_2017_baselines/e2e_faster_rcnn_R-50-C4_1x.yaml.01_33_49.iAX0mXvW",
        "35857345/e2e_faster_rcnn_R-50-FPN_1x": "35857345/12_2017_baselines/e2e_faster_rcnn_R-50-FPN_1x.yaml.01_36_30.cUF7QR7I",
        "35857890/e2e_faster_rcnn_R-101-FPN_1x": "35857890/12_2017_baselines/e2e_faster_rcnn_R-101-FPN_1x.yaml.01_38_50.sNxI7sX7",
        "36761737/e2e_faster_rcnn_X-101-32x8d-FPN_1x": "36761737/12_2017_baselines/e2e_faster_rcnn_X-101-32x8d-FPN_1x.yaml.06_31_39.5MIHi1fZ",
        "35858791/e2e_mask_rcnn_R-50-C4_1x": "35858791/12_2017_baselines/e2e_mask_rcnn_R-50-C4_1x.yaml.01_45_57.ZgkA7hPB",
        "35858933/e2e_mask_rcnn_R-50-FPN_1x": "35858933/12_2017_baselines/e2e_mask_rcnn_R-50-FPN_1x.yaml.01_48_14.DzEQe4wC",
        "35861795/e2e_mask_rcnn_R-101-FPN_1x": "35861795/12_2017_baselines/e2e_mask_rcnn_R-101-FPN_1x.yaml.02_31_37.KqyEK4tT",
        "36761843/e2e_mask_rcnn_X-101-32x8d-FPN_1x": "36761843/12_2017_baselines/e2e_mask_rcnn_X-101-32x8d-FPN_1x.yaml.06_35_59.RZotkLKI",
        "48616381/e2e_mask_rcnn_R-50-FPN_2x_gn": "GN/48616381/04_2018_gn_baselines/e2e_mask_rcnn_R-50-FPN_2x_gn_0416.13_23_38.bTlTI97Q",
        "37697547/e2e_keypoint_rcnn_R-50-FPN_1x": "37697547/12_2017_baselines/e2e_keypoint_rcnn_R-50-FPN_1x.yaml.08_42_54.kdzV35ao",
        "35998355/rpn_R-50-C4_1x": "35998355/12_2017_baselines/rpn_R-50-C4_1x.yaml.08_00_43.njH5oD9L",
        "35998814/rpn_R-50-FPN_1x": "35998814/12_2017_baselines/rpn_R-50-FPN_1x.yaml.08_06_03.Axg0r179",
        "36225147/fast_R-50-FPN_1x": "36225147/12_2017_baselines/fast_rcnn_R-50-FPN_1x.yaml.08_39_09.L3obSdQ2",
    }  # fmt: skip

    @staticmethod
    def get(name: str) -> str:
        """URL of a catalog name (``ImageNetPretrained/...`` or ``Caffe2Detectron/COCO/...``).

        Raises:
            KeyError: the name is not in the catalog (the message lists the known names).
        """
        cat = ModelCatalog
        if name.startswith("ImageNetPretrained/") and name[len("ImageNetPretrained/") :] in cat.C2_IMAGENET_MODELS:
            return f"{cat.S3_C2_DETECTRON_PREFIX}/{cat.C2_IMAGENET_MODELS[name[len('ImageNetPretrained/') :]]}"
        if name.startswith("Caffe2Detectron/COCO/") and name[len("Caffe2Detectron/COCO/") :] in cat.C2_DETECTRON_MODELS:
            short = name[len("Caffe2Detectron/COCO/") :]
            dataset = cat.C2_DATASET_COCO_KEYPOINTS if "keypoint_rcnn" in short else cat.C2_DATASET_COCO
            kind = "rpn" if short == "35998355/rpn_R-50-C4_1x" else "generalized_rcnn"  # as it was published
            return cat.C2_DETECTRON_PATH_FORMAT.format(
                prefix=cat.S3_C2_DETECTRON_PREFIX, url=cat.C2_DETECTRON_MODELS[short], dataset=dataset, type=kind
            )
        known = [f"ImageNetPretrained/{k}" for k in cat.C2_IMAGENET_MODELS]
        known += [f"Caffe2Detectron/COCO/{k}" for k in cat.C2_DETECTRON_MODELS]
        raise KeyError(f"Model '{name}' is not in the catalog. Known names: {', '.join(known)}.")


class ModelCatalogHandler(HTTPURLHandler):
    """Serves ``catalog://<name>`` paths in :data:`detectra.utils.file_io.PathManager` from their URLs."""

    PREFIX = "catalog://"

    def _get_supported_prefixes(self) -> list[str]:
        return [self.PREFIX]

    def _url(self, path: str) -> str:
        return ModelCatalog.get(path[len(self.PREFIX) :])


PathManager.register_handler(ModelCatalogHandler())


def resolve_url(path: str) -> str:
    """Expand ``detectron2://``, ``catalog://`` and ``torchvision://`` names to https URLs; other strings are
    returned unchanged. ``detectra://X`` and ``https://dl.fbaipublicfiles.com/detectra/X`` (a ported script's
    renamed Detectron2 names) are Detectron2's ``X``."""
    if path.startswith("torchvision://"):
        from detectra.checkpoint.torchvision_loading import torchvision_weights_url

        return torchvision_weights_url(path)
    if path.startswith("detectron2://"):
        return D2_PREFIX + path[len("detectron2://") :]
    for prefix in _RENAMED_D2_PREFIXES:
        if path.startswith(prefix):
            return D2_PREFIX + path[len(prefix) :]
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
    """Download ``url`` to ``dest`` atomically (a partial download never appears at ``dest``). A file name that
    carries a SHA-256 prefix (torch.hub's ``resnet50-0676ba61.pth``) is checked against it.

    Raises:
        RuntimeError: the download failed (e.g. offline; it names the URL and where to put the file by hand), or
            its content does not match the hash in its name.
    """
    logger.info(f"Downloading {url} to {dest} ...")
    expected = _hash_prefix(url)

    def copy_and_check(response, f) -> None:
        digest = hashlib.sha256()
        for chunk in iter(lambda: response.read(1 << 20), b""):
            digest.update(chunk)
            f.write(chunk)
        if expected and not digest.hexdigest().startswith(expected):
            # raised inside atomic_write: the file never appears at dest
            raise _HashMismatch(f"'{url}' downloaded with SHA-256 {digest.hexdigest()[:len(expected)]}..., not the "
                                f"{expected}... its name promises: a corrupted or tampered download. Try again, or "
                                f"copy a good file to '{dest}'.")  # fmt: skip

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            atomic_write(dest, lambda f: copy_and_check(response, f))
    except _HashMismatch as e:
        raise RuntimeError(str(e)) from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise RuntimeError(
            f"Could not download '{url}' ({e}). Without network access, download it on another machine and copy "
            f"it to '{dest}' (the cache folder is set by $DETECTRA_CACHE, now '{get_cache_dir()}')."
        ) from e
    return dest


class _HashMismatch(Exception):
    pass


def _hash_prefix(url: str) -> str | None:
    """The SHA-256 prefix a file name carries by torch.hub's convention (``resnet50-0676ba61.pth``), if any."""
    match = re.search(r"-([0-9a-f]{8,})\.[a-z]+$", urllib.parse.urlparse(url).path)
    return match.group(1) if match else None


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
