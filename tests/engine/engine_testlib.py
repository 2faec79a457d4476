"""Small real pieces for engine tests: a classifier that returns a loss dict like detection models do,
generated data, and a config that trains it through DefaultTrainer on CPU."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import numpy as np
import torch
from torch import nn

NUM_IMAGES = 24
IMAGE_SIZE = 16
NUM_CLASSES = 3


class TinyDetectorLike(nn.Module):
    """Conv + BN + dropout classifier/regressor; training returns ``{"loss_cls", "loss_reg"}``, inference
    returns per-image dicts. Dropout draws from torch's RNG, so exact resume needs the RNG state."""

    def __init__(self, use_bn: bool = True, dropout: float = 0.2) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.BatchNorm2d(8) if use_bn else nn.Identity(),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
        )
        self.dropout = nn.Dropout(dropout)
        self.cls = nn.Linear(8 * 16, NUM_CLASSES)
        self.reg = nn.Linear(8 * 16, 1)

    @property
    def device(self) -> torch.device:
        return self.cls.weight.device

    def forward(self, batched_inputs: list[dict]):
        images = torch.stack([x["image"] for x in batched_inputs]).to(self.device).float() / 255.0
        feats = self.dropout(self.features(images))
        if not self.training:
            return [{"scores": s} for s in self.cls(feats).softmax(-1)]
        labels = torch.tensor([x["label"] for x in batched_inputs], device=self.device)
        targets = torch.tensor([x["target"] for x in batched_inputs], device=self.device, dtype=feats.dtype)
        return {
            "loss_cls": nn.functional.cross_entropy(self.cls(feats), labels),
            "loss_reg": nn.functional.smooth_l1_loss(self.reg(feats).squeeze(1), targets),
        }


def make_dataset_dicts(n: int = NUM_IMAGES) -> list[dict]:
    return [{"image_id": i, "label": i % NUM_CLASSES, "target": float(i) / n} for i in range(n)]


def mapper(d: dict, augment: bool = True) -> dict:
    """Image generated from the image id, with a random flip and noise (drawn from the per-sample RNG)."""
    rng = np.random.RandomState(d["image_id"])
    base = rng.randint(0, 255, size=(3, IMAGE_SIZE, IMAGE_SIZE)).astype(np.float32)
    base[d["label"]] *= 0.3  # make the class learnable
    if not augment:
        image = torch.from_numpy(base)
        return {"image": image.to(torch.uint8), "label": d["label"], "target": d["target"]}
    if np.random.rand() < 0.5:
        base = base[:, :, ::-1]
    noise = torch.randint(0, 20, (3, IMAGE_SIZE, IMAGE_SIZE)).float()
    image = torch.from_numpy(np.ascontiguousarray(base)) + noise
    return {"image": image.clamp(0, 255).to(torch.uint8), "label": d["label"], "target": d["target"]}


def mapper_no_aug(d: dict) -> dict:
    return mapper(d, augment=False)


def val_batches() -> list[list[dict]]:
    """A held-out "loader": 3 batches of 2 images, without augmentation."""
    dicts = make_dataset_dicts(6)
    return [[mapper(d, augment=False) for d in dicts[i : i + 2]] for i in range(0, 6, 2)]


def make_train_loader(batch_size: int = 4, num_workers: int = 0, seed: int = 7, augment: bool = True):
    from detectra.data import build_detection_train_loader
    from detectra.data.samplers import TrainingSampler

    return build_detection_train_loader(
        make_dataset_dicts(),
        mapper=mapper if augment else mapper_no_aug,
        sampler=TrainingSampler(NUM_IMAGES, seed=seed),
        total_batch_size=batch_size,
        aspect_ratio_grouping=False,
        num_workers=num_workers,
        seed=seed,
    )


def make_cfg(output_dir: str, **overrides):
    """A DefaultTrainer config for TinyDetectorLike: SGD with warmup + steps, checkpoints every 4 iters."""
    from detectra.config import get_cfg

    cfg = get_cfg()
    cfg.OUTPUT_DIR = str(output_dir)
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.WEIGHTS = ""
    cfg.SOLVER.IMS_PER_BATCH = 4
    cfg.SOLVER.BASE_LR = 0.05
    cfg.SOLVER.MAX_ITER = 10
    cfg.SOLVER.WARMUP_ITERS = 3
    cfg.SOLVER.CHECKPOINT_PERIOD = 4
    cfg.DATASETS.TEST = ()
    cfg.DATALOADER.NUM_WORKERS = 0
    cfg.SEED = 5
    for k, v in overrides.items():
        node = cfg
        *path, last = k.split(".")
        for p in path:
            node = node[p]
        node[last] = v
    if "SOLVER.STEPS" not in overrides:
        cfg.SOLVER.STEPS = (max(1, int(cfg.SOLVER.MAX_ITER * 0.6)),)  # one LR drop, inside the run
    return cfg


