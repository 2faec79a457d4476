"""Samplers: infinite resumable training streams, inference shards, grouped batches."""
from .distributed_sampler import *
from .grouped_batch_sampler import *

from . import distributed_sampler, grouped_batch_sampler

# every submodule here is re-exported whole: the package's API is their `__all__` lists
__all__ = [name for module in (distributed_sampler, grouped_batch_sampler) for name in module.__all__]
