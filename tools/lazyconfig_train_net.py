#!/usr/bin/env python
"""Train and evaluate a LazyConfig (``.py``) model: Detectron2's ``tools/lazyconfig_train_net.py`` pattern.

`do_train` builds a `LazyTrainer` (``detectra/engine/lazy_train.py``): the parts instantiated from the config
(``cfg.model``, ``cfg.optimizer``, ``cfg.dataloader.train``, ``cfg.lr_multiplier``), then the same loop,
checkpoints and hooks as `DefaultTrainer` for a yacs config; `do_test` evaluates on ``cfg.dataloader.test``.

    python tools/lazyconfig_train_net.py --config-file new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py \
        train.output_dir=output/lsj dataloader.train.total_batch_size=16
    python tools/lazyconfig_train_net.py --config-file cfg.py --eval-only train.init_checkpoint=model_final.pth

Overrides after the flags are ``key=value`` (``train.max_iter=100``, ``model.roi_heads.num_classes=3``).
"""
from detectra.engine import default_argument_parser, launch
from detectra.engine.defaults import setup_config
from detectra.engine.lazy_train import do_test, do_train, eval_only  # noqa: F401 (the script's do_train / do_test)


def main(args):
    cfg = setup_config(args)
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
