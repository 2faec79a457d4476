"""The parts of Detectron2's bundled projects that libraries built on Detectron2 import.

A pip-installed Detectron2 ships three projects as ``detectron2.projects.<name>``. Mask2Former, MaskFormer,
OneFormer and their descendants import two of them for shared utilities rather than for the models:

- :mod:`detectra.projects.point_rend.point_features`: sampling features at continuous points, and picking the most
  uncertain points of a mask (the point losses of query-based segmenters);
- :mod:`detectra.projects.deeplab`: the DeepLab config keys and the warmup + poly learning-rate schedule.

The PointRend and DeepLab models themselves (heads, backbones, their configs' meta-architectures) are not part of
detectra; importing one of their names raises an ImportError that says so.
"""

__all__: list[str] = []  # the projects are imported by their own names: detectra.projects.point_rend, .deeplab
