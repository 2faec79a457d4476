"""``detectra train``: Detectron2's ``tools/train_net.py`` on `DefaultTrainer`, then evaluation, plots and
annotated predictions on a few validation images, all in OUTPUT_DIR.

Example::
    detectra train --config-file shapes/faster_rcnn_R_18_FPN --output-dir output/shapes
    detectra train --config-file shapes/faster_rcnn_R_18_FPN \\
        --train-json train.json --train-images images/ --val-json val.json --val-images images/
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import time
from typing import Any

import numpy as np
import yaml
from omegaconf import OmegaConf

from detectra.checkpoint import DetectionCheckpointer
from detectra.cli import _outputs
from detectra.cli._classes import CHECKPOINT_KEY, ClassesState, dataset_classes, write_classes_file
from detectra.cli._common import (
    CLIError,
    count,
    check_datasets,
    check_training_classes,
    check_training_data,
    load_config,
    print_kv,
    save_registered_datasets,
    weights_or_die,
)
from detectra.cli._lazy_run import lazy_dataset_names, lazy_test_predictor, with_evaluator_output
from detectra.cli._run_dir import check_output_dir, interrupted_message, load_weights_checked, stale_metrics_only
from detectra.cli._timing import RunClock
from detectra.cli.parsers import TRAIN_EPILOG as EPILOG
from detectra.cli._outputs import AnnotatedNames, build_evaluator, draw_predictions
from detectra.cli.export import check_resize_matches, exported_or_none
from detectra.cli.parsers import train_parser as build_parser
from detectra.config import CfgNode
from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data.detection_utils import read_image
from detectra.engine import DefaultTrainer, default_setup, launch
from detectra.engine.lazy_train import LazyTrainer, eval_only
from detectra.engine.predictor import DefaultPredictor
from detectra.engine.run_dir import begin_run, start_output_dir
from detectra.engine.trainer import untrained_frozen_norms_hint
from detectra.utils import comm
from detectra.utils.eval_plots import plot_gt_vs_pred_grid
from detectra.utils.experiment_loggers import MLflowWriter, WandbWriter
from detectra.utils.logger import set_console_verbose
from detectra.utils.plots import plot_training
from detectra.utils.visualizer import Visualizer

__all__ = ["EPILOG", "build_parser", "divergence_message", "epochs_to_iterations", "finish", "plots_description",
           "run", "setup"]

logger = logging.getLogger("detectra.cli")


def _trainer_class(lazy: bool, loggers: tuple[str, ...] = (), clock: RunClock | None = None):
    """`LazyTrainer` (a ``.py`` config) or `DefaultTrainer` (a yacs config), with the experiment loggers asked
    for and, for a yacs config, the evaluator of each test dataset's type; either way the evaluators write their
    detections into OUTPUT_DIR/inference, where the plots read them. Every evaluation's time adds to
    ``clock.evaluation``."""
    class Trainer(LazyTrainer if lazy else DefaultTrainer):
        def build_writers(self):
            # the trackers go first: TensorBoard's writer drops the images it exported
            return [*_tracker_writers(self.cfg, self.settings.output_dir, loggers), *super().build_writers()]

        @classmethod
        def build_evaluator(cls, cfg: Any, dataset_name: str, output_folder: str | None = None):
            return build_evaluator(cfg, dataset_name, output_folder)

        @classmethod
        def test(cls, cfg: Any, model: Any) -> Any:
            if lazy:  # the detections and PR arrays go to OUTPUT_DIR/inference, as build_evaluator's do
                cfg = with_evaluator_output(cfg, os.path.join(cfg.train.output_dir, "inference"))
            started = time.perf_counter()
            try:
                return super().test(cfg, model)
            finally:
                if clock is not None:
                    clock.evaluation += time.perf_counter() - started

    return Trainer


def _tracker_writers(cfg: Any, output_dir: str, loggers: tuple[str, ...]) -> list:
    """W&B / MLflow writers for the run: named after its output folder, with the full config."""
    if not loggers:
        return []
    if hasattr(cfg, "dump"):
        config = yaml.safe_load(cfg.dump())
    else:  # a LazyConfig: its callables and objects as text

        config = json.loads(json.dumps(OmegaConf.to_container(cfg, resolve=False), default=str))
    name = os.path.basename(os.path.abspath(output_dir))
    writers = []
    if "wandb" in loggers:
        writers.append(WandbWriter(name=name, config=config, dir=output_dir))
    if "mlflow" in loggers:
        writers.append(MLflowWriter(run_name=name, config=config))
    return writers


def setup(args: argparse.Namespace) -> Any:
    """The config of ``args`` (checked; a yacs config frozen, a ``.py`` LazyConfig as loaded), with logging and
    seeds set up; nothing is written into the output folder yet (see ``begin_run``), so a run that fails while
    loading leaves the folder as it was."""
    set_console_verbose(getattr(args, "verbose", False))
    cfg = load_config(args, allow_lazy=True)
    if _is_lazy(cfg):
        if getattr(args, "epochs", 0) or getattr(args, "strict", False):
            raise CLIError("--epochs and --strict take a YAML config; for a LazyConfig (.py) set train.max_iter=N "
                           "and the dataset's own checks instead.")  # fmt: skip
        if getattr(args, "output_dir", ""):
            cfg.train.output_dir = args.output_dir
        if args.eval_only and not cfg.train.get("init_checkpoint"):
            raise CLIError("no weights to evaluate: pass --run OUTPUT_DIR, or train.init_checkpoint=path/to/"
                           "model_final.pth")  # fmt: skip
    else:
        if getattr(args, "output_dir", ""):
            cfg.OUTPUT_DIR = args.output_dir
        if getattr(args, "strict", False):
            cfg.DATALOADER.STRICT_ANNOTATIONS = True
        check_datasets(cfg, ("TEST",) if args.eval_only else ("TRAIN", "TEST"))
        if not args.eval_only:
            check_training_classes(cfg, args)
            check_training_data(cfg, args)
        if args.eval_only:
            weights_or_die(cfg)
        elif getattr(args, "epochs", 0):
            epochs_to_iterations(cfg, args.epochs)
    check_output_dir(_output_dir(cfg), resume=args.resume, overwrite=getattr(args, "overwrite", False),
                     eval_only=args.eval_only)  # fmt: skip
    if not _is_lazy(cfg):
        cfg.freeze()
    # default_setup logs the config file's text: give it the resolved path of a model-zoo name
    setup_args = argparse.Namespace(**vars(args))
    setup_args.config_file = getattr(args, "_config_path", "")
    default_setup(cfg, setup_args, defer_files=True)
    return cfg


def _is_lazy(cfg: Any) -> bool:
    """A LazyConfig (from a ``.py`` file) rather than a yacs CfgNode."""
    return not isinstance(cfg, CfgNode)


def _output_dir(cfg: Any) -> str:
    return cfg.train.output_dir if _is_lazy(cfg) else cfg.OUTPUT_DIR


def epochs_to_iterations(cfg: Any, epochs: float) -> int:
    """Set SOLVER.MAX_ITER to ``epochs`` passes over DATASETS.TRAIN at SOLVER.IMS_PER_BATCH images per iteration,
    and scale SOLVER.STEPS (and a warmup longer than the run) with it. Returns the new MAX_ITER."""
    if epochs <= 0:
        raise CLIError(f"--epochs must be > 0, got {epochs:g}.")
    num_images = sum(len(DatasetCatalog.get(name)) for name in cfg.DATASETS.TRAIN)
    if num_images == 0:
        raise CLIError(f"--epochs: the training datasets {tuple(cfg.DATASETS.TRAIN)} have no images.")
    old = cfg.SOLVER.MAX_ITER
    new = max(1, math.ceil(epochs * num_images / cfg.SOLVER.IMS_PER_BATCH))
    cfg.SOLVER.MAX_ITER = new
    cfg.SOLVER.STEPS = tuple(max(1, round(s * new / old)) for s in cfg.SOLVER.STEPS if s < old)
    if cfg.SOLVER.WARMUP_ITERS >= new:
        cfg.SOLVER.WARMUP_ITERS = max(new // 10, 1)
    print(f"--epochs {epochs:g}: {num_images} images / {cfg.SOLVER.IMS_PER_BATCH} per batch -> "
          f"SOLVER.MAX_ITER {new}, SOLVER.STEPS {cfg.SOLVER.STEPS}")  # fmt: skip
    return new


def _main_worker(args: argparse.Namespace) -> Any:
    """Train (or with --eval-only evaluate) the config of ``args`` in this process, then `finish`. A yacs and a
    LazyConfig run take the same steps on the same `Trainer`; only where the datasets are named differs."""
    clock = RunClock(getattr(args, "_command_start", None) or time.perf_counter())
    cfg = setup(args)
    lazy = _is_lazy(cfg)
    Trainer = _trainer_class(lazy, tuple(getattr(args, "logger", ()) or ()), clock)
    if args.eval_only:
        if lazy:
            start_output_dir(cfg, save_config=False)
            results = eval_only(cfg, Trainer)
        else:
            results = _evaluate_only(cfg, args, Trainer)
    else:
        trainer = Trainer(cfg)  # loads the model, the data and (below) the weights: every check happens here
        classes = _store_classes(trainer, cfg)
        # --resume in a folder whose run stopped before its first checkpoint starts over: its old metrics go
        overwrite = getattr(args, "overwrite", False) or (args.resume and stale_metrics_only(_output_dir(cfg)))
        begin_run(trainer, cfg, resume=args.resume, overwrite=overwrite)
        if comm.is_main_process():  # what `--run` needs: the classes' names, where the datasets are
            save_registered_datasets(args, _output_dir(cfg), also=(*_datasets(cfg, "train"), *_datasets(cfg, "test")))
            write_classes_file(_output_dir(cfg), classes)
        evaluated, started = clock.evaluation, time.perf_counter()
        try:
            trainer.train()
            clock.training = time.perf_counter() - started - (clock.evaluation - evaluated)
        except FloatingPointError as e:
            if lazy:
                raise
            untrained = untrained_frozen_norms_hint(trainer.model) is not None
            raise CLIError(divergence_message(cfg, e, untrained_norms=untrained)) from e
        except KeyboardInterrupt:
            period = None if lazy else cfg.SOLVER.CHECKPOINT_PERIOD
            raise KeyboardInterrupt(interrupted_message(_output_dir(cfg), trainer.iter, period)) from None
        results = trainer.last_eval_results
        if results is None and not lazy and len(cfg.DATASETS.TEST):
            results = Trainer.test(cfg, trainer.model)
    if comm.is_main_process():
        finish(cfg, results or {}, args, clock)
    return results


def _evaluate_only(cfg: Any, args: argparse.Namespace, Trainer: type) -> Any:
    """--eval-only of a yacs config: the exported model of ``detectra eval --model``, or the config's model with
    MODEL.WEIGHTS (the folder's last checkpoint with --resume), on every test dataset."""
    model = exported_or_none(args)  # detectra eval --model
    if model is not None:
        check_resize_matches(cfg, model)
    else:
        model = Trainer.build_model(cfg)
        checkpointer = DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR)
        if args.resume and checkpointer.has_checkpoint():
            checkpointer.resume_or_load(cfg.MODEL.WEIGHTS, resume=True)
        else:
            load_weights_checked(model, cfg.MODEL.WEIGHTS, args._config_path)
    start_output_dir(cfg, save_config=False)  # the results go next to the run's files, its config stays
    return Trainer.test(cfg, model) if len(cfg.DATASETS.TEST) else {}


