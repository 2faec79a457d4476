#!/usr/bin/env python
"""Train and evaluate from parts built by hand (Detectron2's plain_train_net.py): the model, optimizer, LR
scheduler, data loader and evaluation function are built here in plain Python, then handed to `Trainer`, the
loop behind `DefaultTrainer` and LazyConfig runs (same checkpoints, hooks and exact resume).

    python tools/plain_train_net.py --config-file shapes/faster_rcnn_R_18_FPN.yaml OUTPUT_DIR output/plain
"""
import logging
import os
from collections import OrderedDict

from detectra.checkpoint import DetectionCheckpointer
from detectra.data import MetadataCatalog, build_detection_test_loader, build_detection_train_loader
from detectra.engine import default_argument_parser, launch
from detectra.engine.defaults import setup_config
from detectra.engine.trainer import Trainer, TrainSettings
from detectra.evaluation import COCOEvaluator, inference_on_dataset, print_csv_format
from detectra.modeling import build_model
from detectra.solver import build_lr_scheduler, build_optimizer
from detectra.utils import comm

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
    optimizer = build_optimizer(cfg, model)
    trainer = Trainer(
        model=model,
        optimizer=optimizer,
        data_loader=build_detection_train_loader(cfg),
        scheduler=build_lr_scheduler(cfg, optimizer),
        settings=TrainSettings(
            output_dir=cfg.OUTPUT_DIR,
            max_iter=cfg.SOLVER.MAX_ITER,
            checkpoint_period=cfg.SOLVER.CHECKPOINT_PERIOD,
            eval_period=cfg.TEST.EVAL_PERIOD,
            weights=cfg.MODEL.WEIGHTS,
        ),
        evaluate=lambda model: do_test(cfg, model),
    )
    trainer.resume_or_load(resume=resume)
    trainer.train()
    return trainer


def main(args):
    cfg = setup_config(args)
    model = build_model(cfg)
    logger.info(f"Model:\n{model}")
    if args.eval_only:
        DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR).resume_or_load(cfg.MODEL.WEIGHTS, resume=args.resume)
        return do_test(cfg, model)
    trainer = do_train(cfg, model, resume=args.resume)
    return trainer.last_eval_results


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    print("Command Line Args:", args)
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))
