"""A training script as users write it (Detectron2's train_net.py shape), for the resume and launch tests.

    python train_script.py --output-dir DIR [--workers N] [--kill-at ITER] [--resume] [--num-gpus N] [--lazy]
"""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine_testlib import make_cfg, make_lazy_cfg, make_trainer_class  # noqa: E402

from detectra.engine import default_argument_parser, default_setup, hooks, launch  # noqa: E402
from detectra.utils import comm  # noqa: E402


def main(args):
    if args.lazy:
        from detectra.engine.lazy_train import LazyTrainer

        cfg = make_lazy_cfg(args.output_dir, max_iter=args.max_iter, num_workers=args.workers)
        default_setup(cfg, args)
        trainer = LazyTrainer(cfg)
        trainer.resume_or_load(resume=args.resume)
        _train(trainer, args)
        return
    if args.shapes_dir:
        cfg, trainer_class = _real_detector_setup(args)
    else:
        cfg = make_cfg(args.output_dir, **{"SOLVER.MAX_ITER": args.max_iter})
        trainer_class = make_trainer_class(num_workers=args.workers, deterministic_model=args.deterministic)
    cfg.merge_from_list(args.opts or [])
    cfg.freeze()
    default_setup(cfg, args)
    trainer = trainer_class(cfg)
    trainer.resume_or_load(resume=args.resume)
    _train(trainer, args)


def _train(trainer, args):
    if args.kill_at >= 0:
        # Die hard (no cleanup, like an OOM kill or a preempted node) right after iteration kill_at.
        trainer.register_hooks(
            [hooks.CallbackHook(after_step=lambda t: t.iter == args.kill_at and os.kill(os.getpid(), signal.SIGKILL))]
        )
    if args.grad_file:
        trainer.register_hooks([_GradDump(args.grad_file)])
    if args.die_in_save:
        _die_in_save(*args.die_in_save.split(":"))
    trainer.train()


def _die_in_save(nth, phase):
    """SIGKILL this process during its ``nth`` checkpoint save, at ``phase``: "model" (half of the .pth written),
    "tag" (the .pth in place, last_checkpoint not yet updated) or "last" (half of last_checkpoint written)."""
    import torch

    from detectra.checkpoint import checkpointer as ckpt_module

    nth, count = int(nth), [0]
    real_save, real_atomic_write, real_tag = torch.save, ckpt_module.atomic_write, ckpt_module.Checkpointer.tag_last_checkpoint

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def save(obj, f, *a, **k):
        count[0] += 1
        if count[0] == nth and phase == "model":
            real_save(obj, f, *a, **k)
            f.truncate(f.tell() // 2)
            f.flush()
            die()
        return real_save(obj, f, *a, **k)

    def tag(self, name):
        if count[0] == nth and phase == "tag":
            die()
        return real_tag(self, name)

    def atomic_write(path, write):
        if count[0] == nth and phase == "last":
            return real_atomic_write(path, lambda f: (f.write(b"model_"), f.flush(), die()))
        return real_atomic_write(path, write)

    torch.save = save
    ckpt_module.Checkpointer.tag_last_checkpoint = tag
    ckpt_module.atomic_write = atomic_write


def _real_detector_setup(args):
    """The path users take: a small Faster R-CNN from the shapes model-zoo config, the default DefaultTrainer
    (build_model, build_detection_train_loader with augmentation and aspect-ratio grouping), on a COCO json."""
    from detectra import model_zoo
    from detectra.config import get_cfg
    from detectra.data.datasets import register_coco_instances
    from detectra.engine import DefaultTrainer

    register_coco_instances(
        "resume_shapes", {}, os.path.join(args.shapes_dir, "instances.json"), os.path.join(args.shapes_dir, "images")
    )
    cfg = get_cfg()
    cfg.merge_from_file(model_zoo.get_config_file("shapes/faster_rcnn_R_18_FPN.yaml"))
    cfg.OUTPUT_DIR = args.output_dir
    cfg.DATASETS.TRAIN, cfg.DATASETS.TEST = ("resume_shapes",), ()
    cfg.DATALOADER.NUM_WORKERS = args.workers
    cfg.INPUT.MIN_SIZE_TRAIN, cfg.INPUT.MAX_SIZE_TRAIN = (64, 80, 96), 128
    cfg.SOLVER.IMS_PER_BATCH, cfg.SOLVER.MAX_ITER, cfg.SOLVER.CHECKPOINT_PERIOD = 4, args.max_iter, 4
    cfg.SOLVER.WARMUP_ITERS, cfg.SOLVER.STEPS = 3, (6,)
    cfg.SEED = 5

    class Trainer(DefaultTrainer):
        writer_period = 1  # a metrics.json line per iteration, to compare runs iteration by iteration

    return cfg, Trainer


class _GradDump(hooks.HookBase):
    """Save the first iteration's gradients (rank 0; all-reduced under DDP) for the DDP-vs-single-process test."""

    def __init__(self, path):
        self.path = path

    def after_backward(self):
        if self.trainer.iter == 0 and comm.is_main_process():
            import torch

            model = self.trainer.model
            model = getattr(model, "module", model)
            torch.save({k: p.grad.clone() for k, p in model.named_parameters()}, self.path)


if __name__ == "__main__":
    parser = default_argument_parser()
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--kill-at", type=int, default=-1)
    parser.add_argument("--max-iter", type=int, default=10)
    parser.add_argument("--grad-file", default="")
    parser.add_argument("--deterministic", action="store_true", help="no BN / dropout / augmentation")
    parser.add_argument("--die-in-save", default="", metavar="N:PHASE", help="SIGKILL during the N-th save")
    parser.add_argument("--shapes-dir", default="", help="train the shapes Faster R-CNN on this generated dataset")
    parser.add_argument("--lazy", action="store_true", help="the tiny model from a LazyConfig (LazyTrainer)")
    args = parser.parse_args()
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))  # fmt: skip
