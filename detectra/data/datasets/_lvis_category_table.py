"""Reads the text tables that ``lvis_v0_5_categories`` and ``lvis_v1_categories`` keep their categories in.

A table line is ``id | frequency | synset | name | synonyms | def`` with the synonyms separated by ", "; a table
is far smaller and easier to diff than the same data as Python dict literals.
"""
from __future__ import annotations

from typing import Any

__all__ = ["parse_lvis_category_table"]


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
