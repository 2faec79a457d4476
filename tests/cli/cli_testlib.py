"""Shared by the CLI tests: tiny-run overrides and the dataset shortcut's flags."""
from __future__ import annotations

from pathlib import Path

# A few iterations of a small-input R-18-FPN: enough to exercise every stage of the command, not to learn.
TINY_OPTS = [
    "INPUT.MIN_SIZE_TRAIN", "(96,)", "INPUT.MAX_SIZE_TRAIN", "128",
    "INPUT.MIN_SIZE_TEST", "96", "INPUT.MAX_SIZE_TEST", "128",
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "3", "SOLVER.WARMUP_ITERS", "1", "SOLVER.STEPS", "()",
    "DATALOADER.NUM_WORKERS", "0", "TEST.DETECTIONS_PER_IMAGE", "20", "MODEL.RPN.POST_NMS_TOPK_TEST", "50",
]  # fmt: skip


def shortcut_args(tiny: dict[str, Path]) -> list[str]:
    return ["--train-json", str(tiny["train_json"]), "--train-images", str(tiny["train_images"]),
            "--val-json", str(tiny["val_json"]), "--val-images", str(tiny["val_images"])]  # fmt: skip
