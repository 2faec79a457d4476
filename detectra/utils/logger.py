"""Logging setup (rank-aware, per-rank log files, colour on terminals, tqdm-safe), rate-limited logging
helpers and small text tables."""

from __future__ import annotations

import atexit
import functools
import logging
import os
import sys
import time
from collections import Counter
from typing import Any, Iterable, Sequence

__all__ = [
    "VERBOSE_ONLY",
    "create_small_table",
    "create_table",
    "log_every_n",
    "log_every_n_seconds",
    "log_first_n",
    "set_console_verbose",
    "setup_logger",
]

_ANSI = {"red": "\x1b[31m", "green": "\x1b[32m", "reset": "\x1b[0m", "blink_red": "\x1b[5;31m"}


# Pass as ``extra=VERBOSE_ONLY`` for long dumps (environment table, full config, model printout): log files always
# get them, the console only while `set_console_verbose(True)` (the default; the `detectra` command turns it off).
VERBOSE_ONLY = {"verbose_only": True}
_CONSOLE = {"verbose": True}


def set_console_verbose(verbose: bool) -> None:
    """Show (True) or hide (False) records logged with ``extra=VERBOSE_ONLY`` on the console."""
    _CONSOLE["verbose"] = bool(verbose)


class _ConsoleFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _CONSOLE["verbose"] or not getattr(record, "verbose_only", False)


class _ColorfulFormatter(logging.Formatter):
    """Green logger name; WARNING / ERROR prefixes in red so they stand out on a terminal."""

    def __init__(self, *args: Any, root_name: str, abbrev_name: str, **kwargs: Any) -> None:
        self._root_name = root_name + "."
        self._abbrev_name = abbrev_name + "." if abbrev_name else ""
        super().__init__(*args, **kwargs)

    def formatMessage(self, record: logging.LogRecord) -> str:
        if self._root_name != self._abbrev_name:
            # a copy: the same record goes on to the log file's handler, which must keep the full name
            record = logging.makeLogRecord(record.__dict__)
            record.name = record.name.replace(self._root_name, self._abbrev_name, 1)
        log = super().formatMessage(record)
        if record.levelno == logging.WARNING:
            prefix = f"{_ANSI['red']}WARNING{_ANSI['reset']}"
        elif record.levelno in (logging.ERROR, logging.CRITICAL):
            prefix = f"{_ANSI['blink_red']}ERROR{_ANSI['reset']}"
        else:
            return log
        return prefix + " " + log


