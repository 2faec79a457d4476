"""Every package's ``__all__`` (names listed by the package plus the ``__all__`` of each submodule it re-exports
whole) names each object once, under a name the package has (so ``from <package> import *`` gives exactly it)."""
from __future__ import annotations

import collections
import importlib
import pkgutil

import pytest

import detectra

PACKAGES = sorted(
    ["detectra"]
    + [info.name for info in pkgutil.walk_packages(detectra.__path__, "detectra.") if info.ispkg]
)


@pytest.mark.parametrize("name", PACKAGES)
def test_package_all_is_unique_and_resolves(name: str) -> None:
    package = importlib.import_module(name)
    exported = getattr(package, "__all__", None)
    if exported is None:  # detectra and detectra.utils: submodules load lazily, nothing to star-import
        return
    repeated = [n for n, count in collections.Counter(exported).items() if count > 1]
    assert not repeated, f"{name}.__all__ lists these names more than once: {repeated}"
    missing = [n for n in exported if not hasattr(package, n)]
    assert not missing, f"{name}.__all__ lists names the package does not have: {missing}"


def test_layers_keeps_the_compile_switches_in_wrappers() -> None:
    """`detectra.layers` re-exports `layers.wrappers` except its torch.compile / export switches, which stay in
    `detectra.layers.wrappers` as in Detectron2."""
    from detectra import layers
    from detectra.layers import wrappers

    assert set(wrappers.__all__) - set(layers.__all__) == {
        "check_if_dynamo_compiling",
        "disable_torch_compiler",
        "export_code_paths",
    }
    assert {"Conv2d", "cat", "nonzero_tuple", "is_exporting"} <= set(layers.__all__)
