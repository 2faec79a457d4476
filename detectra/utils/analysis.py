"""FLOP, activation and parameter counts of a model, on ``torch.utils.flop_counter`` (no fvcore, no JIT tracing).

Units, as in Detectron2 (which counts with fvcore): **one FLOP here is one multiply-add** (a ``k x k`` conv with
``Cin`` input and ``Cout`` output channels costs ``Cin * k * k`` FLOPs per output element, and ``Cout`` per
output pixel more, not twice that). ``torch.utils.flop_counter`` counts a multiply-add as 2; the counts here are
its counts halved. ``detectra analyze`` reports torch's convention (GFLOPs = 2 x multiply-adds) and says so.

The counts come from running the model once on the given inputs (under ``torch.no_grad``): a detector's cost
depends on its input (image size, number of proposals and detections), so average over a few real inputs.
"""
from __future__ import annotations

import copy as _copy
import logging
import typing
from collections import Counter, defaultdict
from typing import Any, Callable

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry

from detectra.evaluation._table import format_table

__all__ = [
    "FlopCountAnalysis",
    "activation_count_operators",
    "flop_count_operators",
    "parameter_count",
    "parameter_count_table",
]

logger = logging.getLogger(__name__)

# Ops that move or reshape data, or are elementwise bookkeeping: they cost no multiply-adds worth reporting and are
# not listed as unsupported.
_FREE_OPS = {
    "view", "_unsafe_view", "reshape", "permute", "transpose", "t", "expand", "squeeze", "unsqueeze", "flatten",
    "clone", "contiguous", "cat", "stack", "split", "split_with_sizes", "chunk", "unbind", "slice", "select",
    "index", "index_select", "gather", "narrow", "detach", "alias", "lift_fresh", "_to_copy", "copy_", "to", "empty",
    "empty_like", "zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "new_zeros", "new_ones",
    "new_full", "new_empty", "arange", "fill_", "zero_", "empty_strided", "nonzero", "masked_select", "sort",
    "argsort", "topk", "max", "min", "argmax", "eq", "ne", "gt", "ge", "lt", "le", "logical_and", "logical_or",
    "logical_not", "where", "clamp", "clamp_min", "clamp_max", "_local_scalar_dense", "sym_size", "sym_stride",
    "as_strided", "repeat", "constant_pad_nd", "stride", "size", "is_nonzero", "item", "scalar_tensor", "roll",
    "flip", "rsub", "floor", "ceil", "round", "floor_divide", "remainder", "bitwise_and", "bitwise_or", "any", "all",
    "unique_dim", "_unique2", "unique_consecutive", "masked_fill", "masked_fill_", "index_put_", "index_put",
    "scatter", "scatter_", "lerp", "sign", "abs", "neg", "resize_", "set_", "_reshape_alias", "unfold", "meshgrid",
    "tensor", "randperm", "rand", "randn", "normal_", "uniform_", "bernoulli_", "cumsum", "bincount", "histc",
    "repeat_interleave", "minimum", "maximum",
}  # fmt: skip
# Elementwise, pooling, normalisation and resampling ops: Detectron2's FLOP counts leave them out (or ignore them)
# as well, since convolutions and matrix products dominate; they are neither counted nor reported as unsupported.
_FREE_OPS |= {
    "relu", "relu_", "add", "add_", "mul", "mul_", "sub", "sub_", "div", "div_", "sigmoid", "sigmoid_", "exp", "log",
    "log2", "sqrt", "rsqrt", "reciprocal", "pow", "tanh", "gelu", "silu", "leaky_relu", "hardtanh", "sin", "cos",
    "softmax", "_softmax", "log_softmax", "_log_softmax", "sum", "mean", "prod", "max_pool2d",
    "max_pool2d_with_indices", "avg_pool2d", "adaptive_avg_pool2d", "_adaptive_avg_pool2d", "batch_norm",
    "native_batch_norm", "_native_batch_norm_legit_no_training", "_native_batch_norm_legit_functional", "group_norm",
    "native_group_norm", "layer_norm", "native_layer_norm", "upsample_nearest2d", "upsample_bilinear2d",
    "_upsample_nearest_exact2d", "_upsample_bilinear2d_aa", "grid_sampler_2d", "nms",
}  # fmt: skip

