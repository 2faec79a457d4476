"""``get_cfg`` / ``global_cfg`` and the ``configurable`` decorator (Detectron2's ``detectron2.config.config``)."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional

from .cfg_node import CfgNode
from .defaults import _C

__all__ = ["CfgNode", "configurable", "get_cfg", "global_cfg", "set_global_cfg"]


def get_cfg() -> CfgNode:
    """A fresh copy of the default config: every Detectron2 key with its default value, plus detectra additions.

    Returns:
        a mutable ``CfgNode``; changing it does not change the defaults.
    """
    return _C.clone()


# A config readable from anywhere, for quick experiments (Detectron2's ``global_cfg``); empty until set.
global_cfg = CfgNode()


def set_global_cfg(cfg: CfgNode) -> None:
    """Replace the content of ``global_cfg`` by ``cfg``'s (``global_cfg`` stays the same object).

    Meant for research code that reads ``global_cfg.GLOBAL.HACK`` deep inside modules without plumbing ``cfg``.
    """
    global_cfg.clear()
    global_cfg.update(cfg)


def configurable(init_func: Optional[Callable] = None, *, from_config: Optional[Callable] = None) -> Callable:
    """Let a class ``__init__`` or a function be called with explicit arguments, or with a config.

    On ``__init__`` (the class then needs a ``from_config(cls, cfg, ...)`` classmethod returning a dict of
    ``__init__`` keyword arguments)::

        class A:
            @configurable
            def __init__(self, a, b=2, c=3): ...

            @classmethod
            def from_config(cls, cfg):
                return {"a": cfg.A, "b": cfg.B}

        A(a=1, b=2)           # explicit arguments
        A(cfg)                # __init__(**A.from_config(cfg))
        A(cfg, b=3, c=4)      # from_config(cfg, b=3) if it takes b, else its result updated with b=3; c=4 too

    On a function, pass ``from_config`` (whose first argument is ``cfg``)::

        @configurable(from_config=lambda cfg: {"a": cfg.A})
        def build(a, b=2): ...

    A call counts as "with a config" when the first positional argument, or the ``cfg`` keyword, is a
    ``CfgNode`` or an OmegaConf ``DictConfig``.
    """
    if init_func is not None:
        if not (inspect.isfunction(init_func) and from_config is None and init_func.__name__ == "__init__"):
            raise TypeError(
                "Incorrect use of @configurable: use @configurable on __init__, or "
                "@configurable(from_config=fn) on a function."
            )

        @functools.wraps(init_func)
        def wrapped_init(self: Any, *args: Any, **kwargs: Any) -> None:
            from_config_func = getattr(type(self), "from_config", None)
            if from_config_func is None:
                raise AttributeError(
                    f"{type(self).__name__} uses @configurable, so it must define a 'from_config' classmethod."
                )
            if not inspect.ismethod(from_config_func):
                raise TypeError(
                    f"{type(self).__name__}.from_config must be a classmethod (decorate it with @classmethod)."
                )
            if _called_with_cfg(*args, **kwargs):
                init_func(self, **_get_args_from_config(from_config_func, *args, **kwargs))
            else:
                init_func(self, *args, **kwargs)

        return wrapped_init

    if from_config is None:
        return configurable  # "@configurable()" means the same as "@configurable"
    if not inspect.isfunction(from_config):
        raise TypeError(f"from_config argument of configurable must be a function, got {type(from_config)}.")

    def decorator(orig_func: Callable) -> Callable:
        @functools.wraps(orig_func)
        def wrapped_func(*args: Any, **kwargs: Any) -> Any:
            if _called_with_cfg(*args, **kwargs):
                return orig_func(**_get_args_from_config(from_config, *args, **kwargs))
            return orig_func(*args, **kwargs)

        wrapped_func.from_config = from_config  # type: ignore[attr-defined]
        return wrapped_func

    return decorator


def _called_with_cfg(*args: Any, **kwargs: Any) -> bool:
    from omegaconf import DictConfig

    if args and isinstance(args[0], (CfgNode, DictConfig)):
        return True
    # from_config's first argument must be named "cfg", so this covers the keyword form.
    return isinstance(kwargs.get("cfg"), (CfgNode, DictConfig))


def _get_args_from_config(from_config_func: Callable, *args: Any, **kwargs: Any) -> dict:
    """Call ``from_config`` with the arguments it accepts; pass the others straight through to the target."""
    signature = inspect.signature(from_config_func)
    params = signature.parameters
    if next(iter(params), None) != "cfg":
        if inspect.isfunction(from_config_func):
            name = from_config_func.__name__
        else:
            name = f"{from_config_func.__self__}.from_config"
        raise TypeError(f"{name} must take 'cfg' as its first argument.")
    takes_var_args = any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params.values())
    if takes_var_args:
        return from_config_func(*args, **kwargs)
    extra_kwargs = {name: kwargs.pop(name) for name in list(kwargs) if name not in params}
    ret = from_config_func(*args, **kwargs)
    if not isinstance(ret, dict):
        raise TypeError(f"from_config must return a dict of keyword arguments, got {type(ret).__name__}.")
    ret.update(extra_kwargs)
    return ret
