"""Proposal generators: `RPN`, `RRPN` (rotated) and `PROPOSAL_GENERATOR_REGISTRY`."""
from .build import *
from .proposal_utils import *
from .rpn import *
from .rrpn import *

from . import build, proposal_utils, rpn, rrpn

# every submodule here is re-exported whole: the package's API is their `__all__` lists
__all__ = [name for module in (build, proposal_utils, rpn, rrpn) for name in module.__all__]
