import logging
import os

import numpy as np
import pytest
import torch
from engine_testlib import TinyDetectorLike, make_cfg, make_trainer_class

from detectra.engine import (
    AMPTrainer,
    DefaultTrainer,
    SimpleTrainer,
    create_ddp_model,
    default_argument_parser,
    default_setup,
    default_writers,
)
from detectra.utils.events import CommonMetricPrinter, JSONWriter, TensorboardXWriter


def test_argument_parser_flags_and_trailing_opts():
    args = default_argument_parser().parse_args(
        ["--config-file", "a.yaml", "--resume", "--num-gpus", "2", "--dist-url", "auto",
         "SOLVER.BASE_LR", "0.1", "MODEL.WEIGHTS", "w.pth"]
    )  # fmt: skip
    assert args.config_file == "a.yaml" and args.resume and not args.eval_only
    assert args.num_gpus == 2 and args.num_machines == 1 and args.machine_rank == 0 and args.dist_url == "auto"
    assert args.opts == ["SOLVER.BASE_LR", "0.1", "MODEL.WEIGHTS", "w.pth"]
    default_url = default_argument_parser().parse_args([]).dist_url
    assert default_url.startswith("tcp://127.0.0.1:") and 49152 <= int(default_url.rsplit(":", 1)[1]) < 65536


def test_default_setup_writes_config_logs_and_seeds(tmp_path):
    out = tmp_path / "out"
    cfg = make_cfg(out, SEED=11, CUDNN_BENCHMARK=True)
    cfg_file = tmp_path / "in.yaml"
    cfg_file.write_text("SOLVER:\n  BASE_LR: 0.05\n")
    args = default_argument_parser().parse_args(["--config-file", str(cfg_file)])
    default_setup(cfg, args)
    saved = (out / "config.yaml").read_text()
    from detectra.config import get_cfg

    reloaded = get_cfg()
    reloaded.merge_from_file(str(out / "config.yaml"))
    assert reloaded.SEED == 11 and reloaded.OUTPUT_DIR == str(out) and "BASE_LR: 0.05" in saved
    log = (out / "log.txt").read_text()
    assert "Environment info" in log and "Command line arguments" in log and "BASE_LR: 0.05" in log
    assert torch.backends.cudnn.benchmark is True
    torch.backends.cudnn.benchmark = False
    # Seeded with SEED + rank (rank 0).
    draw = np.random.rand()
    np.random.seed(11)
    assert draw == np.random.rand()


def test_default_writers(tmp_path):
    from detectra.utils.events import EventStorage

    out = tmp_path / "run"
    writers = default_writers(str(out), max_iter=50)
    assert [type(w) for w in writers] == [CommonMetricPrinter, JSONWriter, TensorboardXWriter]
    assert writers[0]._max_iter == 50
    assert not out.exists()  # nothing is written before the first write: a run failing at start leaves no files
    with EventStorage(0) as storage:
        storage.put_scalar("loss", 1.5)
        for w in writers[1:]:
            w.write()
    for w in writers:
        w.close()
    assert os.path.isfile(out / "metrics.json") and any(f.startswith("events.out") for f in os.listdir(out))


def test_auto_scale_workers():
    cfg = make_cfg("/tmp/unused")
    cfg.SOLVER.REFERENCE_WORLD_SIZE = 8
    cfg.SOLVER.IMS_PER_BATCH = 16
    cfg.SOLVER.BASE_LR = 0.02
    cfg.SOLVER.MAX_ITER = 1000
    cfg.SOLVER.WARMUP_ITERS = 100
    cfg.SOLVER.STEPS = (600, 800)
    cfg.SOLVER.CHECKPOINT_PERIOD = 200
    cfg.TEST.EVAL_PERIOD = 500
    cfg.freeze()
    new = DefaultTrainer.auto_scale_workers(cfg, 16)
    assert new.SOLVER.IMS_PER_BATCH == 32 and new.SOLVER.BASE_LR == pytest.approx(0.04)
    assert new.SOLVER.MAX_ITER == 500 and new.SOLVER.WARMUP_ITERS == 50 and new.SOLVER.STEPS == (300, 400)
    assert new.SOLVER.CHECKPOINT_PERIOD == 100 and new.TEST.EVAL_PERIOD == 250
    assert new.SOLVER.REFERENCE_WORLD_SIZE == 16 and new.is_frozen()
    assert cfg.SOLVER.IMS_PER_BATCH == 16  # input untouched
    assert DefaultTrainer.auto_scale_workers(cfg, 8) is cfg


