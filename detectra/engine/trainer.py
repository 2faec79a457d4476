"""`Trainer`: the one training loop behind both config systems, built from already-built parts.

`DefaultTrainer` (``engine/defaults.py``) builds the parts from a yacs config, `LazyTrainer`
(``engine/lazy_train.py``) instantiates them from a LazyConfig; both hand model, optimizer, data loader, LR
scheduler, evaluation function and `TrainSettings` to this class, which wires the same inner
`SimpleTrainer` / `AMPTrainer`, checkpointer and hooks whichever config they came from.
"""

from __future__ import annotations

import logging
import os
import sys
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from detectra.checkpoint import DetectionCheckpointer
from detectra.engine import hooks
from detectra.engine.progress import TrainingProgress
from detectra.engine.train_loop import AMPTrainer, SimpleTrainer, TrainerBase
from detectra.layers import FrozenBatchNorm2d
from detectra.utils import comm
from detectra.utils.events import CommonMetricPrinter, EventWriter, JSONWriter, TensorboardXWriter
from detectra.utils.logger import setup_logger

__all__ = ["ConfigTrainer", "TrainSettings", "Trainer", "create_ddp_model", "default_writers", "ensure_logging"]

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
        from torch.distributed.algorithms.ddp_comm_hooks import default as comm_hooks  # only where it is used

        ddp.register_comm_hook(state=None, hook=comm_hooks.fp16_compress_hook)
    return ddp


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


@dataclass
class TrainSettings:
    """What the loop reads from a config, named once for both config systems (yacs key / LazyConfig key).

    Attributes:
        output_dir: checkpoints, ``metrics.json`` and event files (OUTPUT_DIR / ``train.output_dir``).
        max_iter: iterations to train (SOLVER.MAX_ITER / ``train.max_iter``).
        checkpoint_period: iterations between checkpoints (SOLVER.CHECKPOINT_PERIOD / ``train.checkpointer.period``).
        max_to_keep: periodic checkpoints kept, None for all (``train.checkpointer.max_to_keep``).
        eval_period: iterations between evaluations, 0 for after training only (TEST.EVAL_PERIOD /
            ``train.eval_period``).
        weights: loaded when not resuming (MODEL.WEIGHTS / ``train.init_checkpoint``).
        amp_precision: None trains in float32; "float16" / "bfloat16" under autocast (SOLVER.AMP / ``train.amp``).
        ddp: keyword arguments of `create_ddp_model` (``train.ddp``).
        log_period: iterations between event-writer calls; None: the trainer class's ``writer_period``
            (``train.log_period``).
        ims_per_batch: images per iteration over all processes, for the progress bar's speed (0: unknown).
        precise_bn_iters: PreciseBN batches after each evaluation, 0 for off (TEST.PRECISE_BN /
            ``train.precise_bn``).
        best_metric: the metric `BestCheckpointer` follows, "" for off (SOLVER.BEST_CHECKPOINTER /
            ``train.best_checkpointer``); ``best_mode`` is "max" or "min".
        val_period: iterations between validation losses, 0 for off (TEST.VAL_PERIOD / ``train.val_period``);
            ``early_stop_patience`` validations without improvement stop training (0: never).
    """

    output_dir: str
    max_iter: int
    checkpoint_period: int
    max_to_keep: int | None = None
    eval_period: int = 0
    weights: str = ""
    amp_precision: str | None = None
    ddp: dict[str, Any] = field(default_factory=lambda: {"broadcast_buffers": False})
    log_period: int | None = None
    ims_per_batch: int = 0
    precise_bn_iters: int = 0
    best_metric: str = ""
    best_mode: str = "max"
    val_period: int = 0
    early_stop_patience: int = 0


def _is_identity(norm: FrozenBatchNorm2d) -> bool:
    """Whether the frozen norm computes ``x`` (the initial statistics, or a checkpoint holding the same)."""
    scale = norm.weight * (norm.running_var + norm.eps).rsqrt()
    shift = norm.bias - norm.running_mean * scale
    return bool(torch.allclose(scale, torch.ones_like(scale), atol=1e-3) and shift.abs().max() <= 1e-3)


def untrained_frozen_norms_hint(model: nn.Module) -> str | None:
    """Why a from-scratch model with frozen norms diverges, or None when its frozen norms were loaded (or it has
    none).

    A `FrozenBatchNorm2d` that still holds its initial statistics (mean 0, variance 1, scale 1, shift 0) normalises
    nothing and can never learn to, so a deep backbone's activations grow until the loss overflows.
    """
    frozen = [m for m in model.modules() if isinstance(m, FrozenBatchNorm2d)]
    if not frozen or not all(_is_identity(m) for m in frozen):
        return None
    return (
        f"The model's {len(frozen)} FrozenBatchNorm2d layers hold their initial statistics: no pretrained weights "
        "were loaded into them, so they normalise nothing and the activations explode. Train the norms "
        "(yacs: MODEL.RESNETS.NORM BN, MODEL.FPN.NORM BN, MODEL.BACKBONE.FREEZE_AT 0; LazyConfig: "
        'model.backbone.bottom_up.stem.norm = model.backbone.bottom_up.stages.norm = "BN", '
        "model.backbone.bottom_up.freeze_at = 0), or load pretrained weights (MODEL.WEIGHTS / train.init_checkpoint)."
    )


