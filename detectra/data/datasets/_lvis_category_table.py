"""Reads the text tables (``lvis_v0_5_categories.txt``, ``lvis_v1_categories.txt``, shipped next to this file) that
``lvis_v0_5_categories`` and ``lvis_v1_categories`` load their categories from.

A table line is ``id | frequency | synset | name | synonyms | def`` with the synonyms separated by ", "; a table
is far smaller and easier to diff than the same data as Python dict literals.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

__all__ = ["parse_lvis_category_table", "read_lvis_category_table"]


def parse_lvis_category_table(table: str) -> list[dict[str, Any]]:
    """Parse a category table into LVIS category dicts.

    Args:
        table: one category a line, ``id | frequency | synset | name | synonym, synonym | definition``; blank
            lines are skipped.

    Returns:
        list[dict]: ``{"id", "name", "synonyms", "synset", "def", "frequency"}`` per line, in table order.
    """
    categories = []
    for line in table.strip().splitlines():
        cat_id, frequency, synset, name, synonyms, definition = line.split(" | ")
        categories.append(
            {
                "id": int(cat_id),
                "name": name,
                "synonyms": synonyms.split(", "),
                "synset": synset,
                "def": definition,
                "frequency": frequency,
            }
        )
    return categories


def read_lvis_category_table(file_name: str) -> list[dict[str, Any]]:
    """Parse one of the category tables shipped in ``detectra.data.datasets``.

    Args:
        file_name: the table's file name in this package, e.g. ``"lvis_v1_categories.txt"``.

    Returns:
        list[dict]: as :func:`parse_lvis_category_table`.
    """
    table = resources.files(__package__).joinpath(file_name).read_text(encoding="utf-8")
    return parse_lvis_category_table(table)
