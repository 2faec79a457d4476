"""Generic checkpointing of a model and its training companions (optimizer, scheduler, ...), as fvcore does it.

Same semantics as ``fvcore.common.checkpoint.Checkpointer`` / ``PeriodicCheckpointer``, with two guarantees fvcore
does not give: saves are atomic (a crash mid-save leaves the previous checkpoint and ``last_checkpoint`` valid),
and loads never execute code from the file (``torch.load(weights_only=True)``).
"""
from __future__ import annotations

import logging
import os
import re
from typing import Any, NamedTuple, Optional

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DataParallel, DistributedDataParallel

from detectra.checkpoint.safe_io import (
    UnreadableCheckpointError,
    atomic_torch_save,
    atomic_write,
    contiguous_array,
    load_torch_file,
    remove_stale_temp_files,
    to_weights_only_safe,
)
from detectra.utils import comm

__all__ = ["Checkpointer", "PeriodicCheckpointer", "IncompatibleKeys", "format_incompatible_keys"]

_LAST_CHECKPOINT = "last_checkpoint"


class IncompatibleKeys(NamedTuple):
    """What did not fit when a checkpoint was loaded into a model.

    Attributes:
        missing_keys: model keys the checkpoint does not have (they keep their initial values).
        unexpected_keys: checkpoint keys the model does not have (ignored).
        incorrect_shapes: ``(key, shape in checkpoint, shape in model)`` for keys skipped because of their shape.
    """

    missing_keys: list[str]
    unexpected_keys: list[str]
    incorrect_shapes: list[tuple[str, tuple[int, ...], tuple[int, ...]]]

    def __bool__(self) -> bool:
        return bool(self.missing_keys or self.unexpected_keys or self.incorrect_shapes)


def _group_keys(keys: list[str]) -> list[str]:
    # "a.b.weight", "a.b.bias" -> "a.b.{bias, weight}": keeps the table short for whole missing modules.
    groups: dict[str, list[str]] = {}
    for key in sorted(keys):
        prefix, _, leaf = key.rpartition(".")
        groups.setdefault(prefix, []).append(leaf)
    rows = []
    for prefix, leaves in groups.items():
        head = f"{prefix}." if prefix else ""
        rows.append(head + leaves[0] if len(leaves) == 1 else head + "{" + ", ".join(leaves) + "}")
    return rows


def format_incompatible_keys(incompatible: IncompatibleKeys, model_shapes: Optional[dict[str, tuple]] = None) -> str:
    """Render missing / unexpected / wrong-shape keys as one plain-text table.

    Args:
        incompatible: the result of loading.
        model_shapes: optional ``{key: shape}`` of the model, to show shapes of missing keys.

    Returns:
        A multi-line string with columns ``status | key | checkpoint shape | model shape``.
    """
    model_shapes = model_shapes or {}
    rows: list[tuple[str, str, str, str]] = []
    for key, ckpt_shape, model_shape in sorted(incompatible.incorrect_shapes):
        rows.append(("wrong shape (skipped)", key, str(tuple(ckpt_shape)), str(tuple(model_shape))))
    # a wrong-shape key is also among the missing ones (it was dropped before loading); its own row says more
    skipped = {key for key, _, _ in incompatible.incorrect_shapes}
    for key in _group_keys([k for k in incompatible.missing_keys if k not in skipped]):
        shape = model_shapes.get(key)
        rows.append(("missing in checkpoint", key, "-", str(tuple(shape)) if shape is not None else ""))
    for key in _group_keys(incompatible.unexpected_keys):
        rows.append(("unused from checkpoint", key, "", "-"))
    header = ("status", "key", "checkpoint", "model")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def _refuse_folder_or_pointer(path: str, local: str) -> None:
    """A run's output folder, or its ``last_checkpoint`` text file, given where a checkpoint file was expected."""
    if os.path.isdir(local):
        found = sorted(f for f in os.listdir(local) if f.endswith((".pth", ".pkl")))
        listed = ", ".join(found[-5:]) if found else "none"
        raise IsADirectoryError(
            f"Checkpoint '{path}' is a folder: pass one checkpoint file in it (its .pth / .pkl files: {listed}), "
            "or resume_or_load(..., resume=True) with the folder as the checkpointer's save_dir."
        )
    if os.path.basename(local) == _LAST_CHECKPOINT and os.path.isfile(local):
        with open(local) as f:
            target = f.read().strip()
        raise UnreadableCheckpointError(
            f"'{path}' is the text file that names a folder's latest checkpoint, not a checkpoint: load "
            f"'{os.path.join(os.path.dirname(path), target)}' instead."
        )


