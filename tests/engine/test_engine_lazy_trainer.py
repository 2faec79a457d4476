"""One trainer behind both config systems: a LazyConfig run (`LazyTrainer`) and a yacs run (`DefaultTrainer`) of
the same tiny model build the same hooks and train the same numbers; a killed LazyConfig run resumes exactly."""

import os
import sys

import pytest
import torch
from engine_testlib import make_cfg, make_lazy_cfg, make_trainer_class, metrics_by_iter, run_killed_and_resumed, val_batches

from detectra.config import LazyCall as L
from detectra.engine import DefaultTrainer, default_setup
from detectra.engine.defaults import yacs_settings
from detectra.engine.lazy_train import LazyTrainer, lazy_settings
from detectra.engine.trainer import Trainer, TrainSettings

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_script.py")
ALL_HOOKS = ["IterationTimer", "LRScheduler", "PreciseBN", "PeriodicCheckpointer", "EvalHook", "BestCheckpointer",
             "ValidationLoss", "PeriodicWriter"]  # fmt: skip


def _yacs_trainer(out, max_iter):
    class YacsTrainer(make_trainer_class()):
        @classmethod
        def build_val_loader(cls, cfg):
            return val_batches()

    cfg = make_cfg(out, **{
        "SOLVER.MAX_ITER": max_iter, "TEST.PRECISE_BN.ENABLED": True, "TEST.PRECISE_BN.NUM_ITER": 2,
        "SOLVER.BEST_CHECKPOINTER.ENABLED": True, "SOLVER.BEST_CHECKPOINTER.METRIC": "val_total_loss",
        "SOLVER.BEST_CHECKPOINTER.MODE": "min", "TEST.VAL_PERIOD": 2, "DATASETS.VAL": ("tiny_val",),
    })  # fmt: skip
    cfg.freeze()
    default_setup(cfg, None)  # seeds every RNG with SEED, as a script does
    return YacsTrainer(cfg)


def _lazy_trainer(out, max_iter):
    cfg = make_lazy_cfg(out, max_iter=max_iter)
    cfg.train.log_period = None  # the yacs twin writes at its class's writer_period (1)
    cfg.train.precise_bn = {"enabled": True, "num_iter": 2}
    cfg.train.best_checkpointer = {"enabled": True, "metric": "val_total_loss", "mode": "min"}
    cfg.train.val_period = 2
    cfg.dataloader.val = L(val_batches)()
    default_setup(cfg, None)  # seeds with train.seed

    class Lazy(LazyTrainer):
        writer_period = 1

    return Lazy(cfg)


def test_lazyconfig_and_yacs_runs_build_the_same_trainer_and_train_the_same(tmp_path):
    max_iter = 4
    # Each run as a script does it: seed, build, train (dropout and the loader draw from the seeded RNGs).
    yacs = _yacs_trainer(tmp_path / "yacs", max_iter)
    yacs_init = {k: v.clone() for k, v in yacs.model.state_dict().items()}
    yacs.train()
    lazy = _lazy_trainer(tmp_path / "lazy", max_iter)
    assert isinstance(yacs, Trainer) and isinstance(lazy, Trainer)
    assert [type(h).__name__ for h in lazy._hooks] == [type(h).__name__ for h in yacs._hooks] == ALL_HOOKS
    assert type(lazy._trainer) is type(yacs._trainer)
    assert sorted(lazy.checkpointer.checkpointables) == sorted(yacs.checkpointer.checkpointables)
    # The same initial weights (same seed, same construction order) ...
    for (name, a), (_, b) in zip(yacs_init.items(), lazy.model.state_dict().items()):
        assert torch.equal(a, b), name
    lazy.train()
    # ... give the same losses at the first iteration, and the same run after it (LR schedule, optimizer, hooks).
    for key in ("loss_cls", "loss_reg", "total_loss"):
        first_yacs = yacs.storage.history(key).values()[0]
        first_lazy = lazy.storage.history(key).values()[0]
        assert first_yacs[1] == first_lazy[1] == 0
        assert first_lazy[0] == pytest.approx(first_yacs[0], rel=1e-6, abs=1e-7), key
    losses = [v for v, _ in yacs.storage.history("total_loss").values()]
    assert [v for v, _ in lazy.storage.history("total_loss").values()] == pytest.approx(losses, rel=1e-5)
    lazy_lr, yacs_lr = lazy.storage.history("lr").values(), yacs.storage.history("lr").values()
    assert [it for _, it in lazy_lr] == [it for _, it in yacs_lr]
    assert [lr for lr, _ in lazy_lr] == pytest.approx([lr for lr, _ in yacs_lr])
    assert [i for _, i in lazy.storage.history("val_total_loss").values()] == [1, 3]
    def files(folder):
        return sorted(f for f in os.listdir(folder) if not f.startswith("events.out.tfevents"))  # named by time

    assert files(tmp_path / "lazy") == files(tmp_path / "yacs")


