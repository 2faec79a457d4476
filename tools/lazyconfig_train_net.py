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
import logging
import os

import torch

from detectra.checkpoint import DetectionCheckpointer
from detectra.config import LazyConfig, instantiate
from detectra.engine import (
    AMPTrainer,
    SimpleTrainer,
    create_ddp_model,
    default_argument_parser,
    default_setup,
    default_writers,
    hooks,
    launch,
)
from detectra.evaluation import inference_on_dataset, print_csv_format
from detectra.model_zoo import get_config_file
from detectra.solver import LRMultiplier
from detectra.utils import comm

logger = logging.getLogger("detectra")


def _device(cfg):
    device = cfg.train.get("device", "cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        logger.warning(f"train.device={device} but CUDA is not available: running on the CPU (train.device=cpu).")
        return "cpu"
    return device


def do_test(cfg, model):
    """Evaluate on ``cfg.dataloader.test`` with ``cfg.dataloader.evaluator``; returns the results (or None)."""
    if "evaluator" not in cfg.dataloader:
        return None
    results = inference_on_dataset(model, instantiate(cfg.dataloader.test), instantiate(cfg.dataloader.evaluator))
    if comm.is_main_process():
        print_csv_format(results)
    return results


def do_train(args, cfg):
    model = instantiate(cfg.model)
    logger.info(f"Model:\n{model}")
    model.to(_device(cfg))

    cfg.optimizer.params.model = model
    optimizer = instantiate(cfg.optimizer)
    train_loader = instantiate(cfg.dataloader.train)

    model = create_ddp_model(model, **cfg.train.ddp)
    if cfg.train.amp.enabled:
        trainer = AMPTrainer(model, train_loader, optimizer, precision=cfg.train.amp.get("precision", "float16"))
    else:
        trainer = SimpleTrainer(model, train_loader, optimizer)
    checkpointables = {"trainer": trainer}
    if hasattr(train_loader, "state_dict"):  # a resumed run continues the data order where it stopped
        checkpointables["data_loader"] = train_loader
    checkpointer = DetectionCheckpointer(model, cfg.train.output_dir, **checkpointables)
    # The multiplier is a function of the fraction of training done; LRMultiplier applies it per iteration.
    scheduler = LRMultiplier(optimizer, instantiate(cfg.lr_multiplier), cfg.train.max_iter)
    trainer.register_hooks(
        [
            hooks.IterationTimer(),
            hooks.LRScheduler(scheduler=scheduler),
            hooks.PeriodicCheckpointer(checkpointer, **cfg.train.checkpointer),
            hooks.EvalHook(cfg.train.eval_period, lambda: do_test(cfg, model)),
            hooks.PeriodicWriter(default_writers(cfg.train.output_dir, cfg.train.max_iter), period=cfg.train.log_period)
            if comm.is_main_process()
            else None,
        ]
    )

    checkpointer.resume_or_load(cfg.train.init_checkpoint, resume=args.resume)
    # A checkpoint is saved after its iteration: continue with the next one.
    start_iter = trainer.iter + 1 if args.resume and checkpointer.has_checkpoint() else 0
    trainer.train(start_iter, cfg.train.max_iter)
    return trainer


def main(args):
    if not os.path.isfile(args.config_file):  # a model-zoo name such as new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py
        args.config_file = get_config_file(args.config_file)
    cfg = LazyConfig.load(args.config_file)
    cfg = LazyConfig.apply_overrides(cfg, args.opts)
    default_setup(cfg, args)

    if args.eval_only:
        model = instantiate(cfg.model)
        model.to(_device(cfg))
        model = create_ddp_model(model)
        DetectionCheckpointer(model).load(cfg.train.init_checkpoint)
        return do_test(cfg, model)
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
