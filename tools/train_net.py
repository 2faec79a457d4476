#!/usr/bin/env python
"""Train and evaluate with `DefaultTrainer`: Detectron2's ``tools/train_net.py`` pattern, on detectra.

    python tools/train_net.py --config-file shapes/faster_rcnn_R_18_FPN.yaml OUTPUT_DIR output/x
    python tools/train_net.py --config-file cfg.yaml --eval-only MODEL.WEIGHTS output/x/model_final.pth
"""
from detectra.checkpoint import DetectionCheckpointer
from detectra.engine import DefaultTrainer, default_argument_parser, launch
from detectra.engine.defaults import setup_config
from detectra.evaluation import verify_results
from detectra.evaluation.by_type import build_evaluator
from detectra.utils import comm


class Trainer(DefaultTrainer):
    @classmethod
    def build_evaluator(cls, cfg, dataset_name, output_folder=None):
        # COCO / LVIS / VOC / sem-seg / panoptic evaluators, chosen by the dataset's evaluator_type
        return build_evaluator(cfg, dataset_name, output_folder)


def setup(args):
    return setup_config(args)


def main(args):
    cfg = setup(args)
    if args.eval_only:
        model = Trainer.build_model(cfg)
        DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR).resume_or_load(cfg.MODEL.WEIGHTS, resume=args.resume)
        res = Trainer.test(cfg, model)
        if comm.is_main_process():
            verify_results(cfg, res)
        return res
    trainer = Trainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    print("Command Line Args:", args)
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))
