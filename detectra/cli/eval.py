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
from detectra.cli._common import ArgumentParser, add_config_args, add_dataset_args, add_hidden_alias
from detectra.engine import launch


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = ArgumentParser(prog=prog, description="Evaluate trained weights on the config's test datasets.")
    parser.add_argument("--output-dir", default="", metavar="DIR",
                        help="where to write the results (default: RUN/eval with --run, else OUTPUT_DIR)")  # fmt: skip
    parser.add_argument("--num-vis", type=int, default=8, metavar="N", help="annotated predictions on N images")
    parser.add_argument("--threshold", type=float, default=0.5, metavar="S",
                        help="score threshold of the annotated predictions (default 0.5)")  # fmt: skip
    add_hidden_alias(parser, "--vis-threshold", "threshold", type=float, metavar="S")  # the old spelling
    parser.add_argument("--num-gpus", type=int, default=1, help="processes (one per GPU)")
    parser.add_argument("--verbose", action="store_true",
                        help="also print the environment, the full config and the model (always in log.txt)")  # fmt: skip
    parser.add_argument("--model", default="", metavar="FILE",
                        help="evaluate an exported model (.onnx / .pt2 / .ts from 'detectra export') on the "
                             "config's test datasets instead of MODEL.WEIGHTS")  # fmt: skip
    add_dataset_args(parser, train=False)
    add_config_args(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    if not args.output_dir and args.run:
        args.output_dir = os.path.join(args.run, "eval")  # the run's own results stay as training wrote them
    # the train command's eval-only path, with the flags it expects
    args.eval_only, args.resume, args.no_plots = True, False, True
    args.num_machines, args.machine_rank, args.dist_url = 1, 0, "auto"

    launch(train._main_worker, args.num_gpus, dist_url="auto", args=(args,))
    return 0
