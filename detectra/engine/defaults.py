"""Standard training setup: `default_argument_parser`, `default_setup`, `default_writers`,
`create_ddp_model` and `DefaultTrainer` (the config-driven trainer with Detectron2's default hooks).

``DefaultPredictor`` lives in ``engine/predictor.py`` and is re-exported here, where Detectron2 users import it from.
"""

from __future__ import annotations

import argparse
import glob
import logging
import logging.handlers
import os
import sys
import weakref
from collections import OrderedDict
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from detectra.checkpoint import DetectionCheckpointer
from detectra.checkpoint.safe_io import atomic_write
from detectra.config import LazyConfig
from detectra.data import build_detection_test_loader, build_detection_train_loader, get_detection_dataset_dicts
from detectra.data import transforms as T
from detectra.data.dataset_mapper import DatasetMapper
from detectra.engine import hooks
from detectra.engine.predictor import DefaultPredictor
from detectra.engine.progress import TrainingProgress
from detectra.engine.train_loop import AMPTrainer, SimpleTrainer, TrainerBase
from detectra.evaluation import DatasetEvaluator, inference_on_dataset, print_csv_format, verify_results
from detectra.modeling import build_model
from detectra.solver import build_lr_scheduler, build_optimizer
from detectra.utils import comm
from detectra.utils.env import collect_env_info, seed_all_rng
from detectra.utils.events import CommonMetricPrinter, EventWriter, JSONWriter, TensorboardXWriter
from detectra.utils.logger import VERBOSE_ONLY, setup_logger

__all__ = [
    "DefaultPredictor",
    "DefaultTrainer",
    "create_ddp_model",
    "default_argument_parser",
    "default_setup",
    "default_writers",
    "start_output_dir",
    "clear_previous_run",
]

logger = logging.getLogger(__name__)


def create_ddp_model(model: nn.Module, *, fp16_compression: bool = False, **kwargs: Any) -> nn.Module:
    """Wrap ``model`` in ``DistributedDataParallel`` when there is more than one process.

    Args:
        model: the model.
        fp16_compression: all-reduce gradients in float16 (halves communication; registers torch's
            ``fp16_compress_hook``).
        kwargs: passed to ``DistributedDataParallel`` (``device_ids`` defaults to the local GPU on CUDA).

    Returns:
        ``model`` itself with one process, else the DDP-wrapped model.
    """
    if comm.get_world_size() == 1:
        return model
    param = next(model.parameters(), None)
    if "device_ids" not in kwargs and param is not None and param.device.type == "cuda":
        kwargs["device_ids"] = [comm.get_local_rank()]
    ddp = DistributedDataParallel(model, **kwargs)
    if fp16_compression:
        from torch.distributed.algorithms.ddp_comm_hooks import default as comm_hooks

        ddp.register_comm_hook(state=None, hook=comm_hooks.fp16_compress_hook)
    return ddp


