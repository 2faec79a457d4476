"""The sub-commands' options: one argument parser per command of ``detectra``, each built without importing torch
or the model code, so that ``detectra <command> --help`` and usage errors answer at once. The dispatcher
(`detectra.cli.main`) parses with these and imports the command's module (torch and all) only to run it."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = [
    "PARSERS",
    "ArgumentParser",
    "add_config_args",
    "add_dataset_args",
    "add_format_args",
    "add_hidden_alias",
    "add_output_dir_arg",
    "default_argument_parser",
]

ANALYZE_TASKS = ("flop", "parameter", "structure")
BENCHMARK_TASKS = ("train", "eval", "data", "inference")
EXPORT_FORMATS = {
    "onnx": ("onnx", ".onnx"),
    "onnx-dynamo": ("onnx-dynamo", ".onnx"),
    "torch-export": ("torch-export", ".pt2"),
    "aoti": ("aoti", ".pt2"),
    "torchscript": ("torchscript", ".ts"),
}

# command-line precision name -> detectra.export's
EXPORT_PRECISIONS = {"fp32": "float32", "bf16": "bfloat16"}

# what the help of predict, export and plot says first (also the first paragraph of each command module's docstring)
_PREDICT_DESCRIPTION = """run a trained model on images, folders of images, or video files; write annotated
images and the detections as a COCO-format json (``predictions.json``: images, annotations with "score",
categories)."""
_EXPORT_DESCRIPTION = """write a trained model as ONNX, a torch.export program (``.pt2``), an AOTInductor package or a
traced TorchScript module, with a ``<output>.json`` sidecar (class names, input format, pixel mean / std, resize rule,
output layout)."""
_PLOT_DESCRIPTION = """the training plots of an output folder (losses, learning rate, evaluation metrics, PR
curves) as PNG files, with `detectra.utils.plots.plot_training`."""

TRAIN_EPILOG = """examples:
  detectra train --config-file shapes/faster_rcnn_R_18_FPN --output-dir output/shapes
  detectra train --config-file my.yaml --num-gpus 8 SOLVER.BASE_LR 0.02
  detectra train --config-file shapes/faster_rcnn_R_18_FPN \\
      --train-json data/train.json --train-images data/images --val-json data/val.json --val-images data/images
  detectra train --config-file COCO-Detection/faster_rcnn_R_50_FPN_1x --train-json data/train.json \\
      --train-images data/images MODEL.WEIGHTS "" MODEL.BACKBONE.FREEZE_AT 0 MODEL.RESNETS.NORM BN MODEL.FPN.NORM BN
  detectra train --config-file output/shapes/config.yaml --eval-only MODEL.WEIGHTS output/shapes/model_final.pth
"""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line usage errors."""

    # Positionals may come between options (`predict a.jpg --run R b.jpg MODEL.X 1`); for parsers without the
    # REMAINDER overrides, which then arrive among the positionals (see split_trailing_overrides).
    intermixed: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        if self.intermixed:
            return super().parse_intermixed_args(args, namespace)
        ns = super().parse_args(args, namespace)
        # Options written after the first KEY VALUE override land in `opts` (argparse.REMAINDER): parse them.
        head: list[str] = []
        while getattr(ns, "opts", None):
            # a short flag (-o) counts only when it is one of this parser's: "-1" is a config value
            flags = [i for i, t in enumerate(ns.opts)
                     if (t.startswith("--") and len(t) > 2) or t in self._option_string_actions]  # fmt: skip
            if not flags:
                break
            head += ns.opts[: flags[0]]
            ns = super().parse_args(ns.opts[flags[0] :], ns)
        if head:
            ns.opts = head + list(ns.opts or [])
        return ns

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def add_config_args(parser: argparse.ArgumentParser, *, opts: bool = True, lazy: bool = False) -> None:
    """--config-file, --run and the trailing KEY VALUE overrides; ``lazy``: the command also takes a LazyConfig."""
    kinds = "YAML or LazyConfig .py file" if lazy else "YAML file (LazyConfig .py files: train and eval only)"
    parser.add_argument("--config-file", default="", metavar="FILE",
                        help=f"{kinds}, or a model-zoo name such as shapes/faster_rcnn_R_18_FPN or "
                             "COCO-Detection/faster_rcnn_R_50_FPN_1x")  # fmt: skip
    parser.add_argument("--run", default="", metavar="DIR",
                        help="output folder of a 'detectra train' run: its config.yaml, model_final.pth and "
                             "datasets (instead of --config-file / MODEL.WEIGHTS)")  # fmt: skip
    if opts:
        parser.add_argument("opts", nargs=argparse.REMAINDER, default=[],
                            help="config overrides as KEY VALUE pairs, e.g. INPUT.MIN_SIZE_TEST 600")  # fmt: skip


