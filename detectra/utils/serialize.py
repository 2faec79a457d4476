"""``PicklableWrapper``: make closures and lambdas picklable (with cloudpickle) for data-loader workers."""
from __future__ import annotations

import pickle
from typing import Any

__all__ = ["PicklableWrapper"]


def _dumps(obj: Any) -> bytes:
    try:
        import cloudpickle
    except ImportError:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return cloudpickle.dumps(obj)


class PicklableWrapper:
    """Wraps an object (typically a function) so that pickling it works for lambdas and closures too.

    With cloudpickle installed the object is serialised by value; without it, plain pickle is used (which handles
    module-level functions and classes). The wrapper forwards calls and attribute reads to the object.
    """

    def __init__(self, obj: Any) -> None:
        while isinstance(obj, PicklableWrapper):
            obj = obj._obj  # no nested wrappers
        self._obj = obj

    def __reduce__(self) -> tuple:
        return pickle.loads, (_dumps(self._obj),)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._obj(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr == "_obj":  # not set yet (during unpickling of a subclass): avoid infinite recursion
            raise AttributeError(attr)
        return getattr(self._obj, attr)
