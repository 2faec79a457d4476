"""A tiny generated shapes dataset (COCO json + images) for the CLI tests."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_shapes(tmp_path_factory) -> dict[str, Path]:
    """train (6 images) and val (3 images) splits of the shapes dataset, 96-128 px."""
    from detectra.data.datasets.shapes import generate_shapes

    root = tmp_path_factory.mktemp("tiny_shapes")
    out = {}
    for split, n, seed in (("train", 6, 11), ("val", 3, 12)):
        paths = generate_shapes(str(root / split), n, image_size=(96, 128), seed=seed)
        out[f"{split}_json"] = Path(paths["json_file"])
        out[f"{split}_images"] = Path(paths["image_root"])
    return out
