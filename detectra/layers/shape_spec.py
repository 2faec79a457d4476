from dataclasses import dataclass
from typing import Optional

__all__ = ["ShapeSpec"]


@dataclass
class ShapeSpec:
    """Shape of a tensor, without a batch dimension; lets heads be built from a backbone's
    ``output_shape()`` without running it. Every field is optional."""

    channels: Optional[int] = None
    height: Optional[int] = None
    width: Optional[int] = None
    stride: Optional[int] = None
