"""``detectra plot``: the training plots of an output folder (losses, learning rate, evaluation metrics, PR
curves) as PNG files, with `detectra.utils.plots.plot_training`."""
from __future__ import annotations

import argparse

from detectra.cli.parsers import plot_parser as build_parser
from detectra.utils.plots import plot_training

__all__ = ["build_parser", "run"]


def run(args: argparse.Namespace) -> int:
    written = plot_training(args.output_dir, args.plot_dir)
    for path in written:
        print(path)
    return 0
