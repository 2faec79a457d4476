import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("DETECTRA_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The workplace's read-only `shared/` folder (fixtures, datasets); tests skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED} (set DETECTRA_SHARED to its path)")
    return SHARED


@pytest.fixture(autouse=True)
def _detectra_logs_reach_caplog():
    """`setup_logger` (called by some tests) stops the `detectra` logger from propagating to the root logger, as
    Detectron2 does, and CLI commands raise its level; restore both so that later tests can read log records with
    `caplog`."""
    import logging

    logger = logging.getLogger("detectra")
    logger.propagate = True
    logger.setLevel(logging.NOTSET)  # the CLI's quiet mode sets WARNING, which would hide INFO records from caplog
    yield
