"""The command line's error type and its one-line description: all that ``detectra --help`` imports besides the
command table, so that it answers at once (the sub-commands import torch and the model code)."""
from __future__ import annotations

__all__ = ["CLIError", "describe_error"]


class CLIError(Exception):
    """A mistake in the command line or its inputs; printed as one line, without a traceback."""


def describe_error(e: BaseException) -> str:
    """One line for an exception: its message, plus a hint for errors we did not expect."""
    msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
    msg = " ".join(str(msg).split()) or type(e).__name__  # keep it on one line
    expected = (CLIError, OSError, KeyError, ValueError, TypeError, RuntimeError, ImportError, NotImplementedError)
    if isinstance(e, CLIError):
        return msg
    if isinstance(e, expected):
        return f"{msg} ({type(e).__name__}; rerun with --debug for the traceback)"
    return f"unexpected {type(e).__name__}: {msg} (rerun with --debug for the traceback)"
