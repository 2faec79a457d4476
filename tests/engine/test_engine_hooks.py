import json
import os

import pytest
import torch
from engine_testlib import TinyDetectorLike, make_train_loader
from torch import nn

from detectra.checkpoint import Checkpointer
from detectra.engine import SimpleTrainer, hooks
from detectra.utils.events import EventStorage, JSONWriter


def _trainer(model=None, lr=0.1):
    model = model or TinyDetectorLike()
    return SimpleTrainer(model, make_train_loader(), torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9))


def _lines(path):
    return [json.loads(x) for x in open(path).read().splitlines()]


def test_callback_hook_and_iteration_timer():
    seen = []
    trainer = _trainer()
    trainer.register_hooks(
        [hooks.IterationTimer(warmup_iter=2), hooks.CallbackHook(after_step=lambda t: seen.append(t.iter))]
    )
    trainer.train(0, 4)
    assert seen == [0, 1, 2, 3]
    times = trainer.storage.history("time").values()
    # The first iteration (warmup) is not timed.
    assert [i for _, i in times] == [1, 2, 3] and all(0 < v < 60 for v, _ in times)


def test_lr_scheduler_hook_logs_lr_before_each_step(tmp_path):
    trainer = _trainer(lr=1.0)
    trainer.scheduler = torch.optim.lr_scheduler.MultiStepLR(trainer.optimizer, milestones=[2, 3], gamma=0.1)
    writer = JSONWriter(tmp_path / "metrics.json")
    trainer.register_hooks([hooks.LRScheduler(), hooks.PeriodicWriter([writer], period=1)])
    trainer.train(0, 4)
    lrs = [line["lr"] for line in _lines(tmp_path / "metrics.json")]
    assert lrs == pytest.approx([1.0, 1.0, 0.1, 0.01])
    assert trainer.scheduler.last_epoch == 4
    state = trainer.state_dict()["hooks"]["LRScheduler"]
    assert state["last_epoch"] == 4


def test_lr_scheduler_hook_wraps_a_param_scheduler(tmp_path):
    """LazyConfig passes `lr_multiplier` (a ParamScheduler over training progress) straight to the hook."""
    from detectra.solver.param_scheduler import MultiStepParamScheduler

    trainer = _trainer(lr=1.0)
    multiplier = MultiStepParamScheduler([1.0, 0.1, 0.01], milestones=[2, 3], num_updates=4)
    writer = JSONWriter(tmp_path / "metrics.json")
    trainer.register_hooks([hooks.LRScheduler(scheduler=multiplier), hooks.PeriodicWriter([writer], period=1)])
    trainer.train(0, 4)
    assert [line["lr"] for line in _lines(tmp_path / "metrics.json")] == pytest.approx([1.0, 1.0, 0.1, 0.01])


def test_best_param_group_id():
    a, b, c = (nn.Parameter(torch.zeros(1)) for _ in range(3))
    opt = torch.optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b, c], "lr": 0.02}], lr=0.1)
    assert hooks.LRScheduler.get_best_param_group_id(opt) == 1
    opt = torch.optim.SGD([{"params": [a], "lr": 0.5}, {"params": [b], "lr": 0.2}, {"params": [c], "lr": 0.2}])
    assert hooks.LRScheduler.get_best_param_group_id(opt) == 1


def test_periodic_writer_writes_every_period_and_at_the_end(tmp_path):
    trainer = _trainer()
    writer = JSONWriter(tmp_path / "metrics.json")
    trainer.register_hooks([hooks.PeriodicWriter([writer], period=3)])
    trainer.train(0, 7)
    lines = _lines(tmp_path / "metrics.json")
    # Writes after iterations 2, 5 and 6 (last); each write holds the newest iteration of every scalar.
    assert [x["iteration"] for x in lines] == [2, 5, 6]
    hist = dict((i, v) for v, i in trainer.storage.history("total_loss").values())
    # total_loss is smoothed: median over a window of 20.
    import numpy as np

    assert lines[0]["total_loss"] == pytest.approx(float(np.median([hist[0], hist[1], hist[2]])))
    assert writer._file_handle.closed


