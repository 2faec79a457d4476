"""Whether code is being traced by ``torch.fx``, for branches that symbolic tracing cannot follow."""
from __future__ import annotations

import torch
import torch.fx._symbolic_trace as _fx_symbolic_trace

__all__ = ["assert_fx_safe", "is_fx_tracing", "is_fx_tracing_legacy", "tracing_current_exists",
           "tracing_legacy_exists"]  # fmt: skip

# Which of torch.fx's tracing probes this torch has (the public one since torch 1.10; the legacy flag before).
tracing_current_exists = hasattr(torch.fx._symbolic_trace, "is_fx_tracing")
tracing_legacy_exists = hasattr(_fx_symbolic_trace, "_is_fx_tracing_flag")


def is_fx_tracing_legacy() -> bool:
    """The pre-1.10 probe: whether ``torch.fx.symbolic_trace`` has set its module-level flag."""
    return bool(getattr(_fx_symbolic_trace, "_is_fx_tracing_flag", False))


def is_fx_tracing() -> bool:
    """Whether ``torch.fx.symbolic_trace`` is running (False under TorchScript, which cannot call this)."""
    if torch.jit.is_scripting():
        return False
    if tracing_current_exists:
        return torch.fx._symbolic_trace.is_fx_tracing()
    return is_fx_tracing_legacy()


def assert_fx_safe(condition: bool, message: str) -> torch.Tensor:
    """Check ``condition`` (raising ``AssertionError(message)``) in eager mode; under fx tracing, where a traced
    value cannot be branched on, return a placeholder tensor instead, so the check does not break the trace.

    Returns:
        a 0-dim tensor (1 in eager mode after the check passed; a traced placeholder under fx).
    """
    if not is_fx_tracing():
        if isinstance(condition, torch.Tensor):
            condition = bool(condition.all())
        if not condition:
            raise AssertionError(message)
    return torch.ones(())
