import os

import pytest
import torch
from engine_testlib import TinyDetectorLike, make_train_loader, val_batches

from detectra.checkpoint import Checkpointer
from detectra.engine import SimpleTrainer, hooks


def _manual_val_losses(model, batches):
    ref = TinyDetectorLike()
    ref.load_state_dict(model.state_dict())
    ref.train()
    ref.dropout.p = model.dropout.p
    sums = {"loss_cls": 0.0, "loss_reg": 0.0}
    with torch.no_grad():
        for b in batches:
            for k, v in ref(b).items():
                sums[k] += float(v)
    return {k: v / len(batches) for k, v in sums.items()}


def test_validation_loss_values_equal_manual_computation():
    torch.manual_seed(0)
    model = TinyDetectorLike()
    model.dropout.p = 0.0  # deterministic forward, so the manual computation can be compared exactly
    batches = val_batches()
    trainer = SimpleTrainer(model, make_train_loader(), torch.optim.SGD(model.parameters(), lr=0.1))
    recorded = {}

    class Snapshot(hooks.HookBase):
        def after_step(self):
            if self.trainer.iter in (1, 3):
                # Same weights as ValidationLoss sees (it runs before this hook in after_step).
                recorded[self.trainer.iter] = _manual_val_losses(model, batches)

    val = hooks.ValidationLoss(2, model, batches)
    trainer.register_hooks([val, Snapshot()])
    bn = model.features[1]
    trainer.train(0, 4)
    storage = trainer.storage
    for it in (1, 3):
        expected = recorded[it]
        assert dict((i, v) for v, i in storage.history("val_loss_cls").values())[it] == pytest.approx(
            expected["loss_cls"], rel=1e-6
        )
        assert dict((i, v) for v, i in storage.history("val_loss_reg").values())[it] == pytest.approx(
            expected["loss_reg"], rel=1e-6
        )
        assert dict((i, v) for v, i in storage.history("val_total_loss").values())[it] == pytest.approx(
            expected["loss_cls"] + expected["loss_reg"], rel=1e-6
        )
    # BN statistics only moved with the 4 training batches, not the 2 x 3 validation batches.
    assert bn.num_batches_tracked.item() == 4
    assert val.state_dict()["best_loss"] == min(v for v, _ in storage.history("val_total_loss").values())


def test_validation_does_not_change_training():
    def run(with_val):
        torch.manual_seed(0)
        model = TinyDetectorLike()  # dropout on: validation must not shift the RNG stream
        trainer = SimpleTrainer(model, make_train_loader(), torch.optim.SGD(model.parameters(), lr=0.1))
        if with_val:
            trainer.register_hooks([hooks.ValidationLoss(1, model, val_batches())])
        torch.manual_seed(1)
        trainer.train(0, 3)
        return model.state_dict()

    torch.testing.assert_close(run(True), run(False), rtol=0, atol=0)


def test_early_stopping_stops_and_saves(tmp_path):
    torch.manual_seed(0)
    model = TinyDetectorLike()
    model.dropout.p = 0.0
    trainer = SimpleTrainer(model, make_train_loader(), torch.optim.SGD(model.parameters(), lr=0.0))
    ckpt = Checkpointer(model, str(tmp_path), trainer=trainer)
    # lr=0: the validation loss never improves after the first evaluation (iteration 1).
    val = hooks.ValidationLoss(2, model, val_batches(), patience=2, checkpointer=ckpt)
    eval_calls = []
    trainer.register_hooks([val, hooks.EvalHook(0, lambda: eval_calls.append(trainer.iter) or {"AP": 1.0})])
    trainer.train(0, 100)
    # Evaluations after iterations 1 (best), 3 (bad 1), 5 (bad 2 -> stop).
    assert val.stopped_at == 5 and trainer.iter == 6
    # The early-stopped model still gets its final evaluation.
    assert eval_calls == [6]
    assert [i for _, i in trainer.storage.history("val_total_loss").values()] == [1, 3, 5]
    final = torch.load(os.path.join(tmp_path, "model_final.pth"), weights_only=True)
    assert final["iteration"] == 5
    assert final["trainer"]["hooks"]["ValidationLoss"]["stopped_at"] == 5

    # A resumed run of an early-stopped training does not train further.
    trainer2 = SimpleTrainer(model, make_train_loader(), torch.optim.SGD(model.parameters(), lr=0.0))
    val2 = hooks.ValidationLoss(2, model, val_batches(), patience=2)
    trainer2.register_hooks([val2])
    trainer2.load_state_dict(final["trainer"] | {"optimizer": trainer2.optimizer.state_dict()})
    trainer2.train(6, 100)
    assert trainer2.iter == 6
    # Histories came back from the checkpoint; no iteration ran after it.
    assert trainer2.storage.history("total_loss").values()[-1][1] == 5


def test_validation_loss_argument_errors():
    with pytest.raises(ValueError, match="VAL_PERIOD"):
        hooks.ValidationLoss(0, TinyDetectorLike(), [])
    with pytest.raises(ValueError, match="EARLY_STOP_PATIENCE"):
        hooks.ValidationLoss(1, TinyDetectorLike(), [], patience=-1)
    hook = hooks.ValidationLoss(1, TinyDetectorLike(), [])
    with pytest.raises(ValueError, match="DATASETS.VAL"):
        hook.compute_losses()