# Ops whose outputs count as activations (as fvcore does: convolutions and matrix products).
_ACTIVATION_OPS = {"convolution", "_convolution", "mm", "addmm", "bmm", "baddbmm", "matmul", "linear", "einsum"}

_TRACER_WARNING_MODES = ("none", "no_tracer_warning", "all")
_ANCESTOR_MODES = ("owner", "caller")


def _op_name(op: Any) -> str:
    """"convolution" for ``aten.convolution.default`` / its packet / the string "aten::convolution"."""
    if isinstance(op, str):
        return op.split("::")[-1].split(".")[0]
    packet = getattr(op, "overloadpacket", op)
    return str(packet).split(".")[-1]


def _op_packet(name: Any) -> Any:
    if not isinstance(name, str):
        return getattr(name, "overloadpacket", name)
    namespace, _, op = name.replace("::", ".").partition(".")
    return getattr(getattr(torch.ops, namespace), op.split(".")[0])


class _OpRecorder(TorchDispatchMode):
    """Records each op called: its count, and the number of output elements of activation ops."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter = Counter()
        self.activations: Counter = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        out = func(*args, **(kwargs or {}))
        name = _op_name(func)
        self.calls[name] += 1
        if name in _ACTIVATION_OPS and isinstance(out, torch.Tensor):
            self.activations[name] += out.numel()
        return out


def _run(model: nn.Module, inputs: Any) -> Any:
    # Detectron2's convention: a tuple is the positional arguments, anything else (e.g. list[dict]) the only one
    return model(*inputs) if isinstance(inputs, tuple) else model(inputs)


class FlopCountAnalysis:
    """FLOPs (multiply-adds, see the module docstring) of one run of ``model`` on ``inputs``, by module and operator.

    Args:
        model: any ``nn.Module``; a Detectron2-style detector takes ``list[dict]`` inputs.
        inputs: a tuple of positional arguments, or the single argument (e.g. the ``list[dict]`` batch).

    Module names are those of ``model.named_modules()`` ("" is the whole model); operator names are aten names
    without namespace ("convolution", "addmm", "bmm", ...). The model runs once, lazily, on the first query.
    """

    def __init__(self, model: nn.Module, inputs: Any) -> None:
        self._model = model
        self._inputs = inputs
        self._handles: dict[Any, Callable | None] = {}
        self._ancestor_mode = "caller"
        self._tracer_warnings = "no_tracer_warning"
        self._warn_unsupported = True
        self._warn_uncalled = True
        self._result: dict[str, Any] | None = None

    # --- settings (each clears the cached result) ---------------------------------------------------------
    def set_op_handle(self, *args: Any, **kwargs: Any) -> "FlopCountAnalysis":
        """Count op ``name`` with ``handle(*op_args, out_shape, **op_kwargs) -> int`` (in torch's units: 2 per
        multiply-add), or not at all with ``handle=None``. Call as ``set_op_handle("aten::foo", fn)``,
        ``set_op_handle(name1, fn1, name2, fn2)`` or ``set_op_handle(**{"aten::foo": fn})``."""
        if len(args) % 2:
            raise ValueError("set_op_handle takes (name, handle) pairs.")
        pairs = list(zip(args[::2], args[1::2])) + list(kwargs.items())
        for name, handle in pairs:
            self._handles[_op_packet(name)] = handle
        self._result = None
        return self

    def clear_op_handles(self) -> "FlopCountAnalysis":
        """Forget every handle set with :meth:`set_op_handle` (torch's own formulas remain)."""
        self._handles = {}
        self._result = None
        return self

    def ancestor_mode(self, mode: str) -> "FlopCountAnalysis":
        """"owner" or "caller": to which modules an op's FLOPs count. detectra attributes them to every module on
        the call stack, which is both modes' answer unless a module is called from outside its parent."""
        if mode not in _ANCESTOR_MODES:
            raise ValueError(f"ancestor_mode must be one of {_ANCESTOR_MODES}, got '{mode}'.")
        self._ancestor_mode = mode
        return self

    def tracer_warnings(self, mode: str) -> "FlopCountAnalysis":
        """Accepted for fvcore compatibility ("none", "no_tracer_warning", "all"): detectra does not JIT-trace."""
        if mode not in _TRACER_WARNING_MODES:
            raise ValueError(f"tracer_warnings must be one of {_TRACER_WARNING_MODES}, got '{mode}'.")
        self._tracer_warnings = mode
        return self

    def unsupported_ops_warnings(self, enabled: bool) -> "FlopCountAnalysis":
        """Whether to log the ops that have no FLOP formula (on by default)."""
        self._warn_unsupported = enabled
        return self

    def uncalled_modules_warnings(self, enabled: bool) -> "FlopCountAnalysis":
        """Whether to log the submodules that the run never called (on by default)."""
        self._warn_uncalled = enabled
        return self

    def copy(self, new_model: nn.Module | None = None, new_inputs: Any = None) -> "FlopCountAnalysis":
        """The same analysis (settings and handles) of another model and/or inputs."""
        other = _copy.copy(self)
        other._model = self._model if new_model is None else new_model
        other._inputs = self._inputs if new_inputs is None else new_inputs
        other._handles = dict(self._handles)
        other._result = None
        return other

    # --- results ---------------------------------------------------------------------------------------------
    def canonical_module_name(self, name: str) -> str:
        """``name`` as ``model.named_modules()`` spells it; raises ``KeyError`` for a name the model lacks."""
        names = {n for n, _ in self._model.named_modules()}
        if name not in names:
            raise KeyError(f"'{name}' is not a submodule of the model; e.g. {sorted(names)[:5]}.")
        return name

    def total(self, module_name: str = "") -> int:
        """All FLOPs of module ``module_name`` (the whole model by default)."""
        return sum(self.by_operator(module_name).values())

    def by_operator(self, module_name: str = "") -> Counter:
        """FLOPs of ``module_name`` per operator."""
        return Counter(self._analyze()["by_module"].get(self.canonical_module_name(module_name), Counter()))

    def by_module(self) -> Counter:
        """FLOPs of every submodule (0 for those without FLOPs)."""
        by_module = self._analyze()["by_module"]
        return Counter({name: sum(by_module.get(name, Counter()).values()) for name, _ in self._model.named_modules()})

    def by_module_and_operator(self) -> dict[str, Counter]:
        """FLOPs of every submodule per operator."""
        by_module = self._analyze()["by_module"]
        return {name: Counter(by_module.get(name, Counter())) for name, _ in self._model.named_modules()}

    def unsupported_ops(self, module_name: str = "") -> Counter:
        """How often the run called ops with no FLOP formula (data-movement ops excluded); the root module only."""
        self.canonical_module_name(module_name)
        return Counter(self._analyze()["unsupported"]) if module_name == "" else Counter()

    def uncalled_modules(self) -> set[str]:
        """Submodules that the run never called."""
        return set(self._analyze()["uncalled"])

    def _analyze(self) -> dict[str, Any]:
        if self._result is not None:
            return self._result
        called: set[str] = set()
        hooks = [
            m.register_forward_pre_hook(lambda mod, args, name=name: called.add(name))
            for name, m in self._model.named_modules()
        ]
        custom = {op: h for op, h in self._handles.items() if h is not None}
        ignored = {op for op, h in self._handles.items() if h is None}
        counter = FlopCounterMode(display=False, depth=None, custom_mapping=custom)
        recorder = _OpRecorder()
        try:
            with torch.no_grad(), counter, recorder:
                _run(self._model, self._inputs)
        finally:
            for h in hooks:
                h.remove()
        root = type(self._model).__name__
        by_module: dict[str, Counter] = {}
        for path, per_op in counter.get_flop_counts().items():
            if path == "Global" or not (path == root or path.startswith(root + ".")):
                continue
            name = path[len(root) + 1 :]
            by_module[name] = Counter(
                {_op_name(op): n // 2 for op, n in per_op.items() if op not in ignored}  # multiply-adds
            )
        counted = {_op_name(op) for op in flop_registry} | {_op_name(op) for op in self._handles}
        unsupported = {op: n for op, n in recorder.calls.items() if op not in counted and op not in _FREE_OPS}
        uncalled = {name for name, _ in self._model.named_modules() if name not in called}
        if self._warn_unsupported and unsupported:
            logger.warning("Ops without a FLOP formula (not counted): %s", dict(sorted(unsupported.items())))
        if self._warn_uncalled and uncalled:
            logger.info("Submodules not called by this run: %s", sorted(uncalled))
        self._result = {"by_module": by_module, "unsupported": unsupported, "uncalled": uncalled,
                        "activations": recorder.activations}  # fmt: skip
        return self._result


def _detector_inputs(model: nn.Module, inputs: list[dict]) -> Any:
    if not isinstance(inputs, list) or not all(isinstance(x, dict) and "image" in x for x in inputs):
        raise TypeError("Pass a detector's inputs: a list of dicts with an 'image' tensor (Detectron2's format).")
    return [{"image": x["image"]} for x in inputs]  # as Detectron2: the output size is the image's own


def _count_in_eval_mode(model: nn.Module, inputs: list[dict]) -> FlopCountAnalysis:
    was_training = model.training
    model.eval()
    try:
        analysis = FlopCountAnalysis(model, _detector_inputs(model, inputs))
        analysis._analyze()
    finally:
        model.train(was_training)
    return analysis


def flop_count_operators(model: nn.Module, inputs: list[dict], **kwargs: Any) -> typing.DefaultDict[str, float]:
    """GFLOPs (multiply-adds / 1e9) per operator of one inference run of a detector.

    Args:
        model: a detector taking ``list[dict]``; it runs in eval mode (and is put back in its mode afterwards).
        inputs: its inputs; only "image" is used. Average over several inputs for a representative number.
        kwargs: ``{"aten::name": handle}`` pairs, as for :meth:`FlopCountAnalysis.set_op_handle`.
    """
    was_training = model.training
    model.eval()
    try:
        analysis = FlopCountAnalysis(model, _detector_inputs(model, inputs)).set_op_handle(**kwargs)
        counts = analysis.by_operator()
    finally:
        model.train(was_training)
    return defaultdict(float, {op: n / 1e9 for op, n in counts.items()})


def activation_count_operators(model: nn.Module, inputs: list[dict], **kwargs: Any) -> typing.DefaultDict[str, float]:
    """Millions of output elements of the convolutions and matrix products, per operator, of one inference run
    (fvcore's "activations"). Same arguments as :func:`flop_count_operators`; ``kwargs`` are not used."""
    if kwargs:
        logger.warning("activation_count_operators ignores %s: it counts convolution and matmul outputs.", sorted(kwargs))
    counts = _count_in_eval_mode(model, inputs)._analyze()["activations"]
    return defaultdict(float, {op: n / 1e6 for op, n in counts.items()})


def parameter_count(model: nn.Module) -> typing.DefaultDict[str, int]:
    """Number of parameter elements of every parameter and of every module prefix ("" is the whole model)."""
    counts: typing.DefaultDict[str, int] = defaultdict(int)
    for name, param in model.named_parameters():
        parts = name.split(".")
        for depth in range(len(parts) + 1):
            counts[".".join(parts[:depth])] += param.numel()
    return counts


def _human(n: int) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def parameter_count_table(model: nn.Module, max_depth: int = 3) -> str:
    """A table of parameter counts by module, down to ``max_depth`` levels; parameters show their shape."""
    counts = parameter_count(model)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    rows = [["model", _human(counts[""])]]
    for name in sorted(k for k in counts if k):
        depth = name.count(".") + 1
        if depth > max_depth:
            continue
        label = "  " * (depth - 1) + name
        rows.append([label, str(shapes[name]) if name in shapes else _human(counts[name])])
    return format_table(["name", "#elements or shape"], rows)
