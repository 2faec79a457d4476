import logging
import math
import weakref

import pytest
import torch
from engine_testlib import TinyDetectorLike, make_train_loader
from torch import nn

from detectra.engine import AMPTrainer, HookBase, SimpleTrainer, TrainerBase
from detectra.engine.train_loop import parse_precision


class _Recorder(HookBase):
    def __init__(self, log):
        self.log = log

    def before_train(self):
        self.log.append(("before_train", self.trainer.iter))

    def before_step(self):
        self.log.append(("before_step", self.trainer.iter))

    def after_backward(self):
        self.log.append(("after_backward", self.trainer.iter))

    def after_step(self):
        self.log.append(("after_step", self.trainer.iter))

    def after_train(self):
        self.log.append(("after_train", self.trainer.iter))


class _Counter(HookBase):
    def __init__(self):
        self.count = 0

    def after_step(self):
        self.count += 1

    def state_dict(self):
        return {"count": self.count}

    def load_state_dict(self, state):
        self.count = state["count"]


def _simple(model=None, lr=0.1, **kwargs):
    model = model or TinyDetectorLike()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    return SimpleTrainer(model, make_train_loader(), opt, **kwargs)


def test_hook_order_and_weakref_binding():
    trainer = _simple()
    log = []
    hook = _Recorder(log)
    trainer.register_hooks([hook, None])
    assert isinstance(hook.trainer, weakref.ProxyType)
    trainer.train(2, 4)
    assert log == [
        ("before_train", 2),
        ("before_step", 2), ("after_backward", 2), ("after_step", 2),
        ("before_step", 3), ("after_backward", 3), ("after_step", 3),
        ("after_train", 4),
    ]  # fmt: skip
    with pytest.raises(TypeError, match="HookBase"):
        trainer.register_hooks([object()])


def test_simple_trainer_records_losses_and_updates_weights():
    torch.manual_seed(0)
    model = TinyDetectorLike()
    before = model.cls.weight.detach().clone()
    trainer = _simple(model)
    trainer.train(0, 3)
    storage = trainer.storage
    cls_hist = [v for v, _ in storage.history("loss_cls").values()]
    reg_hist = [v for v, _ in storage.history("loss_reg").values()]
    total = [v for v, _ in storage.history("total_loss").values()]
    assert len(total) == 3 and [i for _, i in storage.history("total_loss").values()] == [0, 1, 2]
    assert total == pytest.approx([c + r for c, r in zip(cls_hist, reg_hist)])
    assert storage.history("data_time").latest() >= 0
    assert not torch.equal(before, model.cls.weight)
    assert trainer.iter == 3


def test_first_step_matches_manual_sgd_step():
    torch.manual_seed(0)
    model = TinyDetectorLike()
    model.dropout.p = 0.0
    ref = TinyDetectorLike()
    ref.load_state_dict(model.state_dict())
    ref.dropout.p = 0.0
    batch = next(iter(make_train_loader()))
    ref.train()
    sum(ref(batch).values()).backward()
    expected = ref.cls.weight.detach() - 0.1 * ref.cls.weight.grad
    _simple(model, lr=0.1).train(0, 1)
    torch.testing.assert_close(model.cls.weight.detach(), expected)


class _NanModel(TinyDetectorLike):
    def forward(self, batched_inputs):
        losses = super().forward(batched_inputs)
        losses["loss_reg"] = losses["loss_reg"] * float("nan")
        return losses


def test_non_finite_loss_raises_with_iteration_and_losses():
    trainer = _simple(_NanModel())
    with pytest.raises(FloatingPointError) as e:
        trainer.train(5, 8)
    msg = str(e.value)
    assert "iteration=5" in msg and "loss_reg" in msg and "nan" in msg and "loss_cls" in msg


def test_zero_grad_before_forward_and_async_metrics():
    torch.manual_seed(0)
    m1 = TinyDetectorLike()
    m2 = TinyDetectorLike()
    m2.load_state_dict(m1.state_dict())
    torch.manual_seed(1)
    t1 = _simple(m1)
    t1.train(0, 3)
    torch.manual_seed(1)
    t2 = _simple(m2, zero_grad_before_forward=True, async_write_metrics=True)
    t2.train(0, 3)
    torch.testing.assert_close(m1.state_dict(), m2.state_dict())
    # async writes landed before train() returned, with the right iterations.
    assert t2.storage.history("total_loss").values() == t1.storage.history("total_loss").values()


def test_state_dict_has_iteration_hooks_optimizer_rng_and_storage():
    trainer = _simple()
    counter = _Counter()
    trainer.register_hooks([counter])
    trainer.train(0, 3)
    state = trainer.state_dict()
    assert state["iteration"] == 3
    assert state["hooks"] == {"_Counter": {"count": 3}}
    assert set(state["optimizer"]) == {"state", "param_groups"}
    assert set(state["rng_states"][0]) >= {"python", "numpy", "torch"}
    assert [v for v, _ in state["storage"]["histories"]["total_loss"]["data"]] == [
        v for v, _ in trainer.storage.history("total_loss").values()
    ]

    other = _simple()
    other_counter = _Counter()
    other.register_hooks([other_counter])
    other.load_state_dict(state)
    assert other.iter == 3 and other_counter.count == 3
    # RNG states are applied when training starts: the next torch draw repeats the saved stream.
    expected = torch.rand(1)  # not what training will see...
    torch.set_rng_state(state["rng_states"][0]["torch"])
    first_draw = torch.rand(5)
    torch.manual_seed(123)
    other._pending_rng_states = state["rng_states"][0]
    other._restore_rng_states()
    other._data_loader_iter_obj = None
    TrainerBase._restore_rng_states(other)
    assert torch.equal(torch.rand(5), first_draw) and not torch.equal(expected, first_draw[:1])


