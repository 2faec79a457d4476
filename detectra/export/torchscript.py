"""TorchScript helpers: scripting where PyTorch still manages it, and a dump of a compiled module's code and graph."""
import os
from pathlib import Path
from typing import Dict, Union

import torch
from torch import nn

from .torchscript_patch import _SCRIPTING_GONE, freeze_training_mode

__all__ = ["scripting_with_instances", "dump_torchscript_IR"]


def scripting_with_instances(model: nn.Module, fields: Dict[str, type]) -> torch.jit.ScriptModule:
    """Script ``model`` (eval mode) with `torch.jit.script`.

    Scripting is deprecated in PyTorch and detectra's meta-architectures (which pass `Instances` between stages)
    cannot be scripted; plain modules (e.g. a backbone) can.

    Args:
        model: the module to script.
        fields: Detectron2's ``{field name: type}`` of the `Instances` the model uses; accepted for compatibility.

    Raises:
        NotImplementedError: when PyTorch cannot script the model; the message names tracing and torch.export.
    """
    if model.training:
        raise ValueError("scripting_with_instances needs the model in eval mode: call model.eval() first.")
    try:
        with freeze_training_mode(model):
            return torch.jit.script(model)
    except Exception as e:  # torch raises a zoo of frontend errors for unscriptable Python
        # The frontend's messages often start with a blank line; quote the first line that says something.
        said = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
        raise NotImplementedError(
            _SCRIPTING_GONE.format(name=f"scripting_with_instances({type(model).__name__})")
            + f" (torch.jit.script said: {said})"
        ) from e


def dump_torchscript_IR(model: Union[torch.jit.ScriptModule, torch.jit.ScriptFunction], dir: Union[str, Path]) -> None:
    """Write a compiled (traced or scripted) module's code (``model_ts_code.txt``), graph IR (``model_ts_IR.txt``),
    inlined graph (``model_ts_IR_inlined.txt``) and, for modules, its structure (``model.txt``) into ``dir``."""
    if not isinstance(model, (torch.jit.ScriptModule, torch.jit.ScriptFunction)):
        raise TypeError(
            f"dump_torchscript_IR takes a traced or scripted module, got {type(model).__name__}: trace it first "
            "(detectra.export.TracingAdapter + torch.jit.trace)."
        )
    os.makedirs(dir, exist_ok=True)
    dir = Path(dir)
    if isinstance(model, torch.jit.ScriptModule):
        code = [f"# {name or '<root>'}\n{m.code}" for name, m in model.named_modules() if hasattr(m, "code")]
        (dir / "model_ts_code.txt").write_text("\n".join(code))
        (dir / "model.txt").write_text(str(model))
    else:
        (dir / "model_ts_code.txt").write_text(model.code)
    (dir / "model_ts_IR.txt").write_text(str(model.graph))
    (dir / "model_ts_IR_inlined.txt").write_text(str(model.inlined_graph))
