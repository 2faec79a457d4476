"""LR schedules equal Detectron2's formulas at every iteration, and LRMultiplier state round-trips."""
import math

import pytest
import torch

from detectra.config import get_cfg
from detectra.solver import (
    LRMultiplier,
    MultiStepParamScheduler,
    WarmupCosineLR,
    WarmupMultiStepLR,
    WarmupParamScheduler,
    build_lr_scheduler,
)

BASE_LR = 0.02


def _optimizer():
    p = torch.nn.Parameter(torch.zeros(2))
    return torch.optim.SGD([p], lr=BASE_LR, momentum=0.9)


def _cfg(name, **solver):
    cfg = get_cfg()
    cfg.SOLVER.LR_SCHEDULER_NAME = name
    cfg.SOLVER.BASE_LR = BASE_LR
    for k, v in solver.items():
        setattr(cfg.SOLVER, k, v)
    return cfg


def _lrs(cfg):
    """LR used at each iteration 0..MAX_ITER-1, read as the trainer does (step after each iteration)."""
    opt = _optimizer()
    sched = build_lr_scheduler(cfg, opt)
    out = []
    for _ in range(cfg.SOLVER.MAX_ITER):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def _warmup_linear(it, warmup_iters, factor, end_value):
    # fvcore: LinearParamScheduler(factor * sched(0), sched(warmup_length)) over the rescaled warmup interval
    alpha = it / warmup_iters
    return factor * (1 - alpha) + end_value * alpha


@pytest.mark.parametrize("method", ["linear", "constant"])
def test_multistep_every_iteration(method):
    max_iter, steps, warmup, gamma, factor = 200, (90, 150), 30, 0.1, 0.001
    cfg = _cfg("WarmupMultiStepLR", MAX_ITER=max_iter, STEPS=steps, WARMUP_ITERS=warmup, GAMMA=gamma,
               WARMUP_FACTOR=factor, WARMUP_METHOD=method)
    for it, lr in enumerate(_lrs(cfg)):
        decay = gamma ** sum(it >= s for s in steps)
        if it < warmup:
            expected = factor if method == "constant" else _warmup_linear(it, warmup, factor, 1.0)
        else:
            expected = decay
        assert lr == pytest.approx(BASE_LR * expected, rel=1e-9, abs=1e-15), it


def test_multistep_ignores_steps_beyond_max_iter(caplog):
    # 100 == MAX_ITER and 500 > MAX_ITER never take effect: both are dropped with a warning, not an error.
    cfg = _cfg("WarmupMultiStepLR", MAX_ITER=100, STEPS=(50, 100, 500), WARMUP_ITERS=0)
    lrs = _lrs(cfg)
    assert lrs[49] == pytest.approx(BASE_LR) and lrs[50] == pytest.approx(BASE_LR * 0.1)
    assert lrs[99] == pytest.approx(BASE_LR * 0.1)
    assert ">= SOLVER.MAX_ITER (100)" in caplog.text


@pytest.mark.parametrize("end", [0.0, 0.002])
def test_cosine_every_iteration(end):
    max_iter, warmup, factor = 150, 20, 0.01
    cfg = _cfg("WarmupCosineLR", MAX_ITER=max_iter, WARMUP_ITERS=warmup, WARMUP_FACTOR=factor, BASE_LR_END=end)
    end_value = end / BASE_LR
    cosine = lambda w: end_value + 0.5 * (1 - end_value) * (1 + math.cos(math.pi * w))  # noqa: E731
    for it, lr in enumerate(_lrs(cfg)):
        if it < warmup:
            expected = _warmup_linear(it, warmup, factor * cosine(0.0), cosine(warmup / max_iter))
        else:
            expected = cosine(it / max_iter)
        assert lr == pytest.approx(BASE_LR * expected, rel=1e-9, abs=1e-15), it


