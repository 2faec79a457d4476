"""The per-iteration training bar: aligned columns, one update per iteration, closed before each evaluation."""
from __future__ import annotations

import io
import logging
import types

from detectra.engine.progress import TrainingProgress, progress_columns
from detectra.utils.events import EventStorage


def test_columns_align_with_the_header():
    header, values = progress_columns(4, 100, {"total_loss": 1.23456, "loss_rpn_loc": 0.5}, 0.02, 12.34, 3725)
    assert [h.strip() for h in header] == ["iter", "loss", "rpn_loc", "lr", "img/s", "eta"]
    assert [v.strip() for v in values] == ["5/100", "1.235", "0.5", "0.02", "12.3", "1:02:05"]
    assert [len(h) for h in header] == [len(v) for v in values]


def test_bar_advances_every_iteration_and_closes_before_evaluation():
    out = io.StringIO()
    hook = TrainingProgress(6, ims_per_batch=4, eval_period=3, file=out)
    trainer = types.SimpleNamespace(max_iter=6)
    hook.trainer = trainer
    seen = []
    with EventStorage() as storage:
        trainer.storage = storage
        for it in range(6):
            storage.iter = it
            storage.put_scalars(total_loss=2.0 - it * 0.1, loss_cls=1.0, time=0.5)
            storage.put_scalar("lr", 0.01, smoothing_hint=False)
            hook.after_step()
            seen.append(None if hook._bar is None else hook._bar.n)
            storage.step()
        hook.after_train()
    # closed right after iterations 3 and 6 (1-based), where EvalHook evaluates; reopened in between
    assert seen == [1, 2, None, 4, 5, None]
    text = out.getvalue()
    assert text.count("img/s") == 2  # one header per bar: before training and after the evaluation at 3
    assert "8.0" in text  # 4 images / 0.5 s
    assert "6/6" in text and "100%" in text


def test_console_names_loggers_as_the_log_file(capsys):
    from detectra.utils.logger import _ColorfulFormatter

    fmt = _ColorfulFormatter("[%(name)s]: %(message)s", root_name="detectra", abbrev_name="detectra")
    record = logging.LogRecord("detectra.utils.events", logging.INFO, __file__, 1, "hi", None, None)
    assert fmt.format(record) == "[detectra.utils.events]: hi"
    short = _ColorfulFormatter("[%(name)s]: %(message)s", root_name="detectra", abbrev_name="d2")
    assert short.format(record) == "[d2.utils.events]: hi" and record.name == "detectra.utils.events"
