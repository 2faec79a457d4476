"""``detectra plot``: the training plots of an output folder (losses, learning rate, evaluation metrics, PR
curves) as PNG files, with `detectra.utils.plots.plot_training`."""
from __future__ import annotations

import argparse

from detectra.cli._common import ArgumentParser
from detectra.utils.plots import plot_training


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = ArgumentParser(prog=prog, description=__doc__.split(": ", 1)[1])
    parser.add_argument("output_dir", metavar="OUTPUT_DIR", help="the output folder of a training run")
    parser.add_argument("--plot-dir", default=None, metavar="DIR", help="where to write (default OUTPUT_DIR/plots)")
    return parser


def run(args: argparse.Namespace) -> int:
    written = plot_training(args.output_dir, args.plot_dir)
    for path in written:
        print(path)
    return 0