def default_argument_parser(epilog: str | None = None) -> argparse.ArgumentParser:
    """The command line of Detectron2's training scripts: --config-file, --resume, --eval-only, --num-gpus,
    --num-machines, --machine-rank, --dist-url, then trailing ``KEY VALUE`` config overrides (``opts``)."""
    parser = argparse.ArgumentParser(
        epilog=epilog
        or f"""
Examples:

Run on single machine:
    $ {sys.argv[0]} --num-gpus 8 --config-file cfg.yaml

Change some config options:
    $ {sys.argv[0]} --config-file cfg.yaml MODEL.WEIGHTS /path/to/weight.pth SOLVER.BASE_LR 0.001

Run on multiple machines:
    (machine0)$ {sys.argv[0]} --machine-rank 0 --num-machines 2 --dist-url <URL> [--other-flags]
    (machine1)$ {sys.argv[0]} --machine-rank 1 --num-machines 2 --dist-url <URL> [--other-flags]
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config-file", default="", metavar="FILE", help="path to config file")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="Whether to attempt to resume from the checkpoint directory. "
        "See documentation of `DefaultTrainer.resume_or_load()` for what it means.",
    )
    parser.add_argument("--eval-only", action="store_true", help="perform evaluation only")
    parser.add_argument("--num-gpus", type=int, default=1, help="number of gpus *per machine*")
    parser.add_argument("--num-machines", type=int, default=1, help="total number of machines")
    parser.add_argument(
        "--machine-rank", type=int, default=0, help="the rank of this machine (unique per machine)"
    )
    # PyTorch still may leave orphan processes in multi-gpu training: a port derived from the user id
    # keeps two users of one machine apart.
    port = 2**15 + 2**14 + hash(os.getuid() if sys.platform != "win32" else 1) % 2**14
    parser.add_argument(
        "--dist-url",
        default=f"tcp://127.0.0.1:{port}",
        help="initialization URL for pytorch distributed backend ('auto': pick a free port). "
        "See https://pytorch.org/docs/stable/distributed.html for details.",
    )
    parser.add_argument(
        "opts",
        help="Modify config options at the end of the command, as space-separated 'PATH.KEY VALUE' pairs.",
        default=None,
        nargs=argparse.REMAINDER,
    )
    return parser


def _try_get_key(cfg: Any, *keys: str, default: Any = None) -> Any:
    """First of ``keys`` (dotted) present in a yacs CfgNode or an OmegaConf LazyConfig."""
    for k in keys:
        node = cfg
        try:
            for part in k.split("."):
                node = node[part] if isinstance(node, dict) or hasattr(node, "__getitem__") else getattr(node, part)
            return node
        except (KeyError, AttributeError, TypeError, IndexError):
            continue
    return default


def default_setup(cfg: Any, args: argparse.Namespace | None, *, defer_files: bool = False) -> None:
    """Common start of a training / evaluation script.

    Creates the output dir; sets up the loggers (console on rank 0, ``log.txt`` per rank); logs the rank,
    environment, command line and config file; saves the full config as ``OUTPUT_DIR/config.yaml`` (rank 0);
    seeds every RNG (``SEED + rank``, or random when SEED < 0); sets ``cudnn.benchmark``.

    Args:
        cfg: a `CfgNode` (or a LazyConfig with ``train.output_dir`` / ``train.seed``).
        args: the parsed command line (``default_argument_parser().parse_args()``).
        defer_files: write nothing into the output dir yet: log records are kept in memory until
            :func:`start_output_dir`, which a script calls once the model, weights and data have loaded, so a
            run that fails before that leaves an existing output folder as it was.
    """
    global _deferred_log
    output_dir = _try_get_key(cfg, "OUTPUT_DIR", "output_dir", "train.output_dir")
    if comm.is_main_process() and output_dir and not defer_files:
        os.makedirs(output_dir, exist_ok=True)

    rank = comm.get_rank()
    log = setup_logger(None if defer_files else output_dir, distributed_rank=rank)
    if _deferred_log is not None:  # an earlier deferred setup in this process that never started writing
        log.removeHandler(_deferred_log)
        _deferred_log = None
    if defer_files:
        _detach_log_files(log)
        _deferred_log = logging.handlers.MemoryHandler(capacity=1_000_000, flushLevel=logging.CRITICAL + 1)
        log.addHandler(_deferred_log)
        log.setLevel(logging.DEBUG)  # setup_logger(None) is cached: a quiet command earlier may have raised it

    log.info(f"Rank of current process: {rank}. World size: {comm.get_world_size()}", extra=VERBOSE_ONLY)
    log.info("Environment info:\n" + collect_env_info(), extra=VERBOSE_ONLY)
    log.info("Command line arguments: " + str(args), extra=VERBOSE_ONLY)
    config_file = getattr(args, "config_file", "") if args is not None else ""
    if config_file:
        with open(config_file) as f:
            log.info(f"Contents of args.config_file={config_file}:\n{f.read()}", extra=VERBOSE_ONLY)

    if hasattr(cfg, "dump"):
        log.info(f"Running with full config:\n{cfg.dump()}", extra=VERBOSE_ONLY)
    if comm.is_main_process() and output_dir and not defer_files:
        _save_config(cfg, output_dir)

    seed = _try_get_key(cfg, "SEED", "train.seed", default=-1)
    # A different seed per rank: ranks must not draw the same augmentations / dropout masks.
    seed_all_rng(None if seed is None or seed < 0 else seed + rank)

    # cudnn benchmark has large overhead; it should not be used in evaluation, which has varying input sizes.
    if not (args is not None and getattr(args, "eval_only", False)):
        torch.backends.cudnn.benchmark = bool(_try_get_key(cfg, "CUDNN_BENCHMARK", "train.cudnn_benchmark",
                                                           default=False))  # fmt: skip


# Log records kept in memory by default_setup(defer_files=True) until start_output_dir() writes them to log.txt.
_deferred_log: logging.handlers.MemoryHandler | None = None


def _detach_log_files(log: logging.Logger) -> None:
    """Stop writing this process's log into the log.txt of runs it set up before (in one Python session, a new
    run's records belong to its own folder only)."""
    for handler in list(log.handlers):
        name = getattr(getattr(handler, "stream", None), "name", None)
        if isinstance(name, str) and os.path.isfile(name):
            log.removeHandler(handler)


def _save_config(cfg: Any, output_dir: str) -> None:
    path = os.path.join(output_dir, "config.yaml")
    if hasattr(cfg, "dump"):
        text = cfg.dump()
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))  # never a half-written config next to weights
    else:
        LazyConfig.save(cfg, path)
    logger.info(f"Full config saved to {path}")