def add_dataset_args(parser: argparse.ArgumentParser, *, train: bool = True, dataset_help: str = "") -> None:
    """The shortcut that registers one's own COCO-format json + image folder for this run."""
    group = parser.add_argument_group(
        "own COCO dataset", "register COCO-format datasets for this run (no Python needed); NUM_CLASSES follows "
        "the json's categories")  # fmt: skip

    if train:
        group.add_argument("--train-json", default="", metavar="FILE", help="COCO instances json for training")
        group.add_argument("--train-images", default="", metavar="DIR", help="image folder of --train-json")
    group.add_argument("--val-json", default="", metavar="FILE", help="COCO instances json for evaluation")
    group.add_argument("--val-images", default="", metavar="DIR", help="image folder of --val-json")
    group.add_argument("--dataset-name", default=None, metavar="NAME",
                       help=dataset_help or "registered as NAME_train / NAME_val (default: custom)")  # fmt: skip
    add_format_args(group, train=train)


def add_hidden_alias(parser: argparse.ArgumentParser, flag: str, dest: str, **kwargs: Any) -> None:
    """An old spelling of an option, still accepted but not shown by --help."""
    parser.add_argument(flag, dest=dest, help=argparse.SUPPRESS, **kwargs)


def add_output_dir_arg(parser: argparse.ArgumentParser, help: str) -> None:
    """``--output-dir DIR`` (``-o DIR``; ``--output`` is the old spelling), stored as ``args.output``."""
    parser.add_argument("--output-dir", "-o", dest="output", default="", metavar="DIR", help=help)
    add_hidden_alias(parser, "--output", "output", default="", metavar="DIR")


def add_format_args(group: Any, *, train: bool) -> None:
    """--train-voc / --val-voc, --voc-split / --val-voc-split, --yolo-data, --train-via / --val-via."""
    if train:
        group.add_argument("--train-voc", default="", metavar="DIR",
                           help="Pascal VOC folder (Annotations/, ImageSets/Main/, JPEGImages/) for "
                                "training")  # fmt: skip
        group.add_argument("--voc-split", default="train", metavar="SPLIT", help="split of --train-voc (train)")
        group.add_argument("--train-via", default="", metavar="FILE",
                           help="VGG Image Annotator json for training (images: its folder, or "
                                "--train-images)")  # fmt: skip
    group.add_argument("--val-voc", default="", metavar="DIR", help="Pascal VOC folder for evaluation")
    group.add_argument("--val-voc-split", default="val", metavar="SPLIT", help="split of --val-voc (val)")
    group.add_argument("--val-via", default="", metavar="FILE", help="VGG Image Annotator json for evaluation")
    group.add_argument("--yolo-data", default="", metavar="YAML",
                       help="a YOLO data.yaml: its train (with 'train' here) and val splits")  # fmt: skip


