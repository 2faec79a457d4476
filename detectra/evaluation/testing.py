"""Printing, checking and flattening evaluation results."""

from __future__ import annotations

import logging
import pprint
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["print_csv_format", "verify_results", "flatten_results_dict"]

logger = logging.getLogger(__name__)


def print_csv_format(results: Mapping[str, Any]) -> None:
    """Log `{task: {metric: value}}` as comma-separated lines that paste straight into a spreadsheet.

    Per-category metrics (names with a "-", such as "AP-person") are left out to keep the lines short.
    """
    if not isinstance(results, Mapping):
        raise TypeError(f"print_csv_format expects a dict of {{task: {{metric: value}}}}, got {type(results)}.")
    for task, res in results.items():
        if isinstance(res, Mapping):
            important = [(k, v) for k, v in res.items() if "-" not in k]
            logger.info(f"copypaste: Task: {task}")
            logger.info("copypaste: " + ",".join(k for k, _ in important))
            logger.info("copypaste: " + ",".join(f"{v:.4f}" for _, v in important))
        else:
            logger.info(f"copypaste: {task}={res}")


def verify_results(cfg: Any, results: Mapping[str, Mapping[str, float]]) -> bool:
    """Check `results` against `cfg.TEST.EXPECTED_RESULTS` and exit the process on a mismatch.

    `TEST.EXPECTED_RESULTS` is a list of `[task, metric, expected_value, tolerance]`. A missing or non-finite
    metric, or one further than `tolerance` from its expected value, fails the check: the difference is
    logged and the process exits with status 1 (as Detectron2 does, so CI jobs fail loudly).

    Returns:
        True when every expectation holds (or there are none).
    """
    expected_results = cfg.TEST.EXPECTED_RESULTS
    if not len(expected_results):
        return True
    ok = True
    for entry in expected_results:
        if len(entry) != 4:
            raise ValueError(
                f"TEST.EXPECTED_RESULTS entry {entry!r} must be [task, metric, expected_value, tolerance]."
            )
        task, metric, expected, tolerance = entry
        actual = results.get(task, {}).get(metric, None)
        if actual is None or not np.isfinite(actual) or abs(actual - expected) > tolerance:
            logger.error(f"Result check failed for {task}/{metric}: expected {expected} +- {tolerance}, got {actual}")
            ok = False
    if not ok:
        logger.error("Result verification failed!")
        logger.error("Expected Results: " + str(expected_results))
        logger.error("Actual Results: " + pprint.pformat(results))
        sys.exit(1)
    logger.info("Results verification passed.")
    return ok


def flatten_results_dict(results: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten nested dicts: `{"bbox": {"AP": 1}}` becomes `{"bbox/AP": 1}`."""
    flat: dict[str, Any] = {}
    for key, value in results.items():
        if isinstance(value, Mapping):
            for sub_key, sub_value in flatten_results_dict(value).items():
                flat[f"{key}/{sub_key}"] = sub_value
        else:
            flat[key] = value
    return flat
