#!/usr/bin/env python
"""Train and evaluate with an explicit loop instead of `DefaultTrainer` (Detectron2's plain_train_net.py):
build the model, optimizer, LR scheduler and loader yourself; one `EventStorage`; `PeriodicCheckpointer`;
the event writers; evaluation every TEST.EVAL_PERIOD iterations and at the end.

    python tools/plain_train_net.py --config-file shapes/faster_rcnn_R_18_FPN.yaml OUTPUT_DIR output/plain
"""
import logging
import os
from collections import OrderedDict

import torch

from detectra.checkpoint import DetectionCheckpointer, PeriodicCheckpointer
from detectra.config import get_cfg
from detectra.data import MetadataCatalog, build_detection_test_loader, build_detection_train_loader
from detectra.engine import default_argument_parser, default_setup, default_writers, launch
from detectra.evaluation import COCOEvaluator, inference_on_dataset, print_csv_format
from detectra.model_zoo import get_config_file
from detectra.modeling import build_model
from detectra.solver import build_lr_scheduler, build_optimizer
from detectra.utils import comm
from detectra.utils.events import EventStorage

logger = logging.getLogger("detectra")


def get_evaluator(cfg, dataset_name, output_folder=None):
    output_folder = output_folder or os.path.join(cfg.OUTPUT_DIR, "inference", dataset_name)
    kind = MetadataCatalog.get(dataset_name).get("evaluator_type", "coco")
    if kind != "coco":
        raise NotImplementedError(f"plain_train_net.py evaluates COCO-style datasets only, not '{kind}'")
    return COCOEvaluator(dataset_name, output_dir=output_folder)


def do_test(cfg, model):
    results = OrderedDict()
    for dataset_name in cfg.DATASETS.TEST:
        data_loader = build_detection_test_loader(cfg, dataset_name)
        results[dataset_name] = inference_on_dataset(
            model, data_loader, get_evaluator(cfg, dataset_name), precision=cfg.TEST.PRECISION
        )
        if comm.is_main_process():
            logger.info(f"Evaluation results for {dataset_name} in csv format:")
            print_csv_format(results[dataset_name])
    return results[cfg.DATASETS.TEST[0]] if len(results) == 1 else results


def do_train(cfg, model, resume=False):
    model.train()
    optimizer = build_optimizer(cfg, model)
    scheduler = build_lr_scheduler(cfg, optimizer)
    checkpointer = DetectionCheckpointer(model, cfg.OUTPUT_DIR, optimizer=optimizer, scheduler=scheduler)
    start_iter = checkpointer.resume_or_load(cfg.MODEL.WEIGHTS, resume=resume).get("iteration", -1) + 1
    max_iter = cfg.SOLVER.MAX_ITER
    periodic_checkpointer = PeriodicCheckpointer(checkpointer, cfg.SOLVER.CHECKPOINT_PERIOD, max_iter=max_iter)
    writers = default_writers(cfg.OUTPUT_DIR, max_iter) if comm.is_main_process() else []

    # no exact resume of the data loader position here: the loop stays minimal (DefaultTrainer does it)
    data_loader = build_detection_train_loader(cfg)
    logger.info(f"Starting training from iteration {start_iter}")
    with EventStorage(start_iter) as storage:
        for data, iteration in zip(data_loader, range(start_iter, max_iter)):
            storage.iter = iteration
            loss_dict = model(data)
            losses = sum(loss_dict.values())
            if not torch.isfinite(losses).all():
                raise FloatingPointError(f"Loss became infinite or NaN at iteration {iteration}: {loss_dict}")
            reduced = {k: v.item() for k, v in comm.reduce_dict(loss_dict).items()}
            if comm.is_main_process():
                storage.put_scalars(total_loss=sum(reduced.values()), **reduced)

            optimizer.zero_grad()
            losses.backward()
            optimizer.step()
            storage.put_scalar("lr", optimizer.param_groups[0]["lr"], smoothing_hint=False)
            scheduler.step()

            if cfg.TEST.EVAL_PERIOD > 0 and (iteration + 1) % cfg.TEST.EVAL_PERIOD == 0 and iteration != max_iter - 1:
                do_test(cfg, model)
                comm.synchronize()
                model.train()
            if (iteration + 1) % 20 == 0 or iteration == max_iter - 1:
                for writer in writers:
                    writer.write()
            periodic_checkpointer.step(iteration)
    for writer in writers:
        writer.close()


def setup(args):
    cfg = get_cfg()
    if not os.path.isfile(args.config_file):  # a model-zoo name such as shapes/faster_rcnn_R_18_FPN.yaml
        args.config_file = get_config_file(args.config_file)
    cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts)
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args):
    cfg = setup(args)
    model = build_model(cfg)
    logger.info(f"Model:\n{model}")
    if args.eval_only:
        DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR).resume_or_load(cfg.MODEL.WEIGHTS, resume=args.resume)
        return do_test(cfg, model)
    distributed = comm.get_world_size() > 1
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False)
    do_train(cfg, model, resume=args.resume)
    return do_test(cfg, model)


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    print("Command Line Args:", args)
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))
