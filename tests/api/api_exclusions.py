"""Reviewed list of Detectron2 public names that detectra does not (yet) provide as real implementations.

Keys are ``"detectron2.module"`` (a whole module), ``"detectron2.module:Name"`` or
``"detectron2.module:Class.member"``, exactly as ``tests/api/test_public_api.py`` reports them. Each value is
the reason. Keep DEAD_SYSTEMS under 2 % of the names in ``shared/fixtures/d2_public_api.json``.
"""

# Names tied to dead systems: they exist in detectra and raise one clear error saying what to use instead.
# (None: detectron2.export's Caffe2 name add_export_config exists and raises; the mmdet wrapper targets mmdet 3.)
DEAD_SYSTEMS: dict[str, str] = {}

# Names detectra does not provide yet, each with the reason why (none at present).
NOT_DONE: dict[str, str] = {}

# ---------------------------------------------------------------------------------------------------------------
# PENDING: owned by other issues and merged by their helpers. TEMPORARY: the lead removes each entry when its
# implementation lands on main (the test prints the entries that exist by then).
# ---------------------------------------------------------------------------------------------------------------
PENDING: dict[str, str] = {}  # issue 11 (export) and issue 14 (backbones, FCOS) have landed