def ensure_logging() -> None:
    """Set up detectra's console logger when nothing did (a trainer built outside `default_setup`)."""
    if not logging.getLogger("detectra").isEnabledFor(logging.INFO):
        setup_logger()


class Trainer(TrainerBase):
    """The training loop with Detectron2's default hooks, from already-built parts.

    It wraps the model in DDP with several processes, trains with `SimpleTrainer` or `AMPTrainer`, checkpoints
    into ``settings.output_dir`` (weights, optimizer, scheduler, hooks, storage, every rank's RNG states and data
    loader position) and registers, in this order: `IterationTimer`, `LRScheduler`, `PreciseBN` (enabled and the
    model has BN), the progress bar (terminal only), `PeriodicCheckpointer`, `EvalHook`, `BestCheckpointer` and
    `ValidationLoss` (when enabled) and `PeriodicWriter` (rank 0).

    Example::

        trainer = Trainer(model=model, optimizer=opt, data_loader=loader, scheduler=sched,
                          settings=TrainSettings(output_dir="out", max_iter=1000, checkpoint_period=500))
        trainer.resume_or_load(resume=False)
        trainer.train()
    """

    # Iterations between calls of the event writers (console, metrics.json, tensorboard), as in Detectron2.
    writer_period: int = 20

    def __init__(
        self,
        *,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        data_loader: Iterable,
        scheduler: Any,
        settings: TrainSettings,
        evaluate: Callable[[nn.Module], Mapping | None] | None = None,
        precise_bn_loader: Callable[[], Iterable] | None = None,
        val_loader: Callable[[], Iterable] | None = None,
    ) -> None:
        """
        Args:
            model: in training mode returns ``dict[str, Tensor]`` of losses; on its device already.
            optimizer: over the model's parameters.
            data_loader: an endless iterable of training batches (its ``state_dict`` is checkpointed if it has one).
            scheduler: the LR scheduler stepped after every iteration (a ``torch.optim.lr_scheduler.LRScheduler``).
            settings: periods, output folder, precision, optional hooks.
            evaluate: ``evaluate(model) -> results`` for `EvalHook` (None: nothing to evaluate).
            precise_bn_loader: builds the loader `PreciseBN` reads (only built when PreciseBN is on).
            val_loader: builds the held-out loader of `ValidationLoss` (only built when validation is on).
        """
        super().__init__()
        ensure_logging()
        self.settings = settings
        if settings.log_period:
            self.writer_period = settings.log_period
        model = create_ddp_model(model, **settings.ddp)
        if settings.amp_precision:
            self._trainer: SimpleTrainer = AMPTrainer(model, data_loader, optimizer, precision=settings.amp_precision)
        else:
            self._trainer = SimpleTrainer(model, data_loader, optimizer)
        # The inner trainer calls after_backward() itself (inside run_step): share the hook list with it.
        self._trainer.attach_hooks(self._hooks)

        self.scheduler = scheduler
        checkpointables: dict[str, Any] = {"trainer": weakref.proxy(self)}
        if hasattr(data_loader, "state_dict") and hasattr(data_loader, "load_state_dict"):
            # The loader's position: a resumed run sees the same batches as an uninterrupted one.
            checkpointables["data_loader"] = _PerRankLoaderState(self, data_loader)
        self.checkpointer = DetectionCheckpointer(model, settings.output_dir, **checkpointables)
        self.start_iter = 0
        self.max_iter = settings.max_iter
        # The results of the latest evaluation during training (None until one ran).
        self.last_eval_results: dict[str, Any] | None = None
        self._evaluate = evaluate
        self._precise_bn_loader = precise_bn_loader
        self._val_loader = val_loader
        self._progress = self.build_progress_bar()

        self.register_hooks(self.build_hooks())

    def resume_or_load(self, resume: bool = True) -> None:
        """With ``resume`` and a ``last_checkpoint`` in the output folder: restore everything from it (model,
        optimizer, scheduler, hooks, data loader position, RNG states) and continue at the next iteration.
        Otherwise load only the model weights from ``settings.weights`` and start at iteration 0."""
        self.checkpointer.resume_or_load(self._initial_weights(), resume=resume)
        if resume and self.checkpointer.has_checkpoint():
            # The checkpoint was saved after iteration `self.iter`.
            self.start_iter = self.iter + 1

    def _initial_weights(self) -> str:
        """The weights `resume_or_load` starts from when it does not resume."""
        return self.settings.weights

    def build_hooks(self) -> list[hooks.HookBase | None]:
        """The default hooks, in Detectron2's order (plus BestCheckpointer and ValidationLoss when enabled)."""
        s = self.settings
        ret: list[hooks.HookBase | None] = [
            hooks.IterationTimer(),
            hooks.LRScheduler(),
            hooks.PreciseBN(s.eval_period, self.model, self._precise_bn_loader(), s.precise_bn_iters)
            if s.precise_bn_iters > 0 and self._precise_bn_loader is not None and hooks.get_bn_modules(self.model)
            else None,
            # The bar closes after the last iteration, before the final save and evaluation log their lines.
            self._progress,
            # On every rank: each sends its RNG state to rank 0 before a save; only rank 0 writes files.
            hooks.PeriodicCheckpointer(self.checkpointer, s.checkpoint_period, max_to_keep=s.max_to_keep),
            # Evaluate after saving: if evaluation fails, the checkpoint is there to debug it.
            hooks.EvalHook(s.eval_period, self._evaluate_and_keep),
        ]
        if s.best_metric and comm.is_main_process():
            ret.append(hooks.BestCheckpointer(s.eval_period, self.checkpointer, s.best_metric, mode=s.best_mode))
        if s.val_period > 0 and self._val_loader is not None:
            ret.append(hooks.ValidationLoss(s.val_period, self.model, self._val_loader(),
                                            patience=s.early_stop_patience, checkpointer=self.checkpointer))  # fmt: skip
        if comm.is_main_process():
            # Writers last: they then see everything the other hooks recorded in this iteration.
            ret.append(hooks.PeriodicWriter(self.build_writers(), period=self.writer_period))
        return ret

    def _evaluate_and_keep(self) -> Mapping | None:
        self.last_eval_results = self._evaluate(self.model) if self._evaluate is not None else None
        return self.last_eval_results

    def build_writers(self) -> list[EventWriter]:
        """The event writers; see `default_writers`."""
        bar = self._progress is not None
        return default_writers(self.settings.output_dir, self.max_iter, progress_bar=False if bar else None,
                               console=not bar)  # fmt: skip

    def build_progress_bar(self) -> TrainingProgress | None:
        """A per-iteration `TrainingProgress` bar when stderr is a terminal (main process only), else None."""
        if not (sys.stderr.isatty() and comm.is_main_process()):
            return None
        s = self.settings
        return TrainingProgress(s.max_iter, ims_per_batch=s.ims_per_batch or None, eval_period=s.eval_period)

    def train(self) -> Any:
        """Train from ``start_iter`` to ``max_iter``.

        Raises:
            FloatingPointError: the loss became NaN or infinite; when the model's frozen norms were never loaded
                (the usual cause in a from-scratch run), the message says so and how to fix it.
        """
        try:
            super().train(self.start_iter, self.max_iter)
        except FloatingPointError as e:
            hint = untrained_frozen_norms_hint(self.model)
            if hint is None:
                raise
            raise FloatingPointError(f"{e}\n{hint}") from e

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
        inner = state_dict.get("_trainer")
        if inner is None:  # detectra's earlier LazyConfig loop saved a bare SimpleTrainer's state
            inner = {k: v for k, v in state_dict.items() if k in ("iteration", "optimizer", "grad_scaler")}
        self._trainer.load_state_dict(inner)