def _store_classes(trainer: Any, cfg: Any) -> Any:
    """Class names and the json's category ids of the training data, stored in every checkpoint; returned for
    classes.json, which is written once the run starts writing."""
    train = _datasets(cfg, "train")
    classes = dataset_classes(train[0]) if train else None
    trainer.checkpointer.checkpointables[CHECKPOINT_KEY] = ClassesState(classes)
    return classes


def divergence_message(cfg: Any, error: BaseException, untrained_norms: bool = False) -> str:
    """The likely causes of a NaN / infinite loss for this config, and what to change.

    Args:
        untrained_norms: the model's frozen norms still hold their initial statistics (what
            `untrained_frozen_norms_hint` finds in the model), so they come first among the causes.
    """
    first = str(error).splitlines()[0] if str(error) else "the loss became NaN or infinite"
    causes = []
    if untrained_norms:
        weights = "MODEL.WEIGHTS is empty" if not cfg.MODEL.WEIGHTS else "none were loaded into them"
        causes.append(
            f"frozen BatchNorm (MODEL.RESNETS.NORM {cfg.MODEL.RESNETS.NORM}) without pretrained weights "
            f"({weights}): its statistics stay at their initial values, so activations explode. Train "
            "the norms too (MODEL.RESNETS.NORM BN MODEL.FPN.NORM BN MODEL.BACKBONE.FREEZE_AT 0, or GN), or "
            "start from pretrained weights (keep the config's MODEL.WEIGHTS)")  # fmt: skip
    causes.append(f"the learning rate: SOLVER.BASE_LR {cfg.SOLVER.BASE_LR:g} for SOLVER.IMS_PER_BATCH "
                  f"{cfg.SOLVER.IMS_PER_BATCH}; try SOLVER.BASE_LR {cfg.SOLVER.BASE_LR / 4:g} or a longer "
                  f"SOLVER.WARMUP_ITERS (now {cfg.SOLVER.WARMUP_ITERS})")  # fmt: skip
    causes.append("boxes in the data that are empty or outside their image (check with 'detectra validate-data')")
    listed = "; ".join(f"({i}) {c}" for i, c in enumerate(causes, 1))
    return f"training diverged: {first.rstrip('.!')}. Likely causes: {listed}."


