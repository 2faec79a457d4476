"""Plain-text tables for evaluation logs (we do not depend on `tabulate`)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def _cell(value: Any, float_fmt: str) -> str:
    if isinstance(value, float):
        return format(value, float_fmt)
    return str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], float_fmt: str = ".3f") -> str:
    """A pipe table: `| a | b |` with a header rule; numbers right-aligned, text left-aligned."""
    cells = [[_cell(v, float_fmt) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    numeric = [all(isinstance(row[i], (int, float)) for row in rows if i < len(row)) for i in range(len(headers))]

    def _line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([_line(list(headers)), rule] + [_line(row + [""] * (len(headers) - len(row))) for row in cells])


def small_table(values: Mapping[str, float], float_fmt: str = ".3f") -> str:
    """One header row of metric names and one row of their values."""
    return format_table(list(values.keys()), [list(values.values())], float_fmt)


def pairs_table(pairs: Sequence[tuple[str, float]], key_name: str, value_name: str, columns: int = 3) -> str:
    """`(name, value)` pairs laid out `columns` pairs per row, as per-category AP tables usually are."""
    columns = max(1, min(columns, len(pairs)))
    flat: list[Any] = [x for pair in pairs for x in pair]
    rows = [flat[i : i + 2 * columns] for i in range(0, len(flat), 2 * columns)]
    return format_table([key_name, value_name] * columns, rows)