def test_settings_of_both_config_systems():
    yacs = yacs_settings(make_cfg("out_y", **{"SOLVER.AMP.ENABLED": True, "SOLVER.AMP.PRECISION": "bfloat16"}))
    assert yacs == TrainSettings(output_dir="out_y", max_iter=10, checkpoint_period=4, eval_period=0,
                                 amp_precision="bfloat16", ims_per_batch=4, best_mode="max")  # fmt: skip
    cfg = make_lazy_cfg("out_l")
    cfg.train.amp = {"enabled": True, "precision": "bfloat16"}
    cfg.train.checkpointer.max_to_keep = 2
    lazy = lazy_settings(cfg)
    assert lazy == TrainSettings(output_dir="out_l", max_iter=10, checkpoint_period=4, max_to_keep=2,
                                 amp_precision="bfloat16", log_period=1)  # fmt: skip


def test_lazy_trainer_trains_in_bf16_and_keeps_the_config_free_of_the_model(tmp_path):
    cfg = make_lazy_cfg(tmp_path, max_iter=2)
    cfg.train.amp = {"enabled": True, "precision": "bfloat16"}
    trainer = LazyTrainer(cfg)
    assert trainer._trainer.precision == torch.bfloat16 and trainer._trainer.grad_scaler is None
    assert "model" not in cfg.optimizer.params  # config.yaml stays loadable
    trainer.train()
    assert (tmp_path / "model_final.pth").is_file()
    assert isinstance(trainer.scheduler, torch.optim.lr_scheduler.LRScheduler)


@pytest.mark.slow  # three short training processes (~30 s on 2 busy cores)
def test_killed_and_resumed_lazyconfig_run_matches_uninterrupted_run(tmp_path):
    """The approach of test_engine_resume.py on a LazyConfig run with 2 loader workers (random flips and noise in
    the workers, dropout in the model): kill -9 after iteration 5, resume from the checkpoint of iteration 3."""
    def cmd(out, *extra):
        return [sys.executable, SCRIPT, "--lazy", "--output-dir", str(out), "--workers", "2", "--max-iter", "10",
                *extra]  # fmt: skip

    full, killed = tmp_path / "full", tmp_path / "killed"
    run_killed_and_resumed(cmd, full, killed)

    a = torch.load(full / "model_final.pth", weights_only=True)
    b = torch.load(killed / "model_final.pth", weights_only=True)
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert a["data_loader"] == b["data_loader"]
    ma, mb = metrics_by_iter(full / "metrics.json"), metrics_by_iter(killed / "metrics.json")
    assert sorted(ma) == sorted(mb) == list(range(10))
    for it in range(10):
        for key in ("total_loss", "loss_cls", "loss_reg", "lr"):
            assert ma[it][key] == mb[it][key], (it, key)


def test_default_trainer_is_the_yacs_front_of_trainer():
    assert issubclass(DefaultTrainer, Trainer) and issubclass(LazyTrainer, Trainer)
    # Detectron2's class methods are still there to override
    for name in ("build_model", "build_optimizer", "build_lr_scheduler", "build_train_loader", "build_test_loader",
                 "build_evaluator", "test", "auto_scale_workers"):  # fmt: skip
        assert callable(getattr(DefaultTrainer, name)), name


def test_lazy_trainer_compiles_with_train_compile(tmp_path, monkeypatch):
    import detectra.engine.lazy_train as lazy_train

    compiled = []
    monkeypatch.setattr(lazy_train, "compile_model", lambda model, config_key: compiled.append((model, config_key)))
    cfg = make_lazy_cfg(tmp_path, max_iter=2)
    LazyTrainer(cfg)
    assert compiled == []
    cfg.train.compile = True  # the LazyConfig name of MODEL.COMPILE
    trainer = LazyTrainer(cfg)
    assert compiled == [(trainer.model, "train.compile")]  # the key its warnings name
