"""``detectra eval``: evaluate trained weights on the config's test datasets (``train --eval-only``), and
write the evaluation table, the detections and annotated predictions into the output folder.

Example::

    detectra eval --run output/shapes
    detectra eval --config-file my.yaml --val-json val.json --val-images images/ MODEL.WEIGHTS model_final.pth
"""
from __future__ import annotations

import argparse
import os

from detectra.cli import train
from detectra.cli.parsers import eval_parser as build_parser
from detectra.engine import launch

__all__ = ["build_parser", "run"]


def run(args: argparse.Namespace) -> int:
    if not args.output_dir and args.run:
        args.output_dir = os.path.join(args.run, "eval")  # the run's own results stay as training wrote them
    # the train command's eval-only path, with the flags it expects
    args.eval_only, args.resume, args.no_plots = True, False, True
    args.num_machines, args.machine_rank, args.dist_url = 1, 0, "auto"

    launch(train._main_worker, args.num_gpus, dist_url="auto", args=(args,))
    return 0
