"""LVIS v0.5: the 1230 categories of ``lvis_v0.5_train.json`` / ``lvis_v0.5_val.json``, ids 1..1230.

``LVIS_CATEGORIES`` is the list of category dicts Detectron2 keeps for this version: the json's "categories"
without their image/instance counts, i.e. ``id``, ``name``, ``synonyms``, ``synset``, ``def`` (the WordNet
definition) and ``frequency`` ("r" rare, "c" common, "f" frequent).

LVIS v0.5's frequency groups: 454 rare, 461 common, 315 frequent.
"""
from detectra.data.datasets._lvis_category_table import read_lvis_category_table

__all__ = ["LVIS_CATEGORIES"]

# one category a line of lvis_v0_5_categories.txt: id | frequency | synset | name | synonyms (", "-separated) | def
LVIS_CATEGORIES = read_lvis_category_table("lvis_v0_5_categories.txt")