def finish(
    cfg: Any, results: dict, args: argparse.Namespace, clock: RunClock | None = None
) -> list[tuple[str, str]]:
    """After training or evaluation: the evaluation table, plots, annotated predictions, and a summary of
    every file written, after the command's wall time (``clock``: from its start, split into its phases).
    Returns the summary's (path, description) pairs."""
    clock = clock or RunClock(time.perf_counter())
    finishing = time.perf_counter()
    out = _output_dir(cfg)
    lazy = _is_lazy(cfg)
    items: list[tuple[str, str]] = []

    def add(name: str, what: str) -> None:
        if os.path.exists(os.path.join(out, name)):
            items.append((name, what))

    add("config.yaml", "the full config of this run")
    weights = os.path.join(out, "model_final.pth")
    add("model_final.pth", "trained weights")
    add("metrics.json", "training metrics, one json line per logged iteration")
    add("classes.json", "class names and the training json's category ids (also in the checkpoints)")
    add("datasets.json", "the datasets' jsons and image folders, for eval / predict / export --run")
    if any(f.startswith("events.out.tfevents") for f in os.listdir(out)):
        items.append(("events.out.tfevents.*", f"TensorBoard logs: tensorboard --logdir {out}"))
    add("log.txt", "the full log")
    test_sets = _datasets(cfg, "test") or (["test"] if lazy else [])
    test, train = (next(iter(_datasets(cfg, split)), None) for split in ("test", "train"))
    headline = ""
    if results:
        _outputs.write_results(results, test_sets, out)
        table = _outputs.format_results(results, test_sets)
        headline = _outputs.headline(results, test_sets)
        print("\nEvaluation results:\n" + table)
        if _outputs.nothing_detected(out):
            logger.warning(f"The model detected nothing on {test_sets[0]} (inference/coco_instances_results.json is "
                           "empty), so its AP is NaN and its PR curves lie at 0: train longer, or see "
                           "plots/losses.png (a diverging loss saturates the class scores).")  # fmt: skip
        add("eval_results.txt", f"evaluation table ({headline})" if headline else "evaluation table")
        add("eval_results.json", "evaluation results")
        add("inference", "detections on the test set (coco_instances_results.json)")
    if not args.no_plots:
        try:
            written = plot_training(out)
        except (FileNotFoundError, ValueError) as e:
            logger.warning(f"No plots: {e}")
            written = []
        written += _outputs.diagnostic_plots(test, train, out, os.path.join(out, "plots"))
    if args.num_vis > 0 and test:
        if not os.path.isfile(weights):
            weights = cfg.train.init_checkpoint if lazy else cfg.MODEL.WEIGHTS
        pairs = _visualize_test_images(cfg, weights, test, os.path.join(out, "predictions"), args.num_vis,
                                       args.threshold)  # fmt: skip
        if pairs:
            items.append(("predictions/", f"{len(pairs)} annotated {test} images (score >= {args.threshold})"))
        if pairs and not args.no_plots:
            written.append(plot_gt_vs_pred_grid(pairs[:4], os.path.join(out, "plots", "val_gt_vs_pred.jpg")))
    if not args.no_plots and written:
        items.append(("plots/", plots_description(written)))
    if not args.no_plots or args.num_vis > 0:
        clock.finishing = time.perf_counter() - finishing
        clock.finishing_label = "pictures" if args.no_plots else "plots" if args.num_vis <= 0 else "plots and pictures"
    print("\n" + clock.finished_line() + (f" {headline} on {test_sets[0]}." if headline else ""))
    print_kv(f"Everything is in {os.path.abspath(out)}/:", items)
    return items