def _strip_prefix_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    # Checkpoints saved from a DistributedDataParallel-wrapped model carry "module." on every key.
    keys = list(state_dict.keys())
    if not keys or not all(k.startswith(prefix) for k in keys):
        return
    for k in keys:
        state_dict[k[len(prefix) :]] = state_dict.pop(k)


def _as_tensors(state_dict: dict[str, Any], source: str) -> None:
    for k, v in list(state_dict.items()):
        if isinstance(v, np.ndarray):
            state_dict[k] = torch.from_numpy(contiguous_array(v))
        elif not isinstance(v, torch.Tensor):
            raise ValueError(
                f"Checkpoint '{source}': the model weight '{k}' is a {type(v).__name__}, not a tensor or numpy "
                "array; this is not a state dict detectra can load."
            )


class Checkpointer:
    """Save and load a model together with any number of other stateful objects.

    Example:
        ckpt = Checkpointer(model, "output", optimizer=optimizer, scheduler=scheduler)
        ckpt.save("model_0000999", iteration=999)   # output/model_0000999.pth + output/last_checkpoint
        extra = ckpt.resume_or_load("weights.pth", resume=True)   # {"iteration": 999} when resuming
    """

    def __init__(
        self,
        model: nn.Module,
        save_dir: str = "",
        *,
        save_to_disk: Optional[bool] = None,
        **checkpointables: Any,
    ) -> None:
        """
        Args:
            model: the model; a (Distributed)DataParallel wrapper is unwrapped.
            save_dir: folder for checkpoints and the ``last_checkpoint`` file; "" disables saving.
            save_to_disk: whether this process writes files; default: only the main process
                (``detectra.utils.comm.is_main_process()``).
            checkpointables: other objects with ``state_dict()`` / ``load_state_dict()`` (optimizer, scheduler,
                data loader, ...), saved under their keyword name.
        """
        if isinstance(model, (DistributedDataParallel, DataParallel)):
            model = model.module
        self.model = model
        self.checkpointables: dict[str, Any] = dict(checkpointables)
        self.logger = logging.getLogger(__name__)
        self.save_dir = save_dir
        self.save_to_disk = comm.is_main_process() if save_to_disk is None else save_to_disk

    # ---------------------------------------------------------------- saving
    def add_checkpointable(self, key: str, checkpointable: Any) -> None:
        """Save and load ``checkpointable`` (an object with ``state_dict`` / ``load_state_dict``) under ``key``.

        Raises:
            KeyError: ``key`` is taken. TypeError: the object has no ``state_dict``.
        """
        if key in self.checkpointables or key == "model":
            raise KeyError(f"Checkpointer already has a checkpointable named '{key}'; pick another key.")
        if not (hasattr(checkpointable, "state_dict") and hasattr(checkpointable, "load_state_dict")):
            raise TypeError(f"'{key}' ({type(checkpointable).__name__}) has no state_dict() / load_state_dict().")
        self.checkpointables[key] = checkpointable

    def save(self, name: str, **kwargs: Any) -> None:
        """Write ``{save_dir}/{name}.pth`` atomically, then point ``last_checkpoint`` at it.

        Args:
            name: file name without extension, e.g. "model_0004999".
            kwargs: extra entries stored in the checkpoint (e.g. ``iteration=4999``); numpy values are converted
                to tensors / Python numbers so that the file loads with ``weights_only=True``.
        """
        if not self.save_dir or not self.save_to_disk:
            return
        data: dict[str, Any] = {"model": self.model.state_dict()}
        for key, obj in self.checkpointables.items():
            data[key] = obj.state_dict()
        data.update(kwargs)
        basename = f"{name}.pth"
        if os.path.basename(basename) != basename:
            raise ValueError(f"Checkpoint name '{name}' must be a plain file name, without folders.")
        data = to_weights_only_safe(data, where=f"checkpoint '{basename}'")  # fail before touching any file
        save_file = os.path.join(self.save_dir, basename)
        self.logger.info(f"Saving checkpoint to {save_file}")
        atomic_torch_save(data, save_file)
        self.tag_last_checkpoint(basename)

    def tag_last_checkpoint(self, last_filename_basename: str) -> None:
        """Atomically record ``last_filename_basename`` as the checkpoint to resume from."""
        if not self.save_to_disk:
            return
        path = os.path.join(self.save_dir, _LAST_CHECKPOINT)
        atomic_write(path, lambda f: f.write(last_filename_basename.encode("utf-8")))

    # ---------------------------------------------------------------- finding checkpoints
    def has_checkpoint(self) -> bool:
        """Whether ``save_dir`` has a ``last_checkpoint`` file."""
        return bool(self.save_dir) and os.path.isfile(os.path.join(self.save_dir, _LAST_CHECKPOINT))

    def get_checkpoint_file(self) -> str:
        """The path of the latest checkpoint, or "" if there is none."""
        try:
            with open(os.path.join(self.save_dir, _LAST_CHECKPOINT)) as f:
                last_saved = f.read().strip()
        except OSError:
            return ""
        return os.path.join(self.save_dir, last_saved)

    def get_all_checkpoint_files(self) -> list[str]:
        """All ``.pth`` files in ``save_dir``, sorted by name."""
        if not self.save_dir or not os.path.isdir(self.save_dir):
            return []
        return [
            os.path.join(self.save_dir, f)
            for f in sorted(os.listdir(self.save_dir))
            if f.endswith(".pth") and os.path.isfile(os.path.join(self.save_dir, f))
        ]

    # ---------------------------------------------------------------- loading
    def resume_or_load(self, path: str, *, resume: bool = True) -> dict[str, Any]:
        """Resume from the last checkpoint in ``save_dir`` if ``resume`` and one exists; else load ``path``'s
        model weights only (checkpointables such as the optimizer keep their state). Either way, first remove the
        temporary files an interrupted save left in ``save_dir``.

        Returns:
            The checkpoint's entries not consumed by the model or checkpointables (e.g. "iteration").
        """
        if self.save_to_disk:
            removed = remove_stale_temp_files(self.save_dir)
            if removed:
                self.logger.info(
                    f"Removed {len(removed)} temporary file(s) left in {self.save_dir} by an interrupted save: "
                    + ", ".join(os.path.basename(p) for p in removed[:5])
                )
        if resume and self.has_checkpoint():
            # a resumed model must be the saved one: a shape that differs means the config changed since
            return self.load(self.get_checkpoint_file(), strict=True)
        return self.load(path, checkpointables=[])

    def load(self, path: str, checkpointables: Optional[list[str]] = None, *, strict: bool = False) -> dict[str, Any]:
        """Load a checkpoint into the model and the named checkpointables.

        Args:
            path: a checkpoint file (or, for subclasses, a URL); "" or None: nothing is loaded.
            checkpointables: which checkpointables to restore; None means all of them.
            strict: raise when model weights are missing from the checkpoint or have another shape (the weights
                come from another config: class count, architecture) instead of logging them.

        Returns:
            The checkpoint's remaining entries.

        Raises:
            ValueError: with ``strict``, when the checkpoint does not fit the model.
        """
        if not path:
            self.logger.info("No checkpoint found. Initializing model from scratch")
            return {}
        self.logger.info(f"[Checkpointer] Loading from {path} ...")
        local = self._get_local_path(path)
        _refuse_folder_or_pointer(path, local)
        if not os.path.isfile(local):
            raise FileNotFoundError(
                f"Checkpoint '{path}' not found (looked for the file '{local}'). Check MODEL.WEIGHTS or the path "
                "passed to load(); use an empty string to start from scratch."
            )
        checkpoint = self._load_file(local)
        if "model" not in checkpoint:
            raise ValueError(
                f"Checkpoint '{local}' has no 'model' entry (its entries: {sorted(map(str, checkpoint))[:10]}); "
                "expected {'model': state_dict, ...} or a bare state dict of tensors."
            )
        incompatible = self._load_model(checkpoint, source=local)
        if strict and (incompatible.incorrect_shapes or incompatible.missing_keys):
            shapes = {k: tuple(v.shape) for k, v in self.model.state_dict().items()}
            raise ValueError(_mismatch_message(incompatible, local, shapes))
        if incompatible:
            self._log_incompatible_keys(incompatible, local)
        for key in self.checkpointables if checkpointables is None else checkpointables:
            if key in checkpoint:
                self.logger.info(f"Loading {key} from {local} ...")
                self.checkpointables[key].load_state_dict(checkpoint.pop(key))
        return checkpoint

    def _get_local_path(self, path: str) -> str:
        return path

    def _load_file(self, filename: str) -> dict[str, Any]:
        """Read a checkpoint file into a dict with a "model" entry (subclasses add formats)."""
        loaded = load_torch_file(filename)
        if not isinstance(loaded, dict):
            raise ValueError(f"Checkpoint '{filename}' holds a {type(loaded).__name__}, not a dict.")
        if "model" not in loaded and loaded and all(isinstance(v, torch.Tensor) for v in loaded.values()):
            loaded = {"model": loaded}  # a bare state dict, as torch.save(model.state_dict()) writes it
        return loaded

    def _load_model(self, checkpoint: dict[str, Any], source: str = "") -> IncompatibleKeys:
        """Load ``checkpoint.pop("model")`` non-strictly, skipping tensors whose shape differs from the model's."""
        state_dict = checkpoint.pop("model")
        _as_tensors(state_dict, source)
        _strip_prefix_if_present(state_dict, "module.")
        model_state = self.model.state_dict()
        incorrect_shapes = []
        for key in list(state_dict.keys()):
            if key not in model_state:
                continue
            if isinstance(model_state[key], nn.parameter.UninitializedParameter):
                continue  # lazy modules take their shape from the checkpoint
            shape_model = tuple(model_state[key].shape)
            shape_ckpt = tuple(state_dict[key].shape)
            if shape_model != shape_ckpt:
                incorrect_shapes.append((key, shape_ckpt, shape_model))
                state_dict.pop(key)
        result = self.model.load_state_dict(state_dict, strict=False)
        missing = _drop_tied_missing_keys(self.model, result.missing_keys, set(state_dict))
        return IncompatibleKeys(missing, list(result.unexpected_keys), incorrect_shapes)

    def _log_incompatible_keys(self, incompatible: IncompatibleKeys, source: str) -> None:
        shapes = {k: tuple(v.shape) for k, v in self.model.state_dict().items()}
        self.logger.warning(
            f"The checkpoint '{source}' does not match the model exactly. Missing keys keep their initial "
            "values, unused keys are ignored, and wrong-shape keys are skipped (expected when, e.g., the number "
            "of classes differs):\n" + format_incompatible_keys(incompatible, shapes)
        )