def start_output_dir(cfg: Any, *, save_config: bool = True) -> None:
    """The moment a run starts writing into its output dir, after ``default_setup(cfg, args, defer_files=True)``.

    Creates OUTPUT_DIR, starts ``log.txt`` with every record logged since ``default_setup``, and (rank 0, with
    ``save_config``) saves ``config.yaml``. Without a deferred ``default_setup`` pending it does nothing (the
    files were written then), so training loops may call it unconditionally.
    """
    global _deferred_log
    output_dir = _try_get_key(cfg, "OUTPUT_DIR", "output_dir", "train.output_dir")
    if not output_dir or _deferred_log is None:
        return
    if comm.is_main_process():
        os.makedirs(output_dir, exist_ok=True)
    rank = comm.get_rank()
    log_file = os.path.abspath(os.path.join(output_dir, "log.txt" + (f".rank{rank}" if rank else "")))

    def file_handler() -> logging.Handler | None:
        for handler in log.handlers:
            if os.path.abspath(getattr(getattr(handler, "stream", None), "name", "") or ".") == log_file:
                return handler
        return None

    log = setup_logger(output_dir, distributed_rank=rank, configure_stdout=False)
    if file_handler() is None:  # cached call whose handler _detach_log_files removed: add it again
        setup_logger.__wrapped__(output_dir, distributed_rank=rank, configure_stdout=False)
    log.removeHandler(_deferred_log)
    _deferred_log.setTarget(file_handler())
    _deferred_log.flush()
    _deferred_log = None
    if save_config and comm.is_main_process():
        _save_config(cfg, output_dir)


# What a training run writes that a new run in the same folder would mix with its own (log.txt is appended to).
_RUN_FILES = ("last_checkpoint", "model_*.pth", "metrics.json", "events.out.tfevents.*", "eval_results.txt",
              "eval_results.json")  # fmt: skip


def clear_previous_run(output_dir: str) -> list[str]:
    """Remove the files of the run an ``--overwrite`` replaces (checkpoints, metrics, event files, evaluation
    results), so that the new run's files are not mixed with them. Returns the paths removed."""
    removed = []
    for pattern in _RUN_FILES:
        for path in sorted(glob.glob(os.path.join(glob.escape(output_dir), pattern))):
            if os.path.isfile(path):
                os.remove(path)
                removed.append(path)
    if removed:
        logger.warning(f"Overwriting: removed {len(removed)} file(s) of the previous run in {output_dir} "
                       f"({', '.join(os.path.basename(p) for p in removed[:6])}{', ...' if len(removed) > 6 else ''})")
    return removed


