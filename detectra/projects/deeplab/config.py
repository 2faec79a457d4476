"""The config keys Detectron2's DeepLab project adds, which segmenters built on Detectron2 also read."""
from typing import Any

__all__ = ["add_deeplab_config"]


def add_deeplab_config(cfg: Any) -> None:
    """Add DeepLab's keys, with Detectron2's defaults, to a yacs config (in place).

    The keys: ``INPUT.CROP.SINGLE_CATEGORY_MAX_AREA``, ``SOLVER.POLY_LR_POWER`` / ``POLY_LR_CONSTANT_ENDING`` (read
    by :func:`detectra.projects.deeplab.build_lr_scheduler` for ``WarmupPolyLR``), ``MODEL.SEM_SEG_HEAD.LOSS_TYPE``,
    ``PROJECT_FEATURES``, ``PROJECT_CHANNELS``, ``ASPP_CHANNELS``, ``ASPP_DILATIONS``, ``ASPP_DROPOUT``,
    ``USE_DEPTHWISE_SEPARABLE_CONV``, and ``MODEL.RESNETS.RES4_DILATION``, ``RES5_MULTI_GRID``, ``STEM_TYPE``.
    """
    # Random crops are retried until no single category covers more than this fraction of the crop.
    cfg.INPUT.CROP.SINGLE_CATEGORY_MAX_AREA = 1.0
    cfg.SOLVER.POLY_LR_POWER = 0.9
    cfg.SOLVER.POLY_LR_CONSTANT_ENDING = 0.0
    cfg.MODEL.SEM_SEG_HEAD.LOSS_TYPE = "hard_pixel_mining"  # or "cross_entropy"
    cfg.MODEL.SEM_SEG_HEAD.PROJECT_FEATURES = ["res2"]
    cfg.MODEL.SEM_SEG_HEAD.PROJECT_CHANNELS = [48]
    cfg.MODEL.SEM_SEG_HEAD.ASPP_CHANNELS = 256
    cfg.MODEL.SEM_SEG_HEAD.ASPP_DILATIONS = [6, 12, 18]
    cfg.MODEL.SEM_SEG_HEAD.ASPP_DROPOUT = 0.1
    cfg.MODEL.SEM_SEG_HEAD.USE_DEPTHWISE_SEPARABLE_CONV = False
    cfg.MODEL.RESNETS.RES4_DILATION = 1
    cfg.MODEL.RESNETS.RES5_MULTI_GRID = [1, 2, 4]
    cfg.MODEL.RESNETS.STEM_TYPE = "deeplab"  # or "basic"