def make_trainer_class(num_workers: int = 0, deterministic_model: bool = False):
    """A DefaultTrainer for TinyDetectorLike. ``deterministic_model``: no BN, no dropout, no augmentation, so
    the gradients of a batch do not depend on how it is split across processes."""
    from detectra.engine import DefaultTrainer

    class TinyTrainer(DefaultTrainer):
        writer_period = 1  # a metrics.json line per iteration, to compare runs iteration by iteration

        @classmethod
        def build_model(cls, cfg):
            if deterministic_model:
                return TinyDetectorLike(use_bn=False, dropout=0.0)
            return TinyDetectorLike()

        @classmethod
        def build_train_loader(cls, cfg):
            return make_train_loader(
                cfg.SOLVER.IMS_PER_BATCH, num_workers=num_workers, seed=cfg.SEED, augment=not deterministic_model
            )

    return TinyTrainer



def make_lazy_cfg(output_dir: str, max_iter: int = 10, num_workers: int = 0, seed: int = 5):
    """The LazyConfig twin of ``make_cfg`` + ``make_trainer_class``: the same TinyDetectorLike, loader, SGD
    (momentum 0.9, weight decay 1e-4, no decay on norms), warmup + one LR drop, checkpoints every 4 iterations."""
    from omegaconf import DictConfig

    from detectra.config import LazyCall as L
    from detectra.solver import MultiStepParamScheduler, WarmupParamScheduler
    from detectra.solver.build import get_default_optimizer_params

    step = max(1, int(max_iter * 0.6))
    return DictConfig(
        {
            "model": L(TinyDetectorLike)(),
            "optimizer": L(torch.optim.SGD)(
                params=L(get_default_optimizer_params)(weight_decay_norm=0.0), lr=0.05, momentum=0.9,
                weight_decay=1e-4, foreach=True,
            ),
            "dataloader": {"train": L(make_train_loader)(batch_size=4, num_workers=num_workers, seed=seed)},
            "lr_multiplier": L(WarmupParamScheduler)(
                scheduler=L(MultiStepParamScheduler)(values=[1.0, 0.1], milestones=[step], num_updates=max_iter),
                warmup_factor=0.001, warmup_length=min(3 / max_iter, 1.0),
            ),
            "train": {
                "output_dir": str(output_dir), "init_checkpoint": "", "max_iter": max_iter, "device": "cpu",
                "seed": seed, "amp": {"enabled": False}, "ddp": {"broadcast_buffers": False},
                "checkpointer": {"period": 4}, "eval_period": 0, "log_period": 1,
            },
        },
        flags={"allow_objects": True},
    )


def metrics_by_iter(path) -> dict[int, dict]:
    """``metrics.json`` by iteration; a resumed run re-writes the iterations after its checkpoint: the last wins."""
    by_iter = {}
    for line in open(path).read().splitlines():
        d = json.loads(line)
        by_iter[d["iteration"]] = d
    return by_iter


def run_killed_and_resumed(cmd, full, killed) -> None:
    """Run ``cmd(full)`` uninterrupted and, side by side (two cores), ``cmd(killed, "--kill-at", "5")``, which dies by
    SIGKILL after iteration 5 (checkpoints after 3 and 7); then resume the killed run with ``cmd(killed, "--resume")``.
    ``cmd(output_dir, *extra)`` is the training script's command line."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p_full = subprocess.Popen(cmd(full), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    p_kill = subprocess.Popen(cmd(killed, "--kill-at", "5"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out_kill = p_kill.communicate(timeout=300)[0].decode()
    out_full = p_full.communicate(timeout=300)[0].decode()
    assert p_full.returncode == 0, out_full[-3000:]
    assert p_kill.returncode == -signal.SIGKILL, out_kill[-3000:]
    assert (killed / "last_checkpoint").read_text() == "model_0000003.pth"
    assert max(metrics_by_iter(killed / "metrics.json")) == 5  # it got past the checkpoint before dying

    res = subprocess.run(cmd(killed, "--resume"), env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "Starting training from iteration 4" in res.stdout + res.stderr