def test_final_evaluation_is_the_last_metrics_line_at_max_iter(tmp_path):
    # Detectron2's layout: periodic lines at 19, 39, the last iteration 49, then the after-train evaluation on a
    # line of its own with iteration == max_iter (so plotting tools see it after the last training line).
    trainer = _trainer()
    writer = JSONWriter(tmp_path / "metrics.json")
    trainer.register_hooks([hooks.EvalHook(0, lambda: {"metric": 100}), hooks.PeriodicWriter([writer], period=20)])
    trainer.train(0, 50)
    lines = _lines(tmp_path / "metrics.json")
    assert [x["iteration"] for x in lines] == [19, 39, 49, 50]
    assert lines[-1] == {"iteration": 50, "metric": 100.0}
    assert all("metric" not in x for x in lines[:-1])


def test_periodic_checkpointer_files(tmp_path):
    trainer = _trainer()
    ckpt = Checkpointer(trainer.model, str(tmp_path), trainer=trainer)
    trainer.register_hooks([hooks.PeriodicCheckpointer(ckpt, period=3, max_to_keep=1)])
    trainer.train(0, 8)
    # model_0000002 was saved, then deleted when model_0000005 came (max_to_keep=1).
    assert sorted(os.listdir(tmp_path)) == ["last_checkpoint", "model_0000005.pth", "model_final.pth"]
    final = torch.load(tmp_path / "model_final.pth", weights_only=True)
    assert final["iteration"] == 7 and final["trainer"]["iteration"] == 7
    torch.testing.assert_close(final["model"], trainer.model.state_dict())
    mid = torch.load(tmp_path / "model_0000005.pth", weights_only=True)
    assert mid["iteration"] == 5
    assert (tmp_path / "last_checkpoint").read_text() == "model_final.pth"


def test_best_checkpointer_picks_the_best(tmp_path, caplog):
    caplog.set_level("INFO", logger="detectra.engine.hooks")
    trainer = _trainer()
    scores = iter([0.3, 0.5, 0.4, 0.45])
    ckpt = Checkpointer(trainer.model, str(tmp_path))
    saved_weights = {}

    def eval_fn():
        score = next(scores)
        saved_weights[trainer.iter] = trainer.model.cls.weight.detach().clone()
        return {"bbox": {"AP": score}}

    trainer.register_hooks(
        [hooks.EvalHook(2, eval_fn), hooks.BestCheckpointer(2, ckpt, "bbox/AP", mode="max")]
    )
    trainer.train(0, 8)  # evaluations after iterations 1, 3, 5 and 7 (the last in after_train)
    best = torch.load(tmp_path / "model_best.pth", weights_only=True)
    assert best["iteration"] == 3
    torch.testing.assert_close(best["model"]["cls.weight"], saved_weights[3])
    hook = trainer._hooks[1]
    assert hook.best_metric == 0.5 and hook.best_iter == 3
    assert trainer.state_dict()["hooks"]["BestCheckpointer"] == {"best_metric": 0.5, "best_iter": 3}
    assert [(v, i) for v, i in trainer.storage.history("bbox/AP").values()] == [
        (0.3, 1), (0.5, 3), (0.4, 5), (0.45, 8)
    ]  # fmt: skip
    # The log names where the previous best was, not the new iteration.
    assert "bbox/AP = 0.50000 at iteration 3 (previous best: 0.30000 at iteration 1)" in caplog.text


def test_best_checkpointer_min_mode_and_errors(tmp_path):
    trainer = _trainer()
    losses = iter([3.0, 1.0, 2.0])
    ckpt = Checkpointer(trainer.model, str(tmp_path))
    trainer.register_hooks([hooks.EvalHook(1, lambda: {"loss": next(losses)}, eval_after_train=False),
                            hooks.BestCheckpointer(1, ckpt, "loss", mode="min")])  # fmt: skip
    trainer.train(0, 4)
    assert torch.load(tmp_path / "model_best.pth", weights_only=True)["iteration"] == 1
    with pytest.raises(ValueError, match="mode"):
        hooks.BestCheckpointer(1, ckpt, "loss", mode="best")


def test_eval_hook_rejects_non_numbers():
    trainer = _trainer()
    trainer.register_hooks([hooks.EvalHook(0, lambda: {"bbox": {"AP": "n/a"}})])
    with pytest.raises(ValueError, match="bbox/AP"):
        trainer.train(0, 1)


