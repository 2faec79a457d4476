"""Name -> object registries, used to pick architectures and heads from config strings."""
from __future__ import annotations

import difflib
from typing import Any, Callable, Iterator, Optional

__all__ = ["Registry", "locate"]


class Registry:
    """A mapping from names to classes or functions, filled with ``@REG.register()`` or ``REG.register(obj)``.

    Example:
        BACKBONE_REGISTRY = Registry("BACKBONE")

        @BACKBONE_REGISTRY.register()
        def build_my_backbone(cfg, input_shape): ...
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._obj_map: dict[str, Any] = {}

    def _do_register(self, name: str, obj: Any) -> None:
        if name in self._obj_map and self._obj_map[name] is not obj:
            raise KeyError(f"An object named '{name}' is already registered in the '{self._name}' registry.")
        self._obj_map[name] = obj

    def register(self, obj: Any = None, *, name: Optional[str] = None) -> Any:
        """Register ``obj`` under ``name`` (default: its ``__name__``); without ``obj``, return a decorator."""
        if obj is None:

            def deco(func_or_class: Callable) -> Callable:
                self._do_register(name or func_or_class.__name__, func_or_class)
                return func_or_class

            return deco
        self._do_register(name or obj.__name__, obj)
        return obj

    def get(self, name: str) -> Any:
        ret = self._obj_map.get(name)
        if ret is None:
            close = difflib.get_close_matches(name, self._obj_map.keys(), n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise KeyError(
                f"No object named '{name}' found in the '{self._name}' registry.{hint} "
                f"Registered names: {', '.join(sorted(self._obj_map)) or '(none)'}."
            )
        return ret

    def __contains__(self, name: str) -> bool:
        return name in self._obj_map

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self._obj_map.items())

    def __len__(self) -> int:
        return len(self._obj_map)

    def __repr__(self) -> str:
        return f"Registry(name={self._name!r}, names={sorted(self._obj_map)})"


def locate(name: str) -> Any:
    """Import the object at the dotted path ``name`` (``"module.sub.Class.attr"``); Detectron2 paths are read as
    detectra's. See :func:`detectra.config.instantiate.locate`."""
    from detectra.config.instantiate import locate as _locate  # config imports this module: import on use

    return _locate(name)
