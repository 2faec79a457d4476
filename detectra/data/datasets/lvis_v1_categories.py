"""LVIS v1: the 1203 categories of ``lvis_v1_train.json`` / ``lvis_v1_val.json``, ids 1..1203.

``LVIS_CATEGORIES`` is the list of category dicts Detectron2 keeps for this version: the json's "categories"
without their image/instance counts, i.e. ``id``, ``name``, ``synonyms``, ``synset``, ``def`` (the WordNet
definition) and ``frequency`` ("r" rare, "c" common, "f" frequent).

LVIS v1's frequency groups: 337 rare, 461 common, 405 frequent (the training
image counts they follow from are in ``lvis_v1_category_image_count``).
"""
from detectra.data.datasets._lvis_category_table import read_lvis_category_table

__all__ = ["LVIS_CATEGORIES"]

# one category a line of lvis_v1_categories.txt: id | frequency | synset | name | synonyms (", "-separated) | def
LVIS_CATEGORIES = read_lvis_category_table("lvis_v1_categories.txt")