def default_argument_parser(epilog: str | None = None) -> argparse.ArgumentParser:
    """The command line of Detectron2's training scripts: --config-file, --resume, --eval-only, --num-gpus,
    --num-machines, --machine-rank, --dist-url, then trailing ``KEY VALUE`` config overrides (``opts``)."""
    parser = argparse.ArgumentParser(
        epilog=epilog
        or f"""
Examples:
  train on the 8 GPUs of this machine:
    $ {sys.argv[0]} --num-gpus 8 --config-file cfg.yaml
  override config values after the flags:
    $ {sys.argv[0]} --config-file cfg.yaml MODEL.WEIGHTS /path/to/weights.pth SOLVER.BASE_LR 0.001
  train on two machines (run one command on each):
    $ {sys.argv[0]} --machine-rank 0 --num-machines 2 --dist-url <URL> [other flags]
    $ {sys.argv[0]} --machine-rank 1 --num-machines 2 --dist-url <URL> [other flags]
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config-file", default="", metavar="FILE", help="the YAML or LazyConfig (.py) config")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the last checkpoint in OUTPUT_DIR (weights, optimizer, scheduler, iteration) if there "
        "is one; without it, start from MODEL.WEIGHTS",
    )
    parser.add_argument("--eval-only", action="store_true", help="load the weights and evaluate; no training")
    parser.add_argument("--num-gpus", type=int, default=1, help="processes (GPUs) to start on this machine")
    parser.add_argument("--num-machines", type=int, default=1, help="machines taking part in the run")
    parser.add_argument("--machine-rank", type=int, default=0, help="this machine's index, 0 .. num-machines - 1")
    # Two users training on one machine get different default ports: the port is derived from the user id.
    port = 2**15 + 2**14 + hash(os.getuid() if sys.platform != "win32" else 1) % 2**14
    parser.add_argument(
        "--dist-url",
        default=f"tcp://127.0.0.1:{port}",
        help="where the processes meet to set up torch.distributed, e.g. tcp://host:port ('auto': a free local port)",
    )
    parser.add_argument(
        "opts",
        help="Modify config options at the end of the command, as space-separated 'PATH.KEY VALUE' pairs.",
        default=None,
        nargs=argparse.REMAINDER,
    )
    return parser


def logger_names(text: str) -> list[str]:
    """``--logger wandb,mlflow`` as a list of names; an unknown name is a usage error."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ("wandb", "mlflow")]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown logger '{','.join(unknown) or text}' (choose wandb, mlflow)")
    return names


def analyze_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra analyze``."""
    parser = ArgumentParser(prog=prog, description="FLOPs, parameter counts and structure of a model.")
    parser.add_argument("--tasks", nargs="+", choices=ANALYZE_TASKS, default=["flop", "parameter"], help="what to report")
    parser.add_argument("--num-inputs", type=int, default=2, metavar="N",
                        help="flop: average over N test images (default 2; else a blank image)")  # fmt: skip
    parser.add_argument("--depth", type=int, default=2,
                        help="module depth of the parameter and FLOP tables: 0 = the whole model, 1 = its children "
                             "(backbone, proposal_generator, roi_heads), ... (default 2)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    add_config_args(parser)
    return parser


def benchmark_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra benchmark``."""
    parser = ArgumentParser(prog=prog, description="Time training / evaluation / data loading / inference.")
    parser.add_argument("--task", choices=BENCHMARK_TASKS, default="train", help="what to time (default train)")
    parser.add_argument("--iters", type=int, default=20, help="timed iterations (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations first (default 3)")
    parser.add_argument("--max-images", type=int, default=0, metavar="N", help="eval: only the first N images")
    parser.add_argument("--output", default="", metavar="FILE", help="also write the JSON record here")
    add_dataset_args(parser)
    add_config_args(parser)
    return parser


