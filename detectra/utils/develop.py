"""Placeholders for optional features whose dependency is missing: they fail when used, not when imported."""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["create_dummy_class", "create_dummy_func"]


def create_dummy_class(klass: str, dependency: str, message: str = "") -> type:
    """A class named ``klass`` that raises ``ImportError`` (saying ``dependency`` is needed) when instantiated
    or when any attribute is read from the class.

    Args:
        klass: the name of the class that could not be defined.
        dependency: the missing package.
        message: an extra hint appended to the error.
    """
    error = f"Cannot use {klass}: it needs '{dependency}', which is not installed. {message}".strip()

    class _DummyMeta(type):
        def __getattr__(cls, name: str) -> Any:
            raise ImportError(error)

    class _Dummy(metaclass=_DummyMeta):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ImportError(error)

    _Dummy.__name__ = _Dummy.__qualname__ = klass
    return _Dummy


def create_dummy_func(func: str, dependency: str | list[str], message: str = "") -> Callable:
    """A function named ``func`` that raises ``ImportError`` (naming the missing ``dependency``) when called."""
    deps = ", ".join(f"'{d}'" for d in ([dependency] if isinstance(dependency, str) else dependency))
    error = f"Cannot use {func}: it needs {deps}, which is not installed. {message}".strip()

    def _dummy(*args: Any, **kwargs: Any) -> Any:
        raise ImportError(error)

    _dummy.__name__ = _dummy.__qualname__ = func
    return _dummy
