"""``PicklableWrapper``: make closures and lambdas picklable (with cloudpickle) for data-loader workers."""
from __future__ import annotations

import pickle
from typing import Any

import cloudpickle

__all__ = ["PicklableWrapper"]


class PicklableWrapper:
    """Wraps an object (typically a function) so that pickling it works for lambdas and closures too.

    The object is serialised by value with cloudpickle (a dependency, as in Detectron2), so lambdas and closures
    reach data-loader workers. The wrapper forwards calls and attribute reads to the object.
    """

    def __init__(self, obj: Any) -> None:
        while isinstance(obj, PicklableWrapper):
            obj = obj._obj  # no nested wrappers
        self._obj = obj

    def __reduce__(self) -> tuple:
        return pickle.loads, (cloudpickle.dumps(self._obj),)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._obj(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr == "_obj":  # not set yet (during unpickling of a subclass): avoid infinite recursion
            raise AttributeError(attr)
        return getattr(self._obj, attr)