def eval_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra eval``."""
    parser = ArgumentParser(prog=prog, description="Evaluate trained weights on the config's test datasets.")
    parser.add_argument("--output-dir", "-o", default="", metavar="DIR",
                        help="where to write the results (default: RUN/eval with --run, else OUTPUT_DIR)")  # fmt: skip
    parser.add_argument("--num-vis", type=int, default=8, metavar="N",
                        help="annotated predictions on the first N test images (default 8; 0 = none)")  # fmt: skip
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
    add_config_args(parser, lazy=True)
    return parser


def export_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra export``."""
    parser = ArgumentParser(prog=prog, description=_EXPORT_DESCRIPTION,
                            epilog="Trailing KEY VALUE pairs override the config, e.g. MODEL.WEIGHTS m.pth.")
    parser.add_argument("--format", required=True, choices=list(EXPORT_FORMATS),
                        help="onnx (TorchScript-based exporter, opset 17), onnx-dynamo (torch.export-based, opset "
                             "18), torch-export (ExportedProgram .pt2), aoti (that program compiled by AOTInductor "
                             "for the CPU: a .pt2 package, minutes to build, needs a C++ compiler) or torchscript "
                             "(traced)")  # fmt: skip
    parser.add_argument("--output", "-o", required=True, metavar="PATH", help="the file to write")
    parser.add_argument("--dynamic", action="store_true",
                        help="let the image height / width vary (traced TorchScript always does)")  # fmt: skip
    parser.add_argument("--precision", choices=list(EXPORT_PRECISIONS), default="fp32",
                        help="compute dtype of the exported graph: fp32, or bf16 (CPU bfloat16 autocast's casts, "
                             "as TEST.PRECISION bfloat16; outputs stay float32) for torch-export, aoti and "
                             "torchscript")  # fmt: skip
    parser.add_argument("--image", default="", metavar="FILE",
                        help="example image to export with (default: a synthetic image of the test size)")  # fmt: skip
    parser.add_argument("--verbose", action="store_true", help="log at INFO level")
    add_config_args(parser)
    return parser


def plot_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra plot``."""
    parser = ArgumentParser(prog=prog, description=_PLOT_DESCRIPTION)
    parser.add_argument("output_dir", metavar="OUTPUT_DIR", help="the output folder of a training run")
    parser.add_argument("--plot-dir", default=None, metavar="DIR", help="where to write (default OUTPUT_DIR/plots)")
    return parser


def predict_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra predict``."""
    parser = ArgumentParser(prog=prog, description=_PREDICT_DESCRIPTION,
                            epilog="Trailing KEY VALUE pairs override the config, e.g. MODEL.DEVICE cpu.")  # fmt: skip
    parser.intermixed = True
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders of images, video files")
    add_output_dir_arg(parser, "where to write the results")
    parser.add_argument("--threshold", type=float, default=0.5, metavar="S",
                        help="score threshold of the drawn detections (default 0.5; predictions.json keeps them "
                             "all)")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=4,
                        help="images read per step; images of one size share a model call (default 4)")
    parser.add_argument("--video-stride", type=int, default=1, metavar="K",
                        help="use every K-th video frame (default 1: all)")  # fmt: skip
    parser.add_argument("--max-frames", type=int, default=0, metavar="N",
                        help="at most N frames per video (default 0: no limit)")  # fmt: skip
    parser.add_argument("--track", metavar="TRACKER", default=None,
                        help="give video detections IDs kept across frames (\"track_id\" in predictions.json) with "
                             "this tracker: BBoxIOUTracker, VanillaHungarianBBoxIOUTracker or "
                             "IOUWeightedHungarianBBoxIOUTracker")  # fmt: skip
    parser.add_argument("--no-images", action="store_true", help="write only predictions.json")
    parser.add_argument("--verbose", action="store_true", help="log at INFO level")
    parser.add_argument("--precision", choices=["float32", "bfloat16", "float16"], default=None,
                        help="compute dtype (TEST.PRECISION; default: the config's, float32)")  # fmt: skip
    parser.add_argument("--model", default="", metavar="FILE",
                        help="run an exported model (.onnx / .pt2 / .ts from 'detectra export') instead of a "
                             "config + weights")  # fmt: skip
    add_config_args(parser, opts=False)
    # the old spelling of the trailing overrides
    parser.add_argument("--opts", nargs="*", default=[], metavar="KEY VALUE", help=argparse.SUPPRESS)
    return parser


