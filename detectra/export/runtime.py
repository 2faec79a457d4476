"""Run an exported model (ONNX in onnxruntime, a torch.export ``.pt2``, an AOTInductor package, a traced TorchScript
file) and get the same
result dicts as the eager model in eval mode: ``[{"instances": Instances, ...}]``, so `Visualizer` and the evaluators
take them unchanged. No detectra model code runs: only the graph and `postprocess_outputs`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import torch

from .deploy import postprocess_outputs
from .exporters import sidecar_path
from .flatten import schema_from_dict

__all__ = ["ExportedModel"]


class ExportedModel:
    """An exported detectra model, called like the eager model in eval mode.

    Args:
        path: the exported file (``.onnx``, ``.pt2`` (torch.export program or AOTInductor package) or a TorchScript
            file); its ``<path>.json`` sidecar must sit
            next to it (`detectra export` writes both).
        num_threads: CPU threads of onnxruntime (0: its default).

    Attributes:
        sidecar (dict): the sidecar's content (class names, input format, pixel statistics, resize rule, ...).
        precision (str): the graph's compute dtype, "float32" or "bfloat16" (its outputs are float32 either way).
    """

    def __init__(self, path: str | Path, num_threads: int = 0):
        self.path = Path(path)
        meta_path = sidecar_path(self.path)
        if not self.path.is_file():
            raise FileNotFoundError(f"Exported model {self.path} not found.")
        if not meta_path.is_file():
            raise FileNotFoundError(
                f"{meta_path} not found: an exported model needs the json sidecar that `detectra export` writes next "
                "to it (it says how to read the outputs). Re-export the model, or copy the sidecar along."
            )
        self.sidecar: Dict[str, Any] = json.loads(meta_path.read_text())
        self.outputs_schema = schema_from_dict(self.sidecar["outputs_schema"])
        self.format = self.sidecar["format"]
        # sidecars written before bfloat16 exports existed say "fp32" (the command-line name)
        self.precision = {"fp32": "float32"}.get(self.sidecar.get("precision"), self.sidecar.get("precision", "float32"))
        # the graph takes the example's dtype (a .pt2 checks it): data loaders give uint8, predictors float32
        self._dtype = getattr(torch, self.sidecar["input"]["dtype"])
        if self.path.suffix == ".onnx":
            self._run = self._onnxruntime(num_threads)
        elif self.format == "torch-export":
            program = torch.export.load(str(self.path))
            module = program.module()
            self._run = lambda image: tuple(module(image))
        elif self.format == "aoti":
            from torch._inductor import aoti_load_package

            runner = aoti_load_package(str(self.path))
            self._run = lambda image: tuple(runner(image))
        else:
            module = torch.jit.load(str(self.path))
            self._run = lambda image: tuple(module(image))

    def _onnxruntime(self, num_threads: int):
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise ImportError(
                f"Running {self.path} needs onnxruntime: pip install 'detectra[export]' (or onnxruntime)."
            ) from e
        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name

        def run(image: torch.Tensor) -> Tuple[torch.Tensor, ...]:
            array = image.cpu().numpy()
            return tuple(torch.from_numpy(np.asarray(x)) for x in session.run(None, {input_name: array}))

        return run

    def raw_outputs(self, image: torch.Tensor) -> Dict[str, Any]:
        """The graph's outputs for one image (Tensor[C, H, W]), rebuilt into structures at the network's
        resolution (before `postprocess_outputs`)."""
        fixed_hw = None if self.sidecar["input"].get("dynamic_hw", True) else self.sidecar["input"].get("example_hw")
        if fixed_hw and list(image.shape[-2:]) != list(fixed_hw):
            raise ValueError(
                f"{self.path} was exported for {fixed_hw[0]}x{fixed_hw[1]} (height x width) images only (without "
                f"--dynamic), and this image is {image.shape[-2]}x{image.shape[-1]} after resizing: export it again "
                "with --dynamic (export_model(..., dynamic=True)) to run it on images of any size."
            )
        return self.outputs_schema(self._run(image.to(self._dtype)))

    @torch.no_grad()
    def __call__(self, batched_inputs: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Args:
            batched_inputs: per image, ``{"image": Tensor[C, H, W], optional "height", "width"}`` as the eager model
                takes them (images in the sidecar's input format, resized by its resize rule).

        Returns:
            per image, the eager model's result dict.
        """
        results = []
        for inputs in batched_inputs:
            outputs = self.raw_outputs(inputs["image"])
            results.extend(postprocess_outputs(outputs, [inputs], self.sidecar))
        return results
