#!/usr/bin/env python
"""Train and evaluate a LazyConfig (``.py``) model: Detectron2's ``tools/lazyconfig_train_net.py`` pattern.

Everything is built from the config with ``instantiate``: ``cfg.model``, ``cfg.optimizer`` (its ``params.model``
set to the model first), ``cfg.dataloader.train`` / ``.test`` / ``.evaluator`` and ``cfg.lr_multiplier``; the
loop is `SimpleTrainer` (or `AMPTrainer` with ``train.amp.enabled``) with the default hooks.

    python tools/lazyconfig_train_net.py --config-file new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py \
        train.output_dir=output/lsj dataloader.train.total_batch_size=16
    python tools/lazyconfig_train_net.py --config-file cfg.py --eval-only train.init_checkpoint=model_final.pth

Overrides after the flags are ``key=value`` (``train.max_iter=100``, ``model.roi_heads.num_classes=3``).
"""
import os

from detectra.config import LazyConfig
from detectra.engine import default_argument_parser, default_setup, launch
from detectra.engine.lazy_train import do_train, eval_only
from detectra.model_zoo import get_config_file


def main(args):
    if not os.path.isfile(args.config_file):  # a model-zoo name such as new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py
        args.config_file = get_config_file(args.config_file)
    cfg = LazyConfig.load(args.config_file)
    cfg = LazyConfig.apply_overrides(cfg, args.opts)
    default_setup(cfg, args)

    if args.eval_only:
        return eval_only(cfg)
    do_train(args, cfg)
    return None


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    launch(
        main,
        args.num_gpus,
        num_machines=args.num_machines,
        machine_rank=args.machine_rank,
        dist_url=args.dist_url,
        args=(args,),
    )