def validate_data_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra validate-data``."""
    parser = ArgumentParser(prog=prog, description="Check datasets for problems; exit status 1 if any.")
    parser.add_argument("--json", default="", metavar="FILE", help="a COCO json to check (with --images)")
    parser.add_argument("--images", default="", metavar="DIR", help="image folder of --json")
    add_hidden_alias(parser, "--dataset", "dataset", action="append", default=[], metavar="NAME")  # old spelling
    parser.add_argument("--no-decode", action="store_true", help="only check image headers (faster)")
    add_dataset_args(parser, dataset_help="a registered dataset to check; with --train-json / --val-json, the name "
                                          "to register them under (NAME_train / NAME_val)")  # fmt: skip
    add_config_args(parser)
    return parser


def visualize_data_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra visualize-data``."""
    parser = ArgumentParser(prog=prog, description="Draw ground truth or augmented training batches.")
    parser.add_argument("--source", choices=["annotation", "dataloader"], default="annotation",
                        help="annotation: the dataset's ground truth; dataloader: training inputs after "
                             "augmentation (default annotation)")  # fmt: skip
    add_output_dir_arg(parser, "where to write the images")
    parser.add_argument("--num", type=int, default=16, metavar="N", help="number of images (default 16)")
    add_hidden_alias(parser, "--dataset", "dataset_name", metavar="NAME")  # the old spelling
    add_dataset_args(parser, dataset_help="a registered dataset to draw (default: the one --train-json or else "
                                          "--val-json registers, else the first of DATASETS.TRAIN); with "
                                          "--train-json, the prefix to register it under (NAME_train)")  # fmt: skip
    add_config_args(parser)
    return parser


def train_parser(prog: str) -> argparse.ArgumentParser:
    """The options of ``detectra train``."""
    parser = ArgumentParser(prog=prog, parents=[default_argument_parser()], add_help=False, epilog=TRAIN_EPILOG,
                            description="Train a model from a config, evaluate it, and write plots and annotated "
                                        "predictions. --config-file also takes model-zoo names.")  # fmt: skip
    parser.add_argument("--output-dir", "-o", default="", metavar="DIR", help="OUTPUT_DIR (default: the config's)")
    parser.add_argument("--num-vis", type=int, default=8, metavar="N",
                        help="annotated predictions on the first N test images (default 8; 0 = none)")  # fmt: skip
    parser.add_argument("--threshold", type=float, default=0.5, metavar="S",
                        help="score threshold of the annotated predictions (default 0.5)")  # fmt: skip
    add_hidden_alias(parser, "--vis-threshold", "threshold", type=float, metavar="S")  # the old spelling
    parser.add_argument("--no-plots", action="store_true", help="do not write plots")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the run already in the output folder (its checkpoints and metrics) instead "
                             "of refusing to start")  # fmt: skip
    parser.add_argument("--strict", action="store_true",
                        help="boxes training would repair or drop (NaN, empty, outside the image) and polygons "
                             "that give no mask are errors (DATALOADER.STRICT_ANNOTATIONS True)")  # fmt: skip
    parser.add_argument("--logger", type=logger_names, action="extend", default=[], metavar="NAME[,NAME]",
                        help="also log to wandb and/or mlflow, e.g. --logger wandb,mlflow (pip install "
                             "'detectra[wandb]' / '[mlflow]'; their environment variables apply, e.g. "
                             "WANDB_MODE=offline, MLFLOW_TRACKING_URI)")  # fmt: skip
    parser.add_argument("--epochs", type=float, default=0, metavar="N",
                        help="train N passes over DATASETS.TRAIN: sets SOLVER.MAX_ITER from the number of images "
                             "and SOLVER.IMS_PER_BATCH, and scales SOLVER.STEPS with it")  # fmt: skip
    parser.add_argument("--verbose", action="store_true",
                        help="also print the environment, the full config and the model on the console (they "
                             "always go to OUTPUT_DIR/log.txt)")  # fmt: skip
    add_dataset_args(parser)
    return parser


# command -> its parser; the keys are `detectra.cli.COMMANDS`'
PARSERS = {
    "train": train_parser,
    "eval": eval_parser,
    "export": export_parser,
    "predict": predict_parser,
    "visualize-data": visualize_data_parser,
    "validate-data": validate_data_parser,
    "benchmark": benchmark_parser,
    "analyze": analyze_parser,
    "plot": plot_parser,
}
