"""The ``detectra`` command: ``detectra <sub-command> [options]`` (also ``python -m detectra``).

Each sub-command has its argument parser in `detectra.cli.parsers` (no torch there) and a module of this package
with ``run(args) -> int``, which imports torch and the model code at its top; the dispatcher imports that module only
once the arguments parsed, so ``detectra --help``, ``detectra <command> --help`` and usage errors are fast. Errors a
user can make (a bad path, an unknown config key or dataset) print one line and exit with status 1; ``--debug``
(anywhere on the line) shows the traceback instead.
"""
from __future__ import annotations

import difflib
import importlib
import os
import sys
import time
from typing import Optional, Sequence

from detectra.cli._errors import describe_error
from detectra.cli._timing import process_start
from detectra.cli.parsers import PARSERS
from detectra.utils.logger import set_console_verbose

__all__ = ["COMMANDS", "main"]

# sub-command -> (module, one-line summary)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("detectra.cli.train", "train a model from a config (Detectron2's train_net.py), then evaluate"),
    "eval": ("detectra.cli.eval", "evaluate trained weights on the config's test datasets"),
    "export": ("detectra.cli.export", "export a trained model to ONNX, torch.export / AOTInductor (.pt2) or TorchScript"),
    "predict": ("detectra.cli.predict", "run a model on images, a folder or a video; annotated images + json"),
    "visualize-data": ("detectra.cli.visualize_data", "draw ground truth or augmented training batches"),
    "validate-data": ("detectra.cli.validate_data", "check datasets for problems (exit 1 if any)"),
    "benchmark": ("detectra.cli.benchmark", "time training / evaluation / data loading / inference (JSON)"),
    "analyze": ("detectra.cli.analyze", "FLOPs, parameter counts and structure of a model"),
    "plot": ("detectra.cli.plot", "plot losses, LR, metrics and PR curves of a training output folder"),
}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = ["usage: detectra [--debug] <command> [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "Run 'detectra <command> --help' for the options of a command.",
              "Example: detectra train --config-file shapes/faster_rcnn_R_18_FPN --output-dir output/shapes"]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``detectra`` command line.

    Args:
        argv: the arguments after the program name (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 1 on an error, 2 on a usage error (as argparse), 141 when the reader of
        standard output went away (``detectra --help | head``), as a shell pipeline expects.
    """
    try:
        status = _main(argv)
        sys.stdout.flush()  # inside the try: a closed pipe must not surface as a traceback at exit
        return status
    except BrokenPipeError:
        # nothing more can be written; point stdout at devnull so the interpreter's final flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # SIGPIPE


def _main(argv: Optional[Sequence[str]]) -> int:
    # the summary of train / eval counts its time from the start of the command: of this process when it is one
    started = process_start() if argv is None else time.perf_counter()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("DETECTRA_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] == "--version":
        from importlib.metadata import PackageNotFoundError, version  # ~60 ms: only --version pays it

        try:
            print(f"detectra {version('detectra')}")
        except PackageNotFoundError:
            print("detectra (not installed)")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else f" Choose one of: {', '.join(COMMANDS)}."
        print(f"detectra: error: unknown command '{name}'.{hint}", file=sys.stderr)
        return 2
    prog = f"detectra {name}"
    try:
        args = PARSERS[name](prog).parse_args(rest)
        args.debug, args._command_start = debug, started
        return int(importlib.import_module(COMMANDS[name][0]).run(args) or 0)
    except SystemExit as e:  # argparse: --help (0) and usage errors (2), already printed
        return e.code if isinstance(e.code, int) else 1
    except KeyboardInterrupt as e:  # a command may say where it stopped and how to go on
        print(f"{prog}: interrupted{' ' + str(e) if str(e) else ''}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (`detectra validate-data ... | head`): see main
        raise
    except Exception as e:  # noqa: BLE001  (the one place that turns errors into a message + exit status)
        if debug:
            raise
        print(f"{prog}: error: {describe_error(e)}", file=sys.stderr)
        return 1
    finally:
        set_console_verbose(True)  # the library's default again, for code that runs after main() in this process
