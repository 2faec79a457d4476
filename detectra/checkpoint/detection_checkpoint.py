"""The checkpointer detection models use: Detectron2's file formats, URLs and name-matching heuristics."""
from __future__ import annotations

import urllib.parse
from typing import Any, Optional

import torch
from torch import nn

from detectra.checkpoint.c2_model_loading import align_and_update_state_dicts
from detectra.checkpoint.catalog import get_local_path
from detectra.checkpoint.checkpointer import Checkpointer, IncompatibleKeys, _as_tensors
from detectra.checkpoint.safe_io import load_pickle_file, load_torch_file
from detectra.checkpoint.torchvision_loading import convert_torchvision_resnet_names, is_torchvision_resnet

__all__ = ["DetectionCheckpointer"]


class DetectionCheckpointer(Checkpointer):
    """A :class:`Checkpointer` that also reads Detectron2 / Caffe2 / torchvision files and model-zoo URLs.

    Formats ``load`` accepts:

    * ``.pth`` (detectra or Detectron2 training output): ``{"model": state_dict, ...}`` or a bare state dict;
      append ``?matching_heuristics=True`` to the path to match keys by suffix.
    * Detectron2 model-zoo ``.pkl``: ``{"model": {name: ndarray}, "__author__": ..., "matching_heuristics": True}``.
    * Caffe2 / Detectron1 ``.pkl``: ``{"blobs": {blob: ndarray}}`` or a flat ``{blob: ndarray}``; blob names are
      converted and matched by suffix; ``*_momentum`` blobs are dropped.
    * pycls ``.pyth`` files (``{"model_state": ...}``), matched by suffix.
    * A torchvision ResNet state dict (``.pth``): renamed to Detectron2's ResNet names and matched by suffix, so it
      loads into ``backbone.bottom_up``.
    * ``detectron2://...``, ``catalog://...`` and http(s) URLs, through the download cache
      (:mod:`detectra.checkpoint.catalog`).
    """

    def __init__(
        self, model: nn.Module, save_dir: str = "", *, save_to_disk: Optional[bool] = None, **checkpointables: Any
    ) -> None:
        super().__init__(model, save_dir, save_to_disk=save_to_disk, **checkpointables)
        self._heuristics_requested = False

    def load(self, path: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Like :meth:`Checkpointer.load`, with URLs and the ``?matching_heuristics=True`` query understood."""
        self._heuristics_requested = False
        if path:
            parsed = urllib.parse.urlparse(path)
            if parsed.query:
                queries = urllib.parse.parse_qs(parsed.query)
                self._heuristics_requested = queries.get("matching_heuristics", ["False"]) == ["True"]
                path = parsed._replace(query="").geturl()
        if path and path.startswith("torchvision://"):
            self._check_torchvision_input(path)
        return super().load(path, *args, **kwargs)

    def _check_torchvision_input(self, path: str) -> None:
        """torchvision's ImageNet weights expect its RGB mean / std; say so when the model normalises otherwise."""
        from detectra.checkpoint.torchvision_loading import TORCHVISION_INPUT

        mean, std = getattr(self.model, "pixel_mean", None), getattr(self.model, "pixel_std", None)
        if mean is None or std is None:
            return
        want_mean, want_std = TORCHVISION_INPUT["MODEL.PIXEL_MEAN"], TORCHVISION_INPUT["MODEL.PIXEL_STD"]
        if not (torch.allclose(mean.flatten().cpu(), torch.tensor(want_mean), atol=1e-3)
                and torch.allclose(std.flatten().cpu(), torch.tensor(want_std), atol=1e-3)):  # fmt: skip
            self.logger.warning(
                f"{path}: the model normalises with PIXEL_MEAN {mean.flatten().tolist()} / PIXEL_STD "
                f"{std.flatten().tolist()}, but torchvision's ImageNet weights expect RGB input with MODEL.PIXEL_MEAN "
                f"{want_mean}, MODEL.PIXEL_STD {want_std}, INPUT.FORMAT RGB and MODEL.RESNETS.STRIDE_IN_1X1 False; "
                "set those in the config (the detectra command does it by itself).")  # fmt: skip

    def _get_local_path(self, path: str) -> str:
        return get_local_path(path)

    def _load_file(self, filename: str) -> dict[str, Any]:
        if filename.endswith(".pkl"):
            data = load_pickle_file(filename)
            if not isinstance(data, dict):
                raise ValueError(f"Checkpoint '{filename}' holds a {type(data).__name__}, not a dict of weights.")
            if "model" in data and "__author__" in data:
                self.logger.info(f"Reading a file from '{data['__author__']}'")
                return data
            # Caffe2 / Detectron1: detection models keep weights under "blobs", ImageNet backbones are flat.
            blobs = data.get("blobs", data)
            blobs = {k: v for k, v in blobs.items() if not k.endswith("_momentum")}
            return {"model": blobs, "__author__": "Caffe2", "matching_heuristics": True}

        loaded = load_torch_file(filename)
        if not isinstance(loaded, dict):
            raise ValueError(f"Checkpoint '{filename}' holds a {type(loaded).__name__}, not a dict.")
        if filename.endswith(".pyth"):  # pycls (RegNet) files: the only users of this extension
            if "model_state" not in loaded:
                raise ValueError(f"'{filename}' looks like a pycls checkpoint but has no 'model_state' entry.")
            return {"model": loaded["model_state"], "__author__": "pycls", "matching_heuristics": True}
        if "model" not in loaded:
            loaded = {"model": loaded}
        # Only rename when the model does not itself use torchvision's names (e.g. a plain torchvision classifier).
        if is_torchvision_resnet(loaded["model"]) and "conv1.weight" not in self.model.state_dict():
            self.logger.info(f"'{filename}' is a torchvision ResNet state dict; renaming it to Detectron2's names")
            loaded["model"] = convert_torchvision_resnet_names(loaded["model"])
            loaded["__author__"] = "torchvision"
            loaded["matching_heuristics"] = True
        if self._heuristics_requested:
            loaded["matching_heuristics"] = True
        return loaded

    def _load_model(self, checkpoint: dict[str, Any], source: str = "") -> IncompatibleKeys:
        if checkpoint.get("matching_heuristics", False):
            _as_tensors(checkpoint["model"], source)
            checkpoint["model"] = align_and_update_state_dicts(
                self.model.state_dict(),
                checkpoint["model"],
                c2_conversion=checkpoint.get("__author__") == "Caffe2",
            )
        incompatible = super()._load_model(checkpoint, source)

        # pixel_mean / pixel_std come from the config; old checkpoints may lack them.
        own_buffers = dict(self.model.named_buffers(recurse=False))
        missing = [k for k in incompatible.missing_keys if not (k in ("pixel_mean", "pixel_std") and k in own_buffers)]
        # cell anchors were persistent buffers in old Detectron2 checkpoints; they are derived from the config now.
        unexpected = [k for k in incompatible.unexpected_keys if "anchor_generator.cell_anchors" not in k]
        return IncompatibleKeys(missing, unexpected, incompatible.incorrect_shapes)
