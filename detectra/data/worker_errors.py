"""Errors raised in DataLoader worker processes, given back to the main process as they were raised.

torch re-raises a worker's error as "Caught FileNotFoundError in DataLoader worker process 0. Original
Traceback ..." followed by the worker's whole traceback, with the useful message at the very end. The loaders of
this package iterate through :func:`iterate_with_worker_errors`, which raises the worker's own error instead:
same type, its own message, nothing else.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Iterator, Optional

import torch.utils.data as torchdata

__all__ = ["original_worker_error", "iterate_with_worker_errors", "WorkerErrorsDataLoader"]

_HEADER = re.compile(r"^Caught (\w+) in DataLoader worker process \d+\.\nOriginal Traceback \(most recent call")


def original_worker_error(error: BaseException) -> Optional[BaseException]:
    """The error a worker raised, rebuilt from torch's re-raised ``error``; None when ``error`` is not one."""
    text = error.args[0] if error.args and isinstance(error.args[0], str) else ""
    header = _HEADER.match(text)
    if header is None:
        return None
    name = header.group(1)  # the worker's exception type (torch raises RuntimeError when it cannot rebuild it)
    lines = text.rstrip("\n").splitlines()
    # the exception's own lines close the traceback: "Name: message" (or "module.Name: message") at column 0
    own = re.compile(rf"^(?:[\w.]+\.)?{re.escape(name)}(?:: (.*))?$")
    for i in range(len(lines) - 1, 0, -1):
        match = own.match(lines[i])
        if match:
            message = "\n".join([match.group(1) or ""] + lines[i + 1 :]).strip()
            break
    else:
        return None
    if isinstance(error, KeyError) and message.startswith("'") and message.endswith("'"):
        message = message[1:-1]  # KeyError's str() quotes its argument
    try:
        return type(error)(message)
    except Exception:  # noqa: BLE001 (a type whose constructor takes other arguments)
        return RuntimeError(f"{name}: {message}")


def iterate_with_worker_errors(iterable: Iterable) -> Iterator[Any]:
    """Iterate ``iterable`` (a DataLoader), raising a worker's error as the worker raised it."""
    iterator = iter(iterable)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except Exception as e:
            original = original_worker_error(e)
            if original is None:
                raise
            raise original from None
        yield item


class WorkerErrorsDataLoader(torchdata.DataLoader):
    """A ``torch.utils.data.DataLoader`` whose iteration raises a worker's error as the worker raised it."""

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        return iterate_with_worker_errors(super().__iter__())
