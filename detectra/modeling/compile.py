"""``cfg.MODEL.COMPILE`` (``train.compile`` of a LazyConfig): `torch.compile` the parts of a model with regular shapes, with a fallback to eager mode.

Only the backbone and the ROI heads' box / mask heads are compiled: they are pure tensor programs on a few input
shapes, where Inductor fuses norms, activations and residual adds into the convolutions. Proposal selection, NMS and
the `Instances` bookkeeping stay eager (data-dependent shapes would recompile at every image). Compilation happens in
place (each part's ``forward`` is replaced), so state dicts, checkpoints and ``model.train()/eval()`` are unchanged.
If the platform cannot compile, or compiling a part fails at its first call, a warning says why and that part runs
eagerly from then on.
"""
from __future__ import annotations

import logging
import shutil
import sys
from typing import Any, Callable, List, Optional, Tuple

import torch
from torch import nn

__all__ = ["compile_model", "compile_unsupported_reason"]

logger = logging.getLogger(__name__)


def compile_unsupported_reason(device: torch.device, backend: str = "inductor") -> Optional[str]:
    """Why `torch.compile` cannot run on this platform, or None when it should."""
    if not hasattr(torch, "compile"):
        return f"torch {torch.__version__} has no torch.compile"
    from torch import _dynamo

    if not _dynamo.is_dynamo_supported():
        return f"TorchDynamo does not support Python {sys.version.split()[0]} on {sys.platform} with this torch build"
    if backend == "inductor" and device.type == "cpu" and not any(shutil.which(c) for c in ("c++", "g++", "clang++", "cl")):
        return "Inductor needs a C++ compiler for CPU code and none was found on PATH (install g++ or clang)"
    return None


class _CompiledOrEager:
    """A module's forward through `torch.compile`; after the first compile failure, the eager forward."""

    def __init__(self, name: str, forward: Callable, backend: str, config_key: str):
        self.name = name
        self.config_key = config_key
        self.eager = forward
        self.compiled = torch.compile(forward, backend=backend, dynamic=None)
        self.failed = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.failed:
            try:
                return self.compiled(*args, **kwargs)
            except Exception as e:  # compile errors surface at the first call; a genuine error reappears below
                self.failed = True
                first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                logger.warning(
                    f"{self.config_key}: torch.compile failed on '{self.name}' ({type(e).__name__}: {first_line}); "
                    f"running it eagerly from now on. Set {self.config_key} to False to skip compiling."
                )
        return self.eager(*args, **kwargs)


def _targets(model: nn.Module) -> List[Tuple[str, nn.Module]]:
    names = ["backbone", "roi_heads.box_head", "roi_heads.mask_head", "roi_heads.keypoint_head"]
    modules = dict(model.named_modules())
    return [(name, modules[name]) for name in names if isinstance(modules.get(name), nn.Module)]


def compile_model(model: nn.Module, backend: str = "inductor", *, config_key: str = "MODEL.COMPILE") -> nn.Module:
    """Compile ``model``'s backbone and ROI-head parts in place (see the module docstring).

    Args:
        model: a built model (e.g. from `build_model`), already on its device.
        backend: `torch.compile` backend ("inductor"; "eager" / "aot_eager" to debug).
        config_key: the config key that asked for compiling, named in the warnings ("train.compile" for a
            LazyConfig).

    Returns:
        ``model`` itself. Nothing is compiled, with a warning saying why, where the platform cannot compile.
    """
    device = next(model.parameters()).device if any(True for _ in model.parameters()) else torch.device("cpu")
    reason = compile_unsupported_reason(device, backend)
    if reason is not None:
        logger.warning(f"{config_key} is on, but torch.compile cannot run here: {reason}. Running eagerly.")
        return model
    targets = _targets(model)
    if not targets:
        logger.warning(f"{config_key}: {type(model).__name__} has no backbone or ROI-head part to compile.")
    for name, module in targets:
        module.forward = _CompiledOrEager(name, module.forward, backend, config_key)
    return model
