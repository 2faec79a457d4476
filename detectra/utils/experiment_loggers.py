"""Event writers for experiment trackers, next to `JSONWriter` and `TensorboardXWriter`: Weights & Biases and
MLflow. Each logs the config once, then the scalars (losses, lr, evaluation metrics: the final ones included)
and the images the run records. Both packages are optional (``pip install 'detectra[wandb]'`` / ``[mlflow]``);
their own environment variables (``WANDB_MODE=offline``, ``WANDB_PROJECT``, ``MLFLOW_TRACKING_URI``,
``MLFLOW_EXPERIMENT_NAME``) apply as usual."""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional

import numpy as np
import torch

from detectra.utils.events import EventWriter, get_event_storage

__all__ = ["MLflowWriter", "WandbWriter", "flatten_config"]


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"the {extra} logger needs the '{module}' package: pip install 'detectra[{extra}]' "
                          f"(or pip install {extra if extra != 'mlflow' else 'mlflow-skinny'}).") from None  # fmt: skip


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"MODEL": {"WEIGHTS": ""}}`` -> ``{"MODEL.WEIGHTS": ""}`` (lists and tuples kept as values)."""
    out: dict[str, Any] = {}
    for k, v in config.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten_config(v, key + "."))
        else:
            out[key] = v
    return out


def _hwc_uint8(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """A (3, H, W) image as `EventStorage.put_image` takes it (float in [0, 1] or uint8) -> (H, W, 3) uint8."""
    arr = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(1, 2, 0)
    if arr.dtype != np.uint8:
        arr = np.clip(arr * 255.0 if arr.max() <= 1.0 else arr, 0, 255).astype(np.uint8)
    return arr


class _TrackerWriter(EventWriter):
    """New scalars (by iteration) and queued images of the event storage, handed to ``_log_scalars`` /
    ``_log_image``. Images stay queued for the other writers (TensorboardXWriter drops them after export)."""

    def __init__(self, window_size: int = 20) -> None:
        self._window_size = window_size
        self._last_write = -1
        self._images_seen = 0

    def write(self) -> None:
        storage = get_event_storage()
        by_iter: dict[int, dict[str, float]] = {}
        for k, (v, itr) in storage.latest_with_smoothing_hint(self._window_size).items():
            if itr > self._last_write:
                by_iter.setdefault(itr, {})[k] = float(v)
        for itr in sorted(by_iter):
            self._log_scalars(by_iter[itr], itr)
        self._last_write = max([self._last_write, *by_iter])
        for name, image, step in storage._vis_data:
            self._log_image(name, _hwc_uint8(image), step)

    def _log_scalars(self, values: dict[str, float], step: int) -> None:
        raise NotImplementedError

    def _log_image(self, name: str, image: np.ndarray, step: int) -> None:
        raise NotImplementedError


class WandbWriter(_TrackerWriter):
    """Log to Weights & Biases: ``wandb.init`` with the config, ``run.log`` per iteration, images as
    ``wandb.Image``. Offline runs (``WANDB_MODE=offline`` or ``mode="offline"``) write only under ``dir``."""

    def __init__(
        self, *, project: Optional[str] = None, name: Optional[str] = None, config: Optional[Mapping] = None,
        dir: Optional[str] = None, mode: Optional[str] = None, window_size: int = 20, **init_kwargs: Any,
    ) -> None:  # fmt: skip
        """
        Args:
            project: the W&B project (default: WANDB_PROJECT, else "detectra").
            name: the run's name.
            config: the run's config (a nested dict, e.g. ``yaml.safe_load(cfg.dump())``).
            dir: where W&B keeps its files (e.g. OUTPUT_DIR).
            mode: "online", "offline" or "disabled" (default: WANDB_MODE, else online).
            window_size: window of the median for smoothed scalars.
            init_kwargs: passed to ``wandb.init``.
        """
        super().__init__(window_size)
        import os

        self._wandb = _require("wandb", "wandb")
        self.run = self._wandb.init(project=project or os.environ.get("WANDB_PROJECT", "detectra"), name=name,
                                    config=dict(config or {}), dir=dir, mode=mode, **init_kwargs)  # fmt: skip

    def _log_scalars(self, values: dict[str, float], step: int) -> None:
        self.run.log(values, step=step)

    def _log_image(self, name: str, image: np.ndarray, step: int) -> None:
        self.run.log({name: self._wandb.Image(image)}, step=step)

    def close(self) -> None:
        self.run.finish()


class MLflowWriter(_TrackerWriter):
    """Log to MLflow: a run with the config as parameters and as ``config.yaml``, metrics per iteration, images
    as PNG artifacts under ``images/``."""

    # MLflow names: letters, digits, and _ - . space / only
    _BAD = re.compile(r"[^0-9A-Za-z_\-. /]")

    def __init__(
        self, *, tracking_uri: Optional[str] = None, experiment: Optional[str] = None, run_name: Optional[str] = None,
        config: Optional[Mapping] = None, window_size: int = 20,
    ) -> None:  # fmt: skip
        """
        Args:
            tracking_uri: e.g. ``file:/path/mlruns`` or ``http://server:5000`` (default: MLFLOW_TRACKING_URI,
                else MLflow's default, ./mlruns).
            experiment: the experiment's name (default: MLFLOW_EXPERIMENT_NAME, else "detectra").
            run_name: the run's name.
            config: the run's config (a nested dict).
            window_size: window of the median for smoothed scalars.
        """
        super().__init__(window_size)
        import os

        mlflow = self._mlflow = _require("mlflow", "mlflow")
        # the variable explicitly: a URI set earlier in this process would otherwise take precedence over it
        tracking_uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        if tracking_uri:
            mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_experiment(experiment or os.environ.get("MLFLOW_EXPERIMENT_NAME", "detectra"))
        self.run = mlflow.start_run(run_name=run_name)
        if config:
            params = {self._name(k): str(v)[:500] for k, v in flatten_config(config).items()}
            items = sorted(params.items())
            for i in range(0, len(items), 100):  # MLflow takes at most 100 parameters per call
                mlflow.log_params(dict(items[i : i + 100]))
            mlflow.log_dict(dict(config), "config.yaml")

    def _name(self, key: str) -> str:
        return self._BAD.sub("_", key)

    def _log_scalars(self, values: dict[str, float], step: int) -> None:
        finite = {self._name(k): v for k, v in values.items() if np.isfinite(v)}  # MLflow rejects NaN in some stores
        if finite:
            self._mlflow.log_metrics(finite, step=step)

    def _log_image(self, name: str, image: np.ndarray, step: int) -> None:
        self._mlflow.log_image(image, f"images/{self._name(name).replace('/', '_')}_{step:07d}.png")

    def close(self) -> None:
        self._mlflow.end_run()