def default_writers(
    output_dir: str, max_iter: int | None = None, *, progress_bar: bool | None = None, console: bool = True
) -> list[EventWriter]:
    """Console printer (+ progress bar on a terminal), ``OUTPUT_DIR/metrics.json`` and tensorboard files.

    Args:
        output_dir: where ``metrics.json`` and the tensorboard files go.
        max_iter: total iterations, for the ETA and progress bar.
        progress_bar: the printer's own bar (updated at each write); None: on a terminal.
        console: print the periodic metric lines on the console too (else only in log files, and on the console
            when it is verbose); False when a `TrainingProgress` bar shows the same numbers.
    """
    writers: list[EventWriter] = [  # they create their files at the first write
        CommonMetricPrinter(max_iter, progress_bar=progress_bar, console=console),
        JSONWriter(os.path.join(output_dir, "metrics.json")),
    ]
    try:
        writers.append(TensorboardXWriter(output_dir))
    except ImportError:  # tensorboard is optional
        logger.info("tensorboard is not installed: no tensorboard event files are written.")
    return writers


class DefaultTrainer(TrainerBase):
    """A trainer with Detectron2's default behaviour, built from a config:

    model, optimizer, LR scheduler and train loader from the ``build_*`` class methods; DDP with several
    processes; `SimpleTrainer` or `AMPTrainer` (``SOLVER.AMP``); checkpoints in ``OUTPUT_DIR``; and the
    default hooks (timer, LR, precise BN, checkpointing, evaluation, best checkpoint, validation loss,
    writers).

    Example::

        trainer = DefaultTrainer(cfg)
        trainer.resume_or_load(resume=args.resume)
        trainer.train()
    """

    # Iterations between calls of the event writers (console, metrics.json, tensorboard), as in Detectron2.
    writer_period: int = 20

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        if not logging.getLogger("detectra").isEnabledFor(logging.INFO):
            setup_logger()
        cfg = DefaultTrainer.auto_scale_workers(cfg, comm.get_world_size())

        model = self.build_model(cfg)
        optimizer = self.build_optimizer(cfg, model)
        data_loader = self.build_train_loader(cfg)

        model = create_ddp_model(model, broadcast_buffers=False)
        if cfg.SOLVER.AMP.ENABLED:
            self._trainer: SimpleTrainer = AMPTrainer(
                model, data_loader, optimizer, precision=cfg.SOLVER.AMP.PRECISION
            )
        else:
            self._trainer = SimpleTrainer(model, data_loader, optimizer)
        # The inner trainer calls after_backward() itself (inside run_step): share the hook list with it.
        self._trainer.attach_hooks(self._hooks)

        self.scheduler = self.build_lr_scheduler(cfg, optimizer)
        checkpointables: dict[str, Any] = {"trainer": weakref.proxy(self)}
        if hasattr(data_loader, "state_dict") and hasattr(data_loader, "load_state_dict"):
            # The loader's position: a resumed run sees the same batches as an uninterrupted one.
            checkpointables["data_loader"] = _PerRankLoaderState(self, data_loader)
        self.checkpointer = DetectionCheckpointer(model, cfg.OUTPUT_DIR, **checkpointables)
        self.start_iter = 0
        self.max_iter = cfg.SOLVER.MAX_ITER
        self.cfg = cfg
        # The results of the latest evaluation during training (None until one ran).
        self.last_eval_results: dict[str, Any] | None = None
        self._progress = self.build_progress_bar(cfg)

        self.register_hooks(self.build_hooks())

    def resume_or_load(self, resume: bool = True) -> None:
        """With ``resume`` and a ``last_checkpoint`` in OUTPUT_DIR: restore everything from it (model,
        optimizer, scheduler, hooks, data loader position, RNG states) and continue at the next iteration.
        Otherwise load only the model weights from ``cfg.MODEL.WEIGHTS`` and start at iteration 0."""
        self.checkpointer.resume_or_load(self.cfg.MODEL.WEIGHTS, resume=resume)
        if resume and self.checkpointer.has_checkpoint():
            # The checkpoint was saved after iteration `self.iter`.
            self.start_iter = self.iter + 1

    def build_hooks(self) -> list[hooks.HookBase | None]:
        """The default hooks, in Detectron2's order (plus BestCheckpointer and ValidationLoss when enabled)."""
        cfg = self.cfg.clone()
        cfg.defrost()
        cfg.DATALOADER.NUM_WORKERS = 0  # save some memory and time for PreciseBN

        ret: list[hooks.HookBase | None] = [
            hooks.IterationTimer(),
            hooks.LRScheduler(),
            hooks.PreciseBN(
                cfg.TEST.EVAL_PERIOD, self.model, self.build_train_loader(cfg), cfg.TEST.PRECISE_BN.NUM_ITER
            )
            if cfg.TEST.PRECISE_BN.ENABLED and hooks.get_bn_modules(self.model)
            else None,
            # The bar closes after the last iteration, before the final save and evaluation log their lines.
            self._progress,
            # On every rank: each sends its RNG state to rank 0 before a save; only rank 0 writes files.
            hooks.PeriodicCheckpointer(self.checkpointer, cfg.SOLVER.CHECKPOINT_PERIOD),
        ]

        def test_and_save_results():
            self.last_eval_results = self.test(self.cfg, self.model)
            return self.last_eval_results

        # Do evaluation after checkpointer, because then if it fails, we can use the saved checkpoint to debug.
        ret.append(hooks.EvalHook(cfg.TEST.EVAL_PERIOD, test_and_save_results))
        best = cfg.SOLVER.BEST_CHECKPOINTER
        if best.ENABLED and comm.is_main_process():
            ret.append(hooks.BestCheckpointer(cfg.TEST.EVAL_PERIOD, self.checkpointer, best.METRIC, mode=best.MODE))
        if cfg.TEST.VAL_PERIOD > 0 and len(cfg.DATASETS.VAL):
            ret.append(
                hooks.ValidationLoss(
                    cfg.TEST.VAL_PERIOD,
                    self.model,
                    self.build_val_loader(self.cfg),
                    patience=cfg.TEST.EARLY_STOP_PATIENCE,
                    checkpointer=self.checkpointer,
                )
            )
        if comm.is_main_process():
            # Writers last: they then see everything the other hooks recorded in this iteration.
            ret.append(hooks.PeriodicWriter(self.build_writers(), period=self.writer_period))
        return ret

    def build_writers(self) -> list[EventWriter]:
        """The event writers; see `default_writers`."""
        bar = self._progress is not None
        return default_writers(self.cfg.OUTPUT_DIR, self.max_iter, progress_bar=False if bar else None, console=not bar)

    @classmethod
    def build_progress_bar(cls, cfg: Any) -> TrainingProgress | None:
        """A per-iteration `TrainingProgress` bar when stderr is a terminal (main process only), else None."""
        if not (sys.stderr.isatty() and comm.is_main_process()):
            return None
        return TrainingProgress(cfg.SOLVER.MAX_ITER, ims_per_batch=cfg.SOLVER.IMS_PER_BATCH,
                                eval_period=cfg.TEST.EVAL_PERIOD)  # fmt: skip

    def train(self) -> Any:
        """Train from ``start_iter`` to ``cfg.SOLVER.MAX_ITER``; returns the last evaluation results when
        ``TEST.EXPECTED_RESULTS`` is set (and checks them)."""
        super().train(self.start_iter, self.max_iter)
        if len(self.cfg.TEST.EXPECTED_RESULTS) and comm.is_main_process():
            if self.last_eval_results is None:
                raise RuntimeError("TEST.EXPECTED_RESULTS is set but no evaluation ran during training.")
            verify_results(self.cfg, self.last_eval_results)
            return self.last_eval_results
        return None

    def run_step(self) -> None:
        self._trainer.iter = self.iter
        self._trainer.run_step()

    def _restore_rng_states(self) -> None:
        if self._pending_rng_states is not None:
            self._trainer._data_loader_iter  # noqa: B018  (see SimpleTrainer._restore_rng_states)
        super()._restore_rng_states()

    def state_dict(self) -> dict[str, Any]:
        ret = super().state_dict()
        inner = self._trainer.state_dict()
        for key in ("rng_states", "hooks", "storage"):  # the outer trainer owns the loop state
            inner.pop(key, None)
        ret["_trainer"] = inner
        return ret

    def load_state_dict(self, state_dict: Any) -> None:
        super().load_state_dict(state_dict)
        self._trainer.load_state_dict(state_dict["_trainer"])

    @classmethod
    def build_model(cls, cfg: Any) -> nn.Module:
        """``detectra.modeling.build_model(cfg)``; override to use another model."""
        model = build_model(cfg)
        logging.getLogger(__name__).info(f"Model:\n{model}", extra=VERBOSE_ONLY)
        return model

    @classmethod
    def build_optimizer(cls, cfg: Any, model: nn.Module) -> torch.optim.Optimizer:
        """``detectra.solver.build_optimizer(cfg, model)``."""
        return build_optimizer(cfg, model)

    @classmethod
    def build_lr_scheduler(cls, cfg: Any, optimizer: torch.optim.Optimizer) -> Any:
        """``detectra.solver.build_lr_scheduler(cfg, optimizer)``."""
        return build_lr_scheduler(cfg, optimizer)

    @classmethod
    def build_train_loader(cls, cfg: Any):
        """``detectra.data.build_detection_train_loader(cfg)``."""
        return build_detection_train_loader(cfg)

    @classmethod
    def build_test_loader(cls, cfg: Any, dataset_name: str):
        """``detectra.data.build_detection_test_loader(cfg, dataset_name)``."""
        return build_detection_test_loader(cfg, dataset_name)

    @classmethod
    def build_val_loader(cls, cfg: Any):
        """Held-out loader for `ValidationLoss`: ``DATASETS.VAL`` with ground truth kept (a training-mode
        mapper) but only the test-time resize, no random augmentation."""
        mapper = DatasetMapper(
            cfg, is_train=True, augmentations=[T.ResizeShortestEdge(cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MAX_SIZE_TEST)]
        )
        dataset = get_detection_dataset_dicts(cfg.DATASETS.VAL, filter_empty=False)
        return build_detection_test_loader(dataset=dataset, mapper=mapper, num_workers=cfg.DATALOADER.NUM_WORKERS)

    @classmethod
    def build_evaluator(cls, cfg: Any, dataset_name: str):
        """Return a ``DatasetEvaluator`` for ``dataset_name``; subclasses implement it."""
        raise NotImplementedError(
            "If you want DefaultTrainer to automatically run evaluation, please implement `build_evaluator()` "
            "in subclasses (see train_net.py for example). Alternatively, you can call evaluation functions "
            "yourself (see Colab balloon tutorial for example)."
        )

    @classmethod
    def test(cls, cfg: Any, model: nn.Module, evaluators: Any = None) -> dict:
        """Evaluate ``model`` on every dataset of ``cfg.DATASETS.TEST``.

        Args:
            cfg: the config.
            model: the model to evaluate.
            evaluators: one ``DatasetEvaluator`` per test dataset; default: `build_evaluator`.

        Returns:
            dataset name -> results (just the results when there is one test dataset).
        """
        if isinstance(evaluators, DatasetEvaluator):
            evaluators = [evaluators]
        if evaluators is not None and len(cfg.DATASETS.TEST) != len(evaluators):
            raise ValueError(
                f"{len(cfg.DATASETS.TEST)} test datasets (DATASETS.TEST) but {len(evaluators)} evaluators given."
            )
        results: dict[str, Any] = OrderedDict()
        for idx, dataset_name in enumerate(cfg.DATASETS.TEST):
            data_loader = cls.build_test_loader(cfg, dataset_name)
            if evaluators is not None:
                evaluator = evaluators[idx]
            else:
                try:
                    evaluator = cls.build_evaluator(cfg, dataset_name)
                except NotImplementedError:
                    logger.warning(
                        "No evaluator found. Use `DefaultTrainer.test(evaluators=)`, "
                        "or implement its `build_evaluator` method."
                    )
                    results[dataset_name] = {}
                    continue
            results_i = inference_on_dataset(model, data_loader, evaluator, precision=cfg.TEST.PRECISION)
            results[dataset_name] = results_i
            if comm.is_main_process():
                if not isinstance(results_i, dict):
                    raise TypeError(f"Evaluator must return a dict on the main process. Got {results_i} instead.")
                logger.info(f"Evaluation results for {dataset_name} in csv format:")
                print_csv_format(results_i)
        if len(results) == 1:
            results = list(results.values())[0]
        return results

    @staticmethod
    def auto_scale_workers(cfg: Any, num_workers: int) -> Any:
        """Scale batch size, LR, iterations and periods linearly from ``SOLVER.REFERENCE_WORLD_SIZE`` to
        ``num_workers`` processes (no-op when REFERENCE_WORLD_SIZE is 0 or equal).

        Args:
            cfg: the config (not modified; a scaled clone is returned).
            num_workers: the new number of processes.
        """
        old_world_size = cfg.SOLVER.REFERENCE_WORLD_SIZE
        if old_world_size == 0 or old_world_size == num_workers:
            return cfg
        cfg = cfg.clone()
        frozen = cfg.is_frozen()
        cfg.defrost()
        if cfg.SOLVER.IMS_PER_BATCH % old_world_size != 0:
            raise ValueError(
                f"SOLVER.IMS_PER_BATCH ({cfg.SOLVER.IMS_PER_BATCH}) must be divisible by "
                f"SOLVER.REFERENCE_WORLD_SIZE ({old_world_size})."
            )
        scale = num_workers / old_world_size
        bs = cfg.SOLVER.IMS_PER_BATCH = int(round(cfg.SOLVER.IMS_PER_BATCH * scale))
        lr = cfg.SOLVER.BASE_LR = cfg.SOLVER.BASE_LR * scale
        max_iter = cfg.SOLVER.MAX_ITER = int(round(cfg.SOLVER.MAX_ITER / scale))
        warmup_iter = cfg.SOLVER.WARMUP_ITERS = int(round(cfg.SOLVER.WARMUP_ITERS / scale))
        cfg.SOLVER.STEPS = tuple(int(round(s / scale)) for s in cfg.SOLVER.STEPS)
        cfg.TEST.EVAL_PERIOD = int(round(cfg.TEST.EVAL_PERIOD / scale))
        if "VAL_PERIOD" in cfg.TEST:
            cfg.TEST.VAL_PERIOD = int(round(cfg.TEST.VAL_PERIOD / scale))
        cfg.SOLVER.CHECKPOINT_PERIOD = int(round(cfg.SOLVER.CHECKPOINT_PERIOD / scale))
        cfg.SOLVER.REFERENCE_WORLD_SIZE = num_workers  # maintain invariant
        logger.info(
            f"Auto-scaling the config to batch_size={bs}, learning_rate={lr}, "
            f"max_iter={max_iter}, warmup={warmup_iter}."
        )
        if frozen:
            cfg.freeze()
        return cfg