# Access the inner SimpleTrainer's parts as trainer.model / trainer.data_loader / trainer.optimizer.
for _attr in ["model", "data_loader", "optimizer"]:
    setattr(
        Trainer,
        _attr,
        property(
            lambda self, x=_attr: getattr(self._trainer, x),
            lambda self, value, x=_attr: setattr(self._trainer, x, value),
        ),
    )
del _attr


class ConfigTrainer(Trainer):
    """A `Trainer` whose parts a config gives through class methods, the shape of Detectron2's `DefaultTrainer`.

    `DefaultTrainer` implements them for a yacs config and `LazyTrainer` for a LazyConfig, so both run this one
    constructor: ``build_model(cfg)``, ``build_optimizer(cfg, model)``, ``build_train_loader(cfg)``,
    ``build_lr_scheduler(cfg, optimizer)``, ``settings_from_config(cfg)``, ``test(cfg, model)`` (evaluation),
    ``build_precise_bn_loader(cfg)`` and ``build_val_loader(cfg)`` (built only when their hook is on).
    """

    def __init__(self, cfg: Any) -> None:
        ensure_logging()
        self.cfg = cfg
        model = self.build_model(cfg)
        optimizer = self.build_optimizer(cfg, model)
        data_loader = self.build_train_loader(cfg)
        cls = type(self)  # the callables below use the class methods, not the trainer: no reference cycle
        super().__init__(
            model=model,
            optimizer=optimizer,
            data_loader=data_loader,
            scheduler=self.build_lr_scheduler(cfg, optimizer),
            settings=self.settings_from_config(cfg),
            evaluate=lambda model: cls.test(cfg, model),
            precise_bn_loader=lambda: cls.build_precise_bn_loader(cfg),
            val_loader=lambda: cls.build_val_loader(cfg),
        )


class _PerRankLoaderState:
    """Checkpoint entry for the train loader's position. Under DDP every rank reads its own shard and holds its own
    aspect-ratio buckets, so the checkpoint (written by rank 0) keeps every rank's state, gathered by the
    PeriodicCheckpointer hook, and each rank restores its own entry."""

    def __init__(self, trainer: "Trainer", loader: Any) -> None:
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