class _TqdmStreamHandler(logging.StreamHandler):
    """Print records with ``tqdm.write`` so an active progress bar is redrawn below them, not garbled.

    It writes to whatever ``sys.stdout`` is when a record comes, not the one it was made with: `setup_logger` is
    cached, and a redirect (``contextlib.redirect_stdout``, pytest's capture) may have closed that one since.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stdout

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
            self.flush()
        except Exception:  # logging must never crash the program
            self.handleError(record)


def _is_terminal(stream: Any) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


@functools.lru_cache  # so that calling setup_logger multiple times won't add many handlers
def setup_logger(
    output: str | None = None,
    distributed_rank: int = 0,
    *,
    color: bool = True,
    name: str = "detectra",
    abbrev_name: str | None = None,
    enable_propagation: bool = False,
    configure_stdout: bool = True,
) -> logging.Logger:
    """Configure logger ``name``: a console handler on rank 0 and a log file per rank.

    Args:
        output: a file name ending in ``.txt`` / ``.log``, or a directory (the file is ``output/log.txt``);
            ranks other than 0 write to ``<file>.rank<r>``. None: no file.
        distributed_rank: rank of this process; only rank 0 logs to the console.
        color: colour the console output (only when stdout is a terminal).
        name: the root logger name to configure.
        abbrev_name: short form of ``name`` in console lines; default ``name`` itself, so the console and the log
            file name loggers alike.
        enable_propagation: also pass records to parent loggers.
        configure_stdout: add the console handler.

    Returns:
        the configured `logging.Logger`.
    """
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    logger.propagate = enable_propagation
    if abbrev_name is None:
        abbrev_name = name

    plain_formatter = logging.Formatter(
        "[%(asctime)s] %(name)s %(levelname)s: %(message)s", datefmt="%m/%d %H:%M:%S"
    )
    if configure_stdout and distributed_rank == 0:
        handler = _TqdmStreamHandler()
        handler.setLevel(logging.DEBUG)
        handler.addFilter(_ConsoleFilter())
        if color and _is_terminal(sys.stdout):
            formatter: logging.Formatter = _ColorfulFormatter(
                f"{_ANSI['green']}[%(asctime)s %(name)s]: {_ANSI['reset']}%(message)s",
                datefmt="%m/%d %H:%M:%S",
                root_name=name,
                abbrev_name=str(abbrev_name),
            )
        else:
            formatter = plain_formatter
        handler.setFormatter(formatter)
        logger.addHandler(handler)

    if output is not None:
        if output.endswith(".txt") or output.endswith(".log"):
            filename = output
        else:
            filename = os.path.join(output, "log.txt")
        if distributed_rank > 0:
            filename = filename + f".rank{distributed_rank}"
        os.makedirs(os.path.dirname(os.path.abspath(filename)), exist_ok=True)
        fh = logging.StreamHandler(_cached_log_stream(filename))
        fh.setLevel(logging.DEBUG)
        fh.setFormatter(plain_formatter)
        logger.addHandler(fh)
    return logger


# Cache the opened file so every setup_logger call with the same file name shares one stream.
@functools.lru_cache(maxsize=None)
def _cached_log_stream(filename: str):
    io = open(filename, "a", buffering=1)  # line-buffered: a killed run keeps its last lines
    atexit.register(io.close)
    return io


# ---------------------------------------------------------------------------------------------
# Rate-limited logging. The "caller" (module, file, line) identifies a logging call site.


def _find_caller() -> tuple[str, tuple[str, int, str]]:
    """(module name, (file, line, function)) of the first frame outside this file."""
    frame = sys._getframe(2)
    this_file = os.path.normcase(__file__)
    while frame:
        code = frame.f_code
        if os.path.normcase(code.co_filename) != this_file:
            mod_name = frame.f_globals.get("__name__", "__main__")
            if mod_name == "__main__":
                mod_name = "detectra"
            return mod_name, (code.co_filename, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return "detectra", ("", 0, "")


_LOG_COUNTER: Counter = Counter()
_LOG_TIMER: dict[Any, float] = {}


def log_first_n(
    lvl: int, msg: str, n: int = 1, *, name: str | None = None, key: str | Sequence[str] = "caller"
) -> None:
    """Log ``msg`` only the first ``n`` times for a key.

    Args:
        lvl: logging level.
        msg: the message.
        n: how many times to log.
        name: logger name; default: the caller's module.
        key: what makes two calls "the same": "caller" (call site), "message", or both as a tuple.
    """
    if isinstance(key, str):
        key = (key,)
    if not key or any(k not in ("caller", "message") for k in key):
        raise ValueError(f"log_first_n: key must be 'caller', 'message' or both, got {key!r}")
    caller_module, caller_key = _find_caller()
    hash_key: tuple = ()
    if "caller" in key:
        hash_key = hash_key + caller_key
    if "message" in key:
        hash_key = hash_key + (msg,)
    _LOG_COUNTER[hash_key] += 1
    if _LOG_COUNTER[hash_key] <= n:
        logging.getLogger(name or caller_module).log(lvl, msg)


def log_every_n(lvl: int, msg: str, n: int = 1, *, name: str | None = None) -> None:
    """Log ``msg`` on the 1st, (n+1)-th, (2n+1)-th, ... call from the same call site."""
    caller_module, key = _find_caller()
    _LOG_COUNTER[key] += 1
    if n == 1 or _LOG_COUNTER[key] % n == 1:
        logging.getLogger(name or caller_module).log(lvl, msg)


def log_every_n_seconds(lvl: int, msg: str, n: float = 1, *, name: str | None = None) -> None:
    """Log ``msg`` at most once every ``n`` seconds from the same call site."""
    caller_module, key = _find_caller()
    last_logged = _LOG_TIMER.get(key)
    current_time = time.time()
    if last_logged is None or current_time - last_logged >= n:
        logging.getLogger(name or caller_module).log(lvl, msg)
        _LOG_TIMER[key] = current_time


# ---------------------------------------------------------------------------------------------
# Text tables (a small replacement for `tabulate`, which is not a dependency).


def _cell(value: Any, floatfmt: str) -> str:
    if isinstance(value, float):
        return format(value, floatfmt)
    return str(value)


def create_table(
    rows: Iterable[Sequence[Any]], headers: Sequence[str] | None = None, *, floatfmt: str = ".3f"
) -> str:
    """Format rows as a pipe table (like ``tabulate(..., tablefmt="pipe")``).

    Args:
        rows: rows of cells; floats are formatted with ``floatfmt``, other cells with ``str``.
        headers: column titles, or None for no header row.
        floatfmt: format spec for float cells.

    Returns:
        the table as multi-line text. Numeric columns are right-aligned, others left-aligned.
    """
    rows = [list(r) for r in rows]
    ncols = max([len(r) for r in rows] + [len(headers or [])])
    raw_rows = [r + [""] * (ncols - len(r)) for r in rows]
    numeric = [
        all(isinstance(r[c], (int, float)) and not isinstance(r[c], bool) for r in raw_rows if r[c] != "")
        and any(r[c] != "" for r in raw_rows)
        for c in range(ncols)
    ]
    text_rows = [[_cell(v, floatfmt) for v in r] for r in raw_rows]
    head = list(headers) + [""] * (ncols - len(headers)) if headers else None
    widths = [max([len(r[c]) for r in text_rows] + [len(head[c]) if head else 0]) for c in range(ncols)]

    def _line(cells: Sequence[str]) -> str:
        parts = [cells[c].rjust(widths[c]) if numeric[c] else cells[c].ljust(widths[c]) for c in range(ncols)]
        return "| " + " | ".join(parts) + " |"

    lines = []
    if head:
        lines.append(_line(head))
        # The alignment row marks right-aligned (numeric) columns with a trailing ":".
        rule = [("-" * (w + 1) + ":") if n else (":" + "-" * (w + 1)) for w, n in zip(widths, numeric)]
        lines.append("|" + "|".join(rule) + "|")
    lines.extend(_line(r) for r in text_rows)
    return "\n".join(lines)


def create_small_table(small_dict: dict[str, Any]) -> str:
    """A one-row table with the dict's keys as headers, e.g. for COCO AP numbers.

    Args:
        small_dict: name -> value; float values are shown with 3 decimals.

    Returns:
        the table as multi-line text.
    """
    keys, values = tuple(small_dict.keys()), tuple(small_dict.values())
    return create_table([values], headers=keys, floatfmt=".3f")