def test_resume_state_and_load_resume_state_round_trip():
    trainer = _simple()
    trainer.register_hooks([])
    state = trainer.resume_state()
    assert len(state["rng_states"]) == 1 and set(state["rng_states"][0]) >= {"python", "numpy", "torch"}
    # Single process: gathering changes nothing, and nothing stays behind afterwards.
    with trainer.gathered_resume_state():
        inside = trainer.resume_state()
    assert torch.equal(inside["rng_states"][0]["torch"], state["rng_states"][0]["torch"])
    assert trainer.resume_state()["loader_states"] == state["loader_states"]

    other = _simple()
    other.load_resume_state(state["rng_states"])
    torch.set_rng_state(state["rng_states"][0]["torch"])
    first_draw = torch.rand(3)
    torch.manual_seed(5)
    TrainerBase._restore_rng_states(other)
    assert torch.equal(torch.rand(3), first_draw)


def test_attach_hooks_shares_the_outer_list_and_stop_requested_is_public():
    outer, inner = TrainerBase(), _simple()
    inner.attach_hooks(outer._hooks)
    log = []
    outer.register_hooks([_Recorder(log)])
    assert inner._hooks is outer._hooks and len(inner._hooks) == 1
    assert not outer.stop_requested
    outer.request_stop()
    assert outer.stop_requested


def test_request_stop_ends_cleanly():
    class StopAt(HookBase):
        def after_step(self):
            if self.trainer.iter == 2:
                self.trainer.request_stop()

    log = []
    trainer = _simple()
    trainer.register_hooks([StopAt(), _Recorder(log)])
    trainer.train(0, 10)
    assert trainer.iter == 3
    assert [x for x in log if x[0] == "after_step"][-1] == ("after_step", 2)
    assert log[-1] == ("after_train", 3)


def test_amp_bf16_on_cpu_has_no_grad_scaler_and_autocasts():
    seen = {}

    class Probe(TinyDetectorLike):
        def forward(self, batched_inputs):
            out = super().forward(batched_inputs)
            seen["dtype"] = self.cls(torch.zeros(1, 8 * 16)).dtype
            return out

    model = Probe()
    trainer = AMPTrainer(model, make_train_loader(), torch.optim.SGD(model.parameters(), lr=0.1), precision="bfloat16")
    assert trainer.grad_scaler is None and trainer.precision == torch.bfloat16
    before = model.cls.weight.detach().clone()
    trainer.train(0, 2)
    assert seen["dtype"] == torch.bfloat16
    assert model.cls.weight.dtype == torch.float32 and not torch.equal(before, model.cls.weight)
    assert math.isfinite(trainer.storage.history("total_loss").latest())
    assert "grad_scaler" not in trainer.state_dict()


def test_amp_fp16_uses_grad_scaler_and_checkpoints_it():
    model = TinyDetectorLike()
    trainer = AMPTrainer(
        model, make_train_loader(), torch.optim.SGD(model.parameters(), lr=0.1), precision=torch.float16,
        log_grad_scaler=True,
    )  # fmt: skip
    assert isinstance(trainer.grad_scaler, torch.amp.GradScaler)
    trainer.train(0, 2)
    state = trainer.state_dict()
    assert state["grad_scaler"]["scale"] == trainer.grad_scaler.get_scale()
    assert trainer.storage.history("[metric]grad_scaler").latest() == 65536.0


@pytest.mark.parametrize("precision,warns", [("float16", True), ("bfloat16", False)])
def test_amp_float16_on_the_cpu_warns_that_it_is_slow_and_names_bfloat16(precision, warns):
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logging.getLogger("detectra.engine.train_loop").addHandler(handler)  # "detectra" may not propagate
    try:
        model = TinyDetectorLike()
        AMPTrainer(model, make_train_loader(), torch.optim.SGD(model.parameters(), lr=0.1), precision=precision)
    finally:
        logging.getLogger("detectra.engine.train_loop").removeHandler(handler)
    slow = [m for m in messages if "float16 on the CPU" in m]
    assert bool(slow) == warns
    assert not warns or "SOLVER.AMP.PRECISION bfloat16" in slow[0]


def test_parse_precision_errors():
    assert parse_precision("float16") is torch.float16 and parse_precision("bfloat16") is torch.bfloat16
    with pytest.raises(ValueError, match="SOLVER.AMP.PRECISION"):
        parse_precision("float8")
    with pytest.raises(ValueError, match="DataParallel|multi-device"):
        AMPTrainer(nn.DataParallel(TinyDetectorLike()), [], torch.optim.SGD(TinyDetectorLike().parameters(), 0.1))


def test_eval_mode_model_is_an_error():
    trainer = _simple()
    trainer.model.eval()
    with pytest.raises(RuntimeError, match="eval mode"):
        trainer.train(0, 1)