# Access the inner SimpleTrainer's parts as trainer.model / trainer.data_loader / trainer.optimizer.
for _attr in ["model", "data_loader", "optimizer"]:
    setattr(
        DefaultTrainer,
        _attr,
        property(
            lambda self, x=_attr: getattr(self._trainer, x),
            lambda self, value, x=_attr: setattr(self._trainer, x, value),
        ),
    )
del _attr


class _PerRankLoaderState:
    """Checkpoint entry for the train loader's position. Under DDP every rank reads its own shard and holds its own
    aspect-ratio buckets, so the checkpoint (written by rank 0) keeps every rank's state, gathered by the
    PeriodicCheckpointer hook, and each rank restores its own entry."""

    def __init__(self, trainer: "DefaultTrainer", loader: Any) -> None:
        self._trainer = weakref.proxy(trainer)
        self._loader = loader

    def state_dict(self) -> dict[str, Any]:
        return {"per_rank": self._trainer.resume_state()["loader_states"] or [self._loader.state_dict()]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "per_rank" not in state:  # a single loader's state, as saved by a plain Checkpointer
            self._loader.load_state_dict(state)
            return
        states, rank, world = state["per_rank"], comm.get_rank(), comm.get_world_size()
        if len(states) != world:
            logger.warning(
                f"Checkpoint holds the data loader states of {len(states)} processes but this run has {world}; "
                "the data order restarts from rank 0's position."
            )
            rank = 0
        self._loader.load_state_dict(states[rank])
