"""PathManager on local paths, on mocked http(s) downloads (no network) and on detectron2:// names."""
from __future__ import annotations

import io
import urllib.error
import urllib.request

import pytest

from detectra.utils.file_io import PathHandler, PathManager, PathManagerBase


def test_local_operations(tmp_path):
    folder = tmp_path / "a" / "b"
    PathManager.mkdirs(str(folder))
    assert PathManager.isdir(str(folder)) and not PathManager.isfile(str(folder))
    with PathManager.open(str(folder / "x.txt"), "w") as f:
        f.write("hello")
    assert PathManager.ls(str(folder)) == ["x.txt"]
    assert PathManager.get_local_path(f"file://{folder}/x.txt") == str(folder / "x.txt")
    assert PathManager.copy(str(folder / "x.txt"), str(folder / "y.txt"))
    with pytest.raises(FileExistsError, match="overwrite=True"):
        PathManager.copy(str(folder / "x.txt"), str(folder / "y.txt"))
    assert PathManager.open(str(folder / "y.txt")).read() == "hello"
    PathManager.rm(str(folder / "x.txt"))
    assert not PathManager.exists(str(folder / "x.txt")) and PathManager.ls(str(folder)) == ["y.txt"]


@pytest.fixture
def fake_web(monkeypatch, tmp_path):
    """urlopen answers from a dict of URL -> bytes and counts the requests; the cache goes to tmp_path."""
    monkeypatch.setenv("DETECTRA_CACHE", str(tmp_path / "cache"))
    pages = {"https://example.com/data/w.bin": b"\x00weights", "https://dl.fbaipublicfiles.com/detectron2/m/f.pkl": b"zoo"}
    requests = []

    def urlopen(url, timeout=None):
        url = url.full_url if isinstance(url, urllib.request.Request) else url
        requests.append(url)
        if url not in pages:
            raise urllib.error.URLError("network is unreachable")
        return io.BytesIO(pages[url])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return requests


def test_http_download_is_cached(fake_web, tmp_path):
    url = "https://example.com/data/w.bin"
    local = PathManager.get_local_path(url)
    assert local == str(tmp_path / "cache" / "data" / "w.bin")
    with PathManager.open(url, "rb") as f:
        assert f.read() == b"\x00weights"
    assert PathManager.exists(url) and PathManager.isfile(url)
    assert fake_web == [url]  # downloaded once, then read from the cache
    PathManager.get_local_path(url, force=True)
    assert len(fake_web) == 2
    with pytest.raises(ValueError, match="only be opened for reading"):
        PathManager.open(url, "w")


def test_detectron2_prefix_and_offline_error(fake_web, tmp_path):
    assert PathManager.open("detectron2://m/f.pkl", "rb").read() == b"zoo"
    assert fake_web == ["https://dl.fbaipublicfiles.com/detectron2/m/f.pkl"]
    with pytest.raises(RuntimeError, match="copy it to"):
        PathManager.get_local_path("https://example.com/missing.pkl")


def test_catalog_prefix_and_custom_handler(fake_web, tmp_path):
    import detectra.checkpoint  # noqa: F401  (registers catalog://)

    with pytest.raises(RuntimeError, match="ImageNetPretrained/MSRA/R-50.pkl"):
        PathManager.get_local_path("catalog://ImageNetPretrained/MSRA/R-50")

    class MemoryHandler(PathHandler):
        def _get_supported_prefixes(self):
            return ["mem://"]

        def _open(self, path, mode="r", buffering=-1, **kwargs):
            return io.StringIO(path[len("mem://") :])

    manager = PathManagerBase()
    handler = MemoryHandler()
    events = []
    handler.add_writer(events.append)
    manager.register_handler(handler)
    assert manager.open("mem://abc").read() == "abc"
    assert events == [{"topic": PathHandler.DEFAULT_TOPIC, "op": "open", "path": "mem://abc", "handler": "MemoryHandler"}]
    with pytest.raises(KeyError, match="allow_override"):
        manager.register_handler(MemoryHandler())
    with pytest.raises(NotImplementedError, match="MemoryHandler does not support ls"):
        manager.ls("mem://x")
