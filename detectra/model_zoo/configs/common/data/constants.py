"""Pixel statistics shared by the LazyConfig models (``from ..common.data.constants import constants``).

MSRA / Detectron1 ImageNet models fold the std into their first conv, hence a BGR std of 1; other models
normalise with the ImageNet std ([57.375, 57.120, 58.395] in BGR).
"""
constants = dict(
    imagenet_rgb256_mean=[123.675, 116.28, 103.53],
    imagenet_rgb256_std=[58.395, 57.12, 57.375],
    imagenet_bgr256_mean=[103.530, 116.280, 123.675],
    imagenet_bgr256_std=[1.0, 1.0, 1.0],
)
