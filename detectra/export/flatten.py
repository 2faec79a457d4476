"""Flatten detectra's structured inputs / outputs (lists, dicts, `Instances`, `Boxes`) into tuples of tensors, and
back, so that tracers (`torch.jit.trace`, `torch.onnx.export`, `torch.export`) can take a detectra model.

``flatten_to_tuple(obj)`` returns ``(tensors, schema)``; ``schema(tensors)`` rebuilds ``obj``. `TracingAdapter` wraps a
model so that its forward takes and returns flat tuples of tensors, keeping both schemas for the caller.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
from torch import nn

from detectra.structures import Boxes, Instances, ROIMasks

__all__ = [
    "Schema",
    "ListSchema",
    "TupleSchema",
    "IdentitySchema",
    "DictSchema",
    "InstancesSchema",
    "TensorWrapSchema",
    "flatten_to_tuple",
    "TracingAdapter",
]


def _split(values: Tuple, sizes: List[int]) -> List[Tuple]:
    if len(values) != sum(sizes):
        raise ValueError(f"Schema expects {sum(sizes)} flattened values, got {len(values)}.")
    out, start = [], 0
    for size in sizes:
        out.append(tuple(values[start : start + size]))
        start += size
    return out


@dataclass
class Schema:
    """How to rebuild an object from the flat tuple `flatten` made of it: call the schema on that tuple."""

    @classmethod
    def flatten(cls, obj: Any) -> Tuple[Tuple[torch.Tensor, ...], "Schema"]:
        raise NotImplementedError

    def __call__(self, values: Tuple[torch.Tensor, ...]) -> Any:
        raise NotImplementedError

    def to_dict(self) -> Dict[str, Any]:
        """A json-able description; `schema_from_dict` reverses it."""
        raise NotImplementedError


@dataclass
class ListSchema(Schema):
    """A list whose i-th element has ``schemas[i]`` and ``sizes[i]`` flat values."""

    # defaults only so the fields are also class attributes (as in Detectron2); every schema is built with values
    schemas: List[Schema] = None
    sizes: List[int] = None

    def __call__(self, values):
        return [schema(part) for schema, part in zip(self.schemas, _split(values, self.sizes))]

    @classmethod
    def flatten(cls, obj):
        flat = [flatten_to_tuple(x) for x in obj]
        values = tuple(v for vals, _ in flat for v in vals)
        return values, cls([s for _, s in flat], [len(vals) for vals, _ in flat])

    def to_dict(self):
        return {"type": type(self).__name__, "schemas": [s.to_dict() for s in self.schemas], "sizes": self.sizes}


@dataclass
class TupleSchema(ListSchema):
    """A tuple, flattened like a list."""

    def __call__(self, values):
        return tuple(super().__call__(values))


@dataclass
class IdentitySchema(Schema):
    """A single tensor: flattened to a 1-tuple."""

    def __call__(self, values):
        return values[0]

    @classmethod
    def flatten(cls, obj):
        return (obj,), cls()

    def to_dict(self):
        return {"type": "IdentitySchema"}


@dataclass
class DictSchema(ListSchema):
    """A dict with string keys, flattened in sorted key order."""

    keys: List[str] = None

    def __call__(self, values):
        return dict(zip(self.keys, super().__call__(values)))

    @classmethod
    def flatten(cls, obj):
        for k in obj:
            if not isinstance(k, str):
                raise TypeError(f"Only dicts with string keys can be flattened, got key {k!r}.")
        keys = sorted(obj.keys())
        values, schema = ListSchema.flatten([obj[k] for k in keys])
        return values, cls(schema.schemas, schema.sizes, keys)

    def to_dict(self):
        return {**super().to_dict(), "keys": self.keys}


@dataclass
class InstancesSchema(DictSchema):
    """`Instances`: its fields as a dict, then its image size as one last tensor of shape (2,)."""

    def __call__(self, values):
        image_size, fields = values[-1], values[:-1]
        return Instances(_image_size_from_tensor(image_size), **super().__call__(fields))

    @classmethod
    def flatten(cls, obj):
        values, schema = DictSchema.flatten(obj.get_fields())
        return values + (size_to_tensor(obj.image_size),), cls(schema.schemas, schema.sizes, schema.keys)


def size_to_tensor(size) -> torch.Tensor:
    """(h, w) as Tensor[2] int64. While exporting, h and w are traced 0-dim tensors or symbolic ints: they are
    stacked rather than read, so the size stays part of the graph."""
    if isinstance(size, torch.Tensor):
        return size
    return torch.stack(
        [x.to(torch.int64) if isinstance(x, torch.Tensor) else torch.scalar_tensor(x, dtype=torch.int64) for x in size]
    )


def _image_size_from_tensor(size: torch.Tensor):
    # a traced graph returns the size as a tensor; Python consumers (postprocessing, evaluators) want ints
    if isinstance(size, torch.Tensor) and not (torch.jit.is_tracing() or torch.compiler.is_compiling()):
        return tuple(int(x) for x in size.tolist())
    return size


# classes that wrap one tensor and are rebuilt with ``cls(tensor)``
_TENSOR_WRAPPERS = {"Boxes": Boxes, "ROIMasks": ROIMasks}


@dataclass
class TensorWrapSchema(Schema):
    """A class holding one ``.tensor`` and rebuilt by ``cls(tensor)`` (`Boxes`, `ROIMasks`)."""

    class_name: str = ""

    def __call__(self, values):
        return _TENSOR_WRAPPERS[self.class_name](values[0])

    @classmethod
    def flatten(cls, obj):
        return (obj.tensor,), cls(type(obj).__name__)

    def to_dict(self):
        return {"type": "TensorWrapSchema", "class_name": self.class_name}


def flatten_to_tuple(obj: Any) -> Tuple[Tuple[torch.Tensor, ...], Schema]:
    """Flatten tensors, strings (dropped: they cannot be traced), lists, tuples, dicts, `Instances`, `Boxes` and
    `ROIMasks` into a tuple of tensors.

    Returns:
        (values, schema) with ``schema(values)`` equal to ``obj``.

    Raises:
        TypeError: for any other type.
    """
    if isinstance(obj, torch.Tensor):
        return IdentitySchema.flatten(obj)
    if isinstance(obj, Instances):
        return InstancesSchema.flatten(obj)
    if isinstance(obj, (Boxes, ROIMasks)):
        return TensorWrapSchema.flatten(obj)
    if isinstance(obj, tuple):
        return TupleSchema.flatten(obj)
    if isinstance(obj, list):
        return ListSchema.flatten(obj)
    if isinstance(obj, dict):
        return DictSchema.flatten(obj)
    raise TypeError(
        f"Cannot flatten an object of type {type(obj).__name__}: supported are Tensor, list, tuple, dict (string "
        "keys), Instances, Boxes and ROIMasks."
    )


_SCHEMAS = {
    c.__name__: c for c in (ListSchema, TupleSchema, IdentitySchema, DictSchema, InstancesSchema, TensorWrapSchema)
}


def schema_from_dict(d: Dict[str, Any]) -> Schema:
    """Rebuild a schema from its `Schema.to_dict` description (as stored in an export's json sidecar)."""
    cls = _SCHEMAS.get(d.get("type"))
    if cls is None:
        raise ValueError(f"Unknown schema type {d.get('type')!r}; known: {sorted(_SCHEMAS)}.")
    if cls is IdentitySchema:
        return cls()
    if cls is TensorWrapSchema:
        return cls(d["class_name"])
    schemas = [schema_from_dict(s) for s in d["schemas"]]
    if cls in (DictSchema, InstancesSchema):
        return cls(schemas, list(d["sizes"]), list(d["keys"]))
    return cls(schemas, list(d["sizes"]))


class TracingAdapter(nn.Module):
    """Wrap a model whose inputs / outputs are structures so that its forward takes and returns flat tensor tuples.

    Args:
        model: the model (usually in eval mode).
        inputs: an example of the model's inputs, e.g. ``[{"image": image}]``; a single tensor is a 1-tuple.
        inference_func: ``inference_func(model, *inputs) -> outputs``; default ``model(*inputs)``. Detectron2's
            deployment recipe uses ``lambda model, inputs: model.inference(inputs, do_postprocess=False)``.
        allow_non_tensor: drop non-tensor leaves of the inputs (e.g. "height" / "width" ints) instead of raising;
            they become constants of the trace.

    Attributes:
        flattened_inputs: the example inputs, flattened: pass these to the tracer.
        inputs_schema: rebuilds the structured inputs from flat ones.
        outputs_schema: rebuilds the structured outputs; set by the first forward call (e.g. during tracing).
    """

    flattened_inputs: Tuple[torch.Tensor, ...] = None
    inputs_schema: Schema = None
    outputs_schema: Optional[Schema] = None

    def __init__(
        self,
        model: nn.Module,
        inputs: Any,
        inference_func: Optional[Callable] = None,
        allow_non_tensor: bool = False,
    ):
        super().__init__()
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        self.model = model
        if not isinstance(inputs, tuple):
            inputs = (inputs,)
        self.inputs = inputs
        self.allow_non_tensor = allow_non_tensor
        self.inference_func = inference_func if inference_func is not None else (lambda m, *args: m(*args))
        self.flattened_inputs, self.inputs_schema = _flatten_inputs(inputs, allow_non_tensor)
        self.outputs_schema: Optional[Schema] = None

    def forward(self, *args: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        with torch.no_grad():
            inputs = self.inputs_schema(args)
            outputs = self.inference_func(self.model, *inputs)
            flattened_outputs, schema = flatten_to_tuple(outputs)
            if self.outputs_schema is None:
                self.outputs_schema = schema
            elif self.outputs_schema != schema:
                raise ValueError(
                    "TracingAdapter: the model's outputs changed structure between calls; a trace can only record "
                    f"one structure (first {self.outputs_schema}, now {schema})."
                )
            return flattened_outputs


def _flatten_inputs(inputs: Tuple, allow_non_tensor: bool) -> Tuple[Tuple[torch.Tensor, ...], Schema]:
    if not allow_non_tensor:
        return flatten_to_tuple(inputs)
    # keep the non-tensor leaves aside and put them back when rebuilding
    return _ConstantsSchema.flatten(inputs)


@dataclass
class _ConstantsSchema(Schema):
    """Inputs with non-tensor leaves (ints, strings): tensors are flattened, the rest is kept as constants."""

    template: Any
    num: int

    @classmethod
    def flatten(cls, obj):
        tensors: List[torch.Tensor] = []

        def strip(x):
            if isinstance(x, torch.Tensor):
                tensors.append(x)
                return _Slot(len(tensors) - 1)
            if isinstance(x, (list, tuple)):
                return type(x)(strip(v) for v in x)
            if isinstance(x, dict):
                return {k: strip(v) for k, v in x.items()}
            return x

        template = strip(obj)
        return tuple(tensors), cls(template, len(tensors))

    def __call__(self, values):
        def fill(x):
            if isinstance(x, _Slot):
                return values[x.index]
            if isinstance(x, (list, tuple)):
                return type(x)(fill(v) for v in x)
            if isinstance(x, dict):
                return {k: fill(v) for k, v in x.items()}
            return x

        return fill(self.template)


@dataclass(frozen=True)
class _Slot:
    index: int
