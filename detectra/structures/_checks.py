"""Argument checks shared by the structures."""
from typing import Sequence


def check_cat_list(items: Sequence, cls: type) -> None:
    """Raise unless ``items`` is a non-empty list or tuple of ``cls`` instances, what ``cls.cat`` concatenates."""
    name = cls.__name__
    if not isinstance(items, (list, tuple)) or len(items) == 0:
        raise ValueError(f"{name}.cat expects a non-empty list of {name}.")
    if not all(isinstance(x, cls) for x in items):
        raise TypeError(f"{name}.cat: every element must be a {name}.")
