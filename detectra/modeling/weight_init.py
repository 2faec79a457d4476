"""Weight initialisations used by Detectron2's heads (Caffe2 names), so fresh models start where Detectron2's do."""
from torch import nn

__all__ = ["c2_msra_fill", "c2_xavier_fill"]


def c2_msra_fill(module: nn.Module) -> None:
    """Caffe2's "MSRAFill": Kaiming normal over fan_out (ReLU gain), zero bias.

    Args:
        module: a layer with ``weight`` and optional ``bias``.
    """
    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    if module.bias is not None:
        nn.init.constant_(module.bias, 0)


def c2_xavier_fill(module: nn.Module) -> None:
    """Caffe2's "XavierFill" (uniform in +-sqrt(3 / fan_in)), zero bias.

    Args:
        module: a layer with ``weight`` and optional ``bias``.
    """
    nn.init.kaiming_uniform_(module.weight, a=1)
    if module.bias is not None:
        nn.init.constant_(module.bias, 0)
