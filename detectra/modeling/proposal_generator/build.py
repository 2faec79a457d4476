"""`PROPOSAL_GENERATOR_REGISTRY` and `build_proposal_generator`."""
from typing import Dict, Optional

from torch import nn

from detectra.layers import ShapeSpec
from detectra.utils.registry import Registry

__all__ = ["PROPOSAL_GENERATOR_REGISTRY", "build_proposal_generator"]

PROPOSAL_GENERATOR_REGISTRY = Registry("PROPOSAL_GENERATOR")
PROPOSAL_GENERATOR_REGISTRY.__doc__ = """Proposal generators: ``cls(cfg, input_shape: Dict[str, ShapeSpec])``."""


def build_proposal_generator(cfg, input_shape: Dict[str, ShapeSpec]) -> Optional[nn.Module]:
    """Build ``cfg.MODEL.PROPOSAL_GENERATOR.NAME``; "PrecomputedProposals" returns None (proposals come with the
    inputs)."""
    name = cfg.MODEL.PROPOSAL_GENERATOR.NAME
    if name == "PrecomputedProposals":
        return None
    return PROPOSAL_GENERATOR_REGISTRY.get(name)(cfg, input_shape)
