"""A training script as users write it (Detectron2's train_net.py shape), for the resume and launch tests.

    python train_script.py --output-dir DIR [--workers N] [--kill-at ITER] [--resume] [--num-gpus N]
"""

import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine_testlib import make_cfg, make_trainer_class  # noqa: E402

from detectra.engine import default_argument_parser, default_setup, hooks, launch  # noqa: E402
from detectra.utils import comm  # noqa: E402


def main(args):
    cfg = make_cfg(args.output_dir, **{"SOLVER.MAX_ITER": args.max_iter})
    cfg.merge_from_list(args.opts or [])
    cfg.freeze()
    default_setup(cfg, args)
    trainer = make_trainer_class(num_workers=args.workers, deterministic_model=args.deterministic)(cfg)
    trainer.resume_or_load(resume=args.resume)
    if args.kill_at >= 0:
        # Die hard (no cleanup, like an OOM kill or a preempted node) right after iteration kill_at.
        trainer.register_hooks(
            [hooks.CallbackHook(after_step=lambda t: t.iter == args.kill_at and os.kill(os.getpid(), signal.SIGKILL))]
        )
    if args.grad_file:
        trainer.register_hooks([_GradDump(args.grad_file)])
    trainer.train()


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
    args = parser.parse_args()
    launch(main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
           dist_url=args.dist_url, args=(args,))  # fmt: skip