def plots_description(written: list) -> str:
    """The summary's line for plots/: how many files were written, and their names (each file once)."""
    names = list(dict.fromkeys(os.path.basename(p) for p in written))
    return f"{count(len(names), 'plot')}: {', '.join(names)}"


def _datasets(cfg: Any, split: str) -> list[str]:
    """The datasets of ``split`` ("train" / "test"): DATASETS.TRAIN / TEST, or the registered datasets a
    LazyConfig's ``dataloader.train`` / ``.test`` read (for the classes, datasets.json, plots and pictures)."""
    return lazy_dataset_names(cfg, split) if _is_lazy(cfg) else list(cfg.DATASETS[split.upper()])


def _test_predictor(cfg: Any, weights: str) -> Any:
    """A function from a dataset dict to (BGR image, the model's outputs): `DefaultPredictor` for a yacs config,
    the model on ``dataloader.test``'s mapper for a LazyConfig."""
    if _is_lazy(cfg):
        return lazy_test_predictor(cfg, weights)
    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.WEIGHTS = weights
    predictor = DefaultPredictor(cfg)

    def predict(d: dict) -> tuple[np.ndarray, dict]:
        image = read_image(d["file_name"], format="BGR")
        return image, predictor(image)

    return predict


def _visualize_test_images(cfg: Any, weights: str, dataset: str, folder: str, num: int, threshold: float) -> list:
    """Predictions of the trained model on the first ``num`` images of ``dataset``, saved in their input format.
    Returns (ground truth drawing, prediction drawing) RGB pairs."""
    predict = _test_predictor(cfg, weights)
    metadata = MetadataCatalog.get(dataset)
    pairs, names = [], AnnotatedNames()
    for d in DatasetCatalog.get(dataset)[:num]:
        image, outputs = predict(d)
        path = os.path.join(folder, names(d["file_name"]))
        drawn = draw_predictions(image[:, :, ::-1], outputs, metadata, path, threshold)
        truth = Visualizer(np.ascontiguousarray(image[:, :, ::-1]), metadata).draw_dataset_dict(d).get_image()
        pairs.append((truth, drawn))
    return pairs


def run(args: argparse.Namespace) -> int:
    if args.num_gpus < 1 or args.num_machines < 1:
        raise CLIError("--num-gpus and --num-machines must be >= 1.")
    launch(_main_worker, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))  # fmt: skip
    return 0