def test_precise_bn_matches_manual_average():
    torch.manual_seed(0)
    model = TinyDetectorLike()
    model.dropout.p = 0.0
    loader = make_train_loader()
    batches = [b for _, b in zip(range(3), loader)]
    bn = model.features[1]

    # Manual population statistics: average over batches of per-batch mean / unbiased variance.
    means, vars_ = [], []
    with torch.no_grad():
        for b in batches:
            x = model.features[0](torch.stack([d["image"] for d in b]).float() / 255.0)
            means.append(x.mean(dim=(0, 2, 3)))
            vars_.append(x.var(dim=(0, 2, 3), unbiased=True))
    hooks.update_bn_stats(model, iter(batches), num_iters=3)
    torch.testing.assert_close(bn.running_mean, torch.stack(means).mean(0))
    torch.testing.assert_close(bn.running_var, torch.stack(vars_).mean(0))
    assert bn.momentum == 0.1
    with pytest.raises(ValueError, match="NUM_ITER"):
        hooks.update_bn_stats(model, iter(batches), num_iters=5)
    assert hooks.get_bn_modules(model) == [bn]
    model.eval()
    assert hooks.get_bn_modules(model) == []


def test_precise_bn_hook_runs_at_end_and_is_disabled_without_bn():
    trainer = _trainer()
    hook = hooks.PreciseBN(0, trainer.model, make_train_loader(), num_iter=2)
    trainer.register_hooks([hook])
    bn = trainer.model.features[1]
    calls = []
    orig = hooks.PreciseBN.update_stats
    hook.update_stats = lambda: (calls.append(trainer.iter), orig(hook))
    trainer.train(0, 3)
    assert calls == [2]
    assert bn.num_batches_tracked.item() == 3 + 2
    assert hooks.PreciseBN(1, nn.Linear(2, 2), [], 1)._disabled


def test_torch_profiler_writes_chrome_trace(tmp_path):
    trainer = _trainer()
    trainer.register_hooks(
        [hooks.TorchProfiler(lambda t: t.iter == 1, str(tmp_path), save_tensorboard=False)]
    )
    trainer.train(0, 3)
    assert os.listdir(tmp_path) == ["profiler-trace-iter1.json"]
    trace = json.load(open(tmp_path / "profiler-trace-iter1.json"))
    names = {e.get("name", "") for e in trace["traceEvents"]}
    assert "aten::conv2d" in names


def test_autograd_profiler_writes_chrome_trace(tmp_path):
    trainer = _trainer()
    trainer.register_hooks([hooks.AutogradProfiler(lambda t: t.iter == 2, str(tmp_path), use_cuda=False)])
    trainer.train(0, 3)
    assert os.listdir(tmp_path) == ["profiler-trace-iter2.json"]
    names = {e.get("name", "") for e in json.load(open(tmp_path / "profiler-trace-iter2.json"))["traceEvents"]}
    assert "aten::conv2d" in names


def test_torch_memory_stats_records_mib(monkeypatch):
    mib = 1024 * 1024
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "max_memory_reserved", lambda: 40 * mib)
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda: 30 * mib)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda: 20 * mib)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda: 10 * mib)
    resets = []
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda: resets.append(1))
    hook = hooks.TorchMemoryStats(period=2, max_runs=10)

    class _T:
        iter, max_iter = 0, 3
        storage = EventStorage()

    hook.trainer = _T()
    for i in range(3):
        _T.iter = i
        _T.storage.iter = i
        hook.after_step()
    s = _T.storage
    assert s.history("max_reserved_mem").values() == [(40.0, 1), (40.0, 2)]
    assert s.latest()["allocated_mem"] == (10.0, 2) and s.latest()["max_allocated_mem"] == (20.0, 2)
    assert len(resets) == 2


def test_torch_memory_stats_without_cuda_records_nothing():
    trainer = _trainer()
    trainer.register_hooks([hooks.TorchMemoryStats(period=1)])
    trainer.train(0, 2)
    if not torch.cuda.is_available():
        assert "allocated_mem" not in trainer.storage.latest()