def test_create_ddp_model_single_process_is_identity():
    model = TinyDetectorLike()
    assert create_ddp_model(model, fp16_compression=True) is model


def test_default_trainer_hooks_checkpoint_and_resume(tmp_path):
    Trainer = make_trainer_class()
    cfg = make_cfg(tmp_path, **{"SOLVER.MAX_ITER": 6})
    trainer = Trainer(cfg)
    assert isinstance(trainer._trainer, SimpleTrainer) and not isinstance(trainer._trainer, AMPTrainer)
    assert [type(h).__name__ for h in trainer._hooks] == [
        "IterationTimer", "LRScheduler", "PeriodicCheckpointer", "EvalHook", "PeriodicWriter"
    ]  # fmt: skip
    trainer.resume_or_load(resume=True)  # nothing to resume: starts at 0
    assert trainer.start_iter == 0
    trainer.train()
    files = sorted(os.listdir(tmp_path))
    assert {"model_0000003.pth", "model_final.pth", "last_checkpoint", "metrics.json", "config.yaml"} - {
        "config.yaml"} <= set(files)  # fmt: skip
    ckpt = torch.load(tmp_path / "model_0000003.pth", weights_only=True)
    assert set(ckpt) == {"model", "trainer", "data_loader", "iteration"}
    t = ckpt["trainer"]
    assert t["iteration"] == 3 and ckpt["iteration"] == 3
    assert set(t["hooks"]) == {"LRScheduler"} and t["hooks"]["LRScheduler"]["last_epoch"] == 4
    assert set(t["_trainer"]) == {"optimizer", "iteration"}
    assert set(t["rng_states"][0]) >= {"python", "numpy", "torch"}
    assert ckpt["data_loader"]["per_rank"][0]["next_position"] == 4 * 4  # 4 iterations of 4 images consumed
    assert len(t["storage"]["histories"]["total_loss"]["data"]) == 4

    # Resume from model_final: starts after the last iteration, so nothing is trained.
    trainer2 = Trainer(cfg)
    trainer2.resume_or_load(resume=True)
    assert trainer2.start_iter == 6 and trainer2.iter == 5
    torch.testing.assert_close(trainer2.model.state_dict(), trainer.model.state_dict())
    assert trainer2.scheduler.last_epoch == trainer.scheduler.last_epoch == 6
    torch.testing.assert_close(trainer2.optimizer.state_dict()["state"], trainer.optimizer.state_dict()["state"])

    # Without resume, only MODEL.WEIGHTS is loaded: a fresh run from iteration 0.
    cfg3 = make_cfg(tmp_path / "b", **{"MODEL.WEIGHTS": str(tmp_path / "model_final.pth")})
    trainer3 = Trainer(cfg3)
    trainer3.resume_or_load(resume=False)
    assert trainer3.start_iter == 0
    torch.testing.assert_close(trainer3.model.state_dict(), trainer.model.state_dict())
    assert trainer3.optimizer.state_dict()["state"] == {}