class _Classifier(NamedTuple):
    """A classifier layer whose output rows encode the class count."""

    key: re.Pattern  # matches its weight's key
    config_key: str  # where the config sets the class count
    extra_rows: int = 0  # rows besides the classes (R-CNN's background)
    regressor: Optional[str] = None  # sibling layer whose rows / 4 give the anchors per position
    marker: Optional[str] = None  # sibling layer the model must have for this row to apply


# R-CNN's box predictor has K + 1 rows (the classes and background); RetinaNet's head A * K channels, A read from its
# box regressor's A * 4; FCOS (a LazyConfig model) has RetinaNet's head with one anchor and a centerness branch.
_CLASSIFIERS = (
    _Classifier(re.compile(r"box_predictor(\.\d+)?\.cls_score\.weight$"), "MODEL.ROI_HEADS.NUM_CLASSES", extra_rows=1),
    _Classifier(re.compile(r"(^|\.)head\.cls_score\.weight$"), "model.num_classes of the FCOS LazyConfig",
                marker="ctrness.weight"),
    _Classifier(re.compile(r"(^|\.)head\.cls_score\.weight$"), "MODEL.RETINANET.NUM_CLASSES",
                regressor="bbox_pred.weight"),
)  # fmt: skip


def _class_count_mismatch(key: str, ckpt_rows: int, model_rows: int, model_shapes: dict[str, tuple]) -> Optional[str]:
    """"the checkpoint has N classes, the model M (CONFIG.KEY)" when ``key`` is a layer of `_CLASSIFIERS`."""
    prefix = key.rsplit("cls_score.weight", 1)[0]
    for layer in _CLASSIFIERS:
        if not layer.key.search(key) or (layer.marker and prefix + layer.marker not in model_shapes):
            continue
        anchors = 1
        if layer.regressor is not None:
            regressor_shape = model_shapes.get(prefix + layer.regressor)
            anchors = regressor_shape[0] // 4 if regressor_shape and regressor_shape[0] >= 4 else 1
        ckpt, model = ((rows - layer.extra_rows) // anchors for rows in (ckpt_rows, model_rows))
        return f"the checkpoint has {ckpt} classes, the model {model} ({layer.config_key})"
    return None


def _mismatch_message(incompatible: IncompatibleKeys, source: str, model_shapes: dict[str, tuple]) -> str:
    parts = []
    if incompatible.incorrect_shapes:
        key, ckpt_shape, model_shape = sorted(incompatible.incorrect_shapes)[0]
        parts.append(f"{len(incompatible.incorrect_shapes)} weight(s) have another shape (e.g. {key}: "
                     f"{tuple(ckpt_shape)} in the checkpoint, {tuple(model_shape)} in the model)")  # fmt: skip
        for key, ckpt_shape, model_shape in incompatible.incorrect_shapes:
            classes = _class_count_mismatch(key, ckpt_shape[0], model_shape[0], model_shapes)
            if classes:
                parts.append(classes)
    if incompatible.missing_keys:
        parts.append(f"{len(incompatible.missing_keys)} model weight(s) are not in it (e.g. "
                     f"{', '.join(sorted(incompatible.missing_keys)[:3])})")  # fmt: skip
    return (
        f"Checkpoint '{source}' does not fit the model built from the config: {'; '.join(parts)}. The config is "
        "not the one these weights were trained with (class count, architecture): use that run's config.yaml, "
        "or train a new run in another folder."
    )


def _drop_tied_missing_keys(model: nn.Module, missing: list[str], loaded: set[str]) -> list[str]:
    # A parameter shared by two modules appears under two names; loading one of them loads both.
    by_key = model.state_dict(keep_vars=True)
    loaded_ids = {id(by_key[k]) for k in loaded if k in by_key}
    return [k for k in missing if k not in by_key or id(by_key[k]) not in loaded_ids]


class PeriodicCheckpointer:
    """Save a checkpoint every ``period`` iterations and a final one at ``max_iter - 1``.

    Files are ``{file_prefix}_{iteration:07d}.pth`` and ``{file_prefix}_final.pth``; with ``max_to_keep``, older
    periodic files written by this object are deleted (never the final one).
    """

    def __init__(
        self,
        checkpointer: Checkpointer,
        period: int,
        max_iter: Optional[int] = None,
        max_to_keep: Optional[int] = None,
        file_prefix: str = "model",
    ) -> None:
        """
        Args:
            checkpointer: what saves.
            period: save when ``(iteration + 1) % period == 0``.
            max_iter: if given, save ``{file_prefix}_final`` when ``iteration >= max_iter - 1``.
            max_to_keep: how many periodic checkpoints to keep; None keeps all.
            file_prefix: checkpoint name prefix.
        """
        if int(period) <= 0:
            raise ValueError(f"PeriodicCheckpointer: period must be a positive number of iterations, got {period}.")
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"PeriodicCheckpointer: max_to_keep must be positive or None, got {max_to_keep}.")
        self.checkpointer = checkpointer
        self.period = int(period)
        self.max_iter = max_iter
        self.max_to_keep = max_to_keep
        self.file_prefix = file_prefix
        self.recent_checkpoints: list[str] = []

    def step(self, iteration: int, **kwargs: Any) -> None:
        """Call after every iteration; saves when due, with ``iteration`` and ``kwargs`` in the checkpoint."""
        iteration = int(iteration)
        extra = {"iteration": iteration, **kwargs}
        if (iteration + 1) % self.period == 0:
            self.checkpointer.save(f"{self.file_prefix}_{iteration:07d}", **extra)
            if self.max_to_keep is not None:
                self.recent_checkpoints.append(self.checkpointer.get_checkpoint_file())
                if len(self.recent_checkpoints) > self.max_to_keep:
                    old = self.recent_checkpoints.pop(0)
                    if os.path.isfile(old) and not old.endswith(f"{self.file_prefix}_final.pth"):
                        os.remove(old)
        if self.max_iter is not None and iteration >= self.max_iter - 1:
            self.checkpointer.save(f"{self.file_prefix}_final", **extra)

    def save(self, name: str, **kwargs: Any) -> None:
        """Save now under ``name`` (forwarded to the checkpointer)."""
        self.checkpointer.save(name, **kwargs)
