"""Reviewed list of Detectron2 public names that detectra does not (yet) provide as real implementations.

Keys are ``"detectron2.module"`` (a whole module), ``"detectron2.module:Name"`` or
``"detectron2.module:Class.member"``, exactly as ``tests/api/test_public_api.py`` reports them. Each value is
the reason. Keep DEAD_SYSTEMS under 2 % of the names in ``shared/fixtures/d2_public_api.json``.
"""

# Names tied to dead systems: they exist in detectra and raise one clear error saying what to use instead.
# (None so far: the checklist has no Caffe2-only names, and the mmdet wrapper targets mmdet 3.)
DEAD_SYSTEMS: dict[str, str] = {}

# NOT DONE (issue 10): the LVIS category tables (1230 / 1203 entries of id, name, synonyms, synset, definition,
# frequency) are not transcribed yet. detectra reads LVIS categories from the dataset json itself (load_lvis_json
# sets thing_classes); lvis_v1_category_image_count is provided.
_LVIS_TABLES = "not done: LVIS category table not transcribed; categories come from the LVIS json (load_lvis_json)"
NOT_DONE: dict[str, str] = {
    "detectron2.data.datasets.lvis_v0_5_categories": _LVIS_TABLES,
    "detectron2.data.datasets.lvis_v1_categories": _LVIS_TABLES,
    "detectron2.data.datasets:lvis_v0_5_categories": _LVIS_TABLES,
    "detectron2.data.datasets:lvis_v1_categories": _LVIS_TABLES,
}

# ---------------------------------------------------------------------------------------------------------------
# PENDING: owned by other issues and merged by their helpers. TEMPORARY: the lead removes each entry when its
# implementation lands on main (the test prints the entries that exist by then).
# ---------------------------------------------------------------------------------------------------------------
PENDING: dict[str, str] = {}  # issue 11 (export) and issue 14 (backbones, FCOS) have landed