def test_default_trainer_amp_bf16_from_config(tmp_path):
    Trainer = make_trainer_class()
    cfg = make_cfg(tmp_path, **{"SOLVER.AMP.ENABLED": True, "SOLVER.AMP.PRECISION": "bfloat16", "SOLVER.MAX_ITER": 2})
    trainer = Trainer(cfg)
    assert isinstance(trainer._trainer, AMPTrainer)
    assert trainer._trainer.precision == torch.bfloat16 and trainer._trainer.grad_scaler is None
    trainer.train()
    assert np.isfinite(trainer.storage.history("total_loss").latest())


def test_default_trainer_optional_hooks_from_config(tmp_path):
    from engine_testlib import val_batches

    class Trainer(make_trainer_class()):
        @classmethod
        def build_val_loader(cls, cfg):
            return val_batches()

    cfg = make_cfg(
        tmp_path,
        **{
            "SOLVER.BEST_CHECKPOINTER.ENABLED": True,
            "SOLVER.BEST_CHECKPOINTER.METRIC": "val_total_loss",
            "SOLVER.BEST_CHECKPOINTER.MODE": "min",
            "TEST.VAL_PERIOD": 2,
            "TEST.EARLY_STOP_PATIENCE": 3,
            "DATASETS.VAL": ("tiny_val",),
            "TEST.PRECISE_BN.ENABLED": True,
            "TEST.PRECISE_BN.NUM_ITER": 2,
            "SOLVER.MAX_ITER": 4,
        },
    )
    trainer = Trainer(cfg)
    names = [type(h).__name__ for h in trainer._hooks]
    assert names == ["IterationTimer", "LRScheduler", "PreciseBN", "PeriodicCheckpointer", "EvalHook",
                     "BestCheckpointer", "ValidationLoss", "PeriodicWriter"]  # fmt: skip
    val = trainer._hooks[6]
    assert val._period == 2 and val._patience == 3 and val._checkpointer is trainer.checkpointer
    trainer.train()
    assert [i for _, i in trainer.storage.history("val_total_loss").values()] == [1, 3]


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_default_trainer_test_with_evaluator(tmp_path):
    from detectra.evaluation import DatasetEvaluator

    class CountingEvaluator(DatasetEvaluator):
        def reset(self):
            self.n = 0

        def process(self, inputs, outputs):
            self.n += len(outputs)

        def evaluate(self):
            return {"count": {"images": float(self.n)}}

    class Trainer(make_trainer_class()):
        @classmethod
        def build_test_loader(cls, cfg, dataset_name):
            from engine_testlib import make_dataset_dicts, mapper

            return [[mapper(d)] for d in make_dataset_dicts(5)]

    cfg = make_cfg(tmp_path, **{"DATASETS.TEST": ("tiny_test",)})
    model = TinyDetectorLike()
    results = Trainer.test(cfg, model, evaluators=[CountingEvaluator()])
    assert results == {"count": {"images": 5.0}}
    handler = _ListHandler()
    # setup_logger turns propagation off for "detectra": listen on the module's logger directly.
    logging.getLogger("detectra.engine.defaults").addHandler(handler)
    try:
        assert Trainer.test(cfg, model) == {}
    finally:
        logging.getLogger("detectra.engine.defaults").removeHandler(handler)
    assert any("No evaluation of tiny_test" in m and "build_evaluator" in m for m in handler.messages)
    with pytest.raises(NotImplementedError, match=r"no evaluator for 'tiny_test'.*COCOEvaluator\(dataset_name"):
        Trainer.build_evaluator(cfg, "tiny_test")
    with pytest.raises(ValueError, match="DATASETS.TEST"):
        Trainer.test(cfg, model, evaluators=[CountingEvaluator(), CountingEvaluator()])


def test_default_predictor_is_reexported_lazily():
    import detectra.engine as engine
    import detectra.engine.defaults as defaults

    try:
        from detectra.engine.predictor import DefaultPredictor
    except ImportError:
        with pytest.raises(ImportError):
            engine.DefaultPredictor
        return
    assert engine.DefaultPredictor is DefaultPredictor and defaults.DefaultPredictor is DefaultPredictor
