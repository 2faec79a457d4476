"""``detectra plot``: the training plots of an output folder (losses, learning rate, evaluation metrics, PR
curves) as PNG files, with `detectra.utils.plots.plot_training`."""
from __future__ import annotations

import argparse
import os

from detectra.cli._errors import CLIError
from detectra.cli.parsers import plot_parser as build_parser
from detectra.utils.plots import plot_training

__all__ = ["build_parser", "run"]


def run(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.output_dir):
        raise CLIError(f"'{args.output_dir}' is not a folder; pass the OUTPUT_DIR of a 'detectra train' run.")
    written = plot_training(args.output_dir, args.plot_dir)
    for path in written:
        print(path)
    return 0