@pytest.mark.parametrize("rescale", [False, True])
def test_step_with_fixed_gamma_every_iteration(rescale):
    max_iter, warmup, gamma, num_decays, factor = 120, 12, 0.5, 3, 0.1
    cfg = _cfg("WarmupStepWithFixedGammaLR", MAX_ITER=max_iter, WARMUP_ITERS=warmup, GAMMA=gamma,
               NUM_DECAYS=num_decays, WARMUP_FACTOR=factor, RESCALE_INTERVAL=rescale)
    n = num_decays + 1

    def step_value(where):
        return gamma ** min(int((where + 1e-6) * n), n - 1)

    for it, lr in enumerate(_lrs(cfg)):
        where = it / max_iter
        warm_len = warmup / max_iter
        if it < warmup:
            expected = _warmup_linear(it, warmup, factor, step_value(warm_len))
        else:
            expected = step_value((where - warm_len) / (1 - warm_len) if rescale else where)
        assert lr == pytest.approx(BASE_LR * expected, rel=1e-9), it
    # rescaling shifts the decay points into the post-warmup interval
    lrs = _lrs(cfg)
    first_decay = next(i for i, v in enumerate(lrs) if i >= warmup and v < BASE_LR * 0.99)
    assert first_decay == (warmup + (max_iter - warmup) // n if rescale else max_iter // n)


def test_last_step_does_not_crash_and_matches_legacy_classes():
    # The trainer steps the scheduler after the last iteration too (where == 1.0).
    max_iter = 60
    opt = _optimizer()
    sched = LRMultiplier(
        opt, WarmupParamScheduler(MultiStepParamScheduler([1, 0.1, 0.01], milestones=[30, 45], num_updates=max_iter),
                                  0.001, 10 / max_iter), max_iter=max_iter)
    opt2 = _optimizer()
    legacy = WarmupMultiStepLR(opt2, milestones=[30, 45], gamma=0.1, warmup_factor=0.001, warmup_iters=10)
    for it in range(max_iter):
        assert opt.param_groups[0]["lr"] == pytest.approx(opt2.param_groups[0]["lr"], rel=1e-9), it
        opt.step(), opt2.step()
        sched.step(), legacy.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(BASE_LR * 0.01)


def test_legacy_cosine():
    opt = _optimizer()
    s = WarmupCosineLR(opt, max_iters=100, warmup_factor=0.1, warmup_iters=10, warmup_method="constant")
    for _ in range(5):
        opt.step(), s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(BASE_LR * 0.1 * 0.5 * (1 + math.cos(math.pi * 5 / 100)))


def test_lr_multiplier_state_dict_round_trip(tmp_path):
    cfg = _cfg("WarmupMultiStepLR", MAX_ITER=100, STEPS=(40, 70), WARMUP_ITERS=10)
    opt = _optimizer()
    sched = build_lr_scheduler(cfg, opt)
    for _ in range(55):
        opt.step(), sched.step()
    state = sched.state_dict()
    assert set(state) == {"base_lrs", "last_epoch"} and state["last_epoch"] == 55
    torch.save(state, tmp_path / "s.pth")
    loaded = torch.load(tmp_path / "s.pth", weights_only=True)

    opt2 = _optimizer()
    sched2 = build_lr_scheduler(cfg, opt2)
    sched2.load_state_dict(loaded)
    for _ in range(30):
        opt.step(), sched.step()
        opt2.step(), sched2.step()
        assert sched2.get_last_lr() == pytest.approx(sched.get_last_lr())
    assert sched2.last_epoch == 85 and sched2.get_last_lr()[0] == pytest.approx(BASE_LR * 0.01)


def test_unknown_names_raise_clear_errors():
    with pytest.raises(ValueError, match="LR_SCHEDULER_NAME"):
        build_lr_scheduler(_cfg("Nope"), _optimizer())
    with pytest.raises(ValueError, match="WARMUP_METHOD"):
        build_lr_scheduler(_cfg("WarmupMultiStepLR", WARMUP_METHOD="cubic"), _optimizer())
