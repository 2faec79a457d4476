import json
import logging

import numpy as np
import pytest
import torch

from detectra.utils.events import (
    CommonMetricPrinter,
    EventStorage,
    HistoryBuffer,
    JSONWriter,
    TensorboardXWriter,
    get_event_storage,
)


def test_history_buffer_statistics():
    buf = HistoryBuffer(max_length=3)
    for i, v in enumerate([1.0, 5.0, 2.0, 10.0]):
        buf.update(v, i)
    assert buf.latest() == 10.0
    assert buf.values() == [(5.0, 1), (2.0, 2), (10.0, 3)]  # oldest value dropped
    assert buf.median(2) == 6.0
    assert buf.avg(3) == pytest.approx(17 / 3)
    assert buf.global_avg() == pytest.approx(18 / 4)  # global mean keeps dropped values


def test_history_buffer_state_roundtrip():
    buf = HistoryBuffer()
    for i in range(10):
        buf.update(float(i), i)
    other = HistoryBuffer()
    other.load_state_dict(buf.state_dict(max_values=4))
    assert other.values() == [(6.0, 6), (7.0, 7), (8.0, 8), (9.0, 9)]
    assert other.global_avg() == buf.global_avg() == 4.5


def test_get_event_storage_outside_context_raises():
    with pytest.raises(RuntimeError, match="EventStorage"):
        get_event_storage()


def test_storage_scalars_smoothing_and_scopes():
    with EventStorage(start_iter=3) as storage:
        assert get_event_storage() is storage
        assert storage.iter == 3
        for v in [4.0, 1.0, 3.0]:
            storage.put_scalars(loss=v, lr=v * 10, smoothing_hint=True)
            storage.put_scalar("raw", v, smoothing_hint=False)
            storage.step()
        with storage.name_scope("rpn"):
            storage.put_scalar("num_pos", torch.tensor(7))
        latest = storage.latest()
        assert latest["loss"] == (3.0, 5)
        assert latest["rpn/num_pos"] == (7.0, 6)
        smoothed = storage.latest_with_smoothing_hint(window_size=3)
        assert smoothed["loss"] == (3.0, 5)  # median of 4, 1, 3
        assert smoothed["raw"] == (3.0, 5)  # no smoothing: the latest value
        assert storage.latest_with_smoothing_hint(window_size=2)["loss"] == (2.0, 5)
        assert storage.history("lr").values() == [(40.0, 3), (10.0, 4), (30.0, 5)]
        assert storage.smoothing_hints() == {"loss": True, "lr": True, "raw": False, "rpn/num_pos": True}
        with pytest.raises(ValueError, match="smoothing_hint"):
            storage.put_scalar("raw", 1.0, smoothing_hint=True)
        with pytest.raises(KeyError, match="nope"):
            storage.history("nope")


def test_nested_storages_and_histogram():
    with EventStorage() as outer:
        with EventStorage() as inner:
            assert get_event_storage() is inner
            inner.put_histogram("w", torch.tensor([0.0, 1.0, 1.0, 3.0]), bins=3)
        assert get_event_storage() is outer
    (h,) = inner._histograms
    assert h["num"] == 4 and h["min"] == 0.0 and h["max"] == 3.0 and h["sum"] == 5.0 and h["sum_squares"] == 11.0
    assert h["bucket_counts"] == [1.0, 2.0, 1.0]
    assert h["bucket_limits"] == [1.0, 2.0, 3.0]


def test_storage_state_dict_restores_smoothed_values():
    with EventStorage() as a:
        for i, v in enumerate([5.0, 1.0, 2.0, 8.0]):
            a.iter = i
            a.put_scalar("loss", v)
    b = EventStorage(start_iter=4)
    b.load_state_dict(a.state_dict())
    with b:
        b.put_scalar("loss", 0.0)
    assert b.latest_with_smoothing_hint(window_size=3)["loss"] == (2.0, 4)  # median of 2, 8, 0
    assert b.history("loss").global_avg() == pytest.approx(16 / 5)


def test_json_writer_lines_and_append(tmp_path):
    path = tmp_path / "metrics.json"
    writer = JSONWriter(path, window_size=2)
    with EventStorage() as storage:
        for i in range(3):
            storage.iter = i
            storage.put_scalar("loss", float(i + 1))
            storage.put_scalar("lr", 0.5, smoothing_hint=False)
            if i == 1:
                writer.write()  # writes iterations 0 and 1
        writer.write()
        writer.write()  # nothing new: no duplicate line
    writer.close()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    # "loss" put at iter 0 is superseded by iter 1 when the writer first runs, so it appears from iter 1 on.
    assert lines == [
        {"iteration": 1, "loss": 1.5, "lr": 0.5},
        {"iteration": 2, "loss": 2.5, "lr": 0.5},
    ]
    writer = JSONWriter(path)
    with EventStorage(start_iter=3) as storage:
        storage.put_scalar("loss", 9.0)
        writer.write()
    writer.close()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(lines) == 3 and lines[-1] == {"iteration": 3, "loss": 9.0}


def test_tensorboard_writer_writes_events(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    writer = TensorboardXWriter(str(tmp_path), window_size=1)
    with EventStorage() as storage:
        for i in range(3):
            storage.iter = i
            storage.put_scalar("loss", float(i) * 2)
            writer.write()
        storage.put_image("img", torch.rand(3, 8, 8))
        storage.put_histogram("hist", torch.arange(10.0), bins=5)
        writer.write()
        assert storage._vis_data == [] and storage._histograms == []
    writer.close()
    acc = EventAccumulator(str(tmp_path), size_guidance={"images": 0, "scalars": 0, "histograms": 0}).Reload()
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(0, 0.0), (1, 2.0), (2, 4.0)]
    assert acc.Tags()["images"] == ["img"]
    assert acc.Histograms("hist")[0].histogram_value.num == 10


class _Capture(logging.Handler):
    """Collect a logger's messages directly (setup_logger turns propagation to the root off)."""

    def __init__(self, name):
        super().__init__(logging.DEBUG)
        self.logger = logging.getLogger(name)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def __enter__(self):
        self.logger.addHandler(self)
        self._level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self._level)


def test_common_metric_printer_line():
    printer = CommonMetricPrinter(max_iter=100, window_size=2, progress_bar=False)
    with EventStorage() as storage:
        for i in range(3):
            storage.iter = i
            storage.put_scalars(total_loss=float(i), loss_cls=1.0, time=0.5, data_time=0.25)
            storage.put_scalar("lr", 0.02, smoothing_hint=False)
        with _Capture("detectra.utils.events") as cap:
            printer.write()
    (msg,) = cap.messages
    assert "iter: 2" in msg
    assert "total_loss: 1.5" in msg and "loss_cls: 1" in msg
    assert "time: 0.5000" in msg and "data_time: 0.2500" in msg
    assert "lr: 0.02" in msg
    assert "eta: 0:00:48" in msg  # median time 0.5 s * 97 remaining iterations
    assert ("max_mem" in msg) or ("max_rss" in msg)
    assert storage.latest()["eta_seconds"][0] == pytest.approx(48.5)


def test_common_metric_printer_progress_bar():
    import io

    printer = CommonMetricPrinter(max_iter=10, progress_bar=True)
    with EventStorage() as storage:
        storage.iter = 4
        storage.put_scalars(total_loss=2.0, time=0.1)
        storage.put_scalar("lr", 0.01, smoothing_hint=False)
        printer._bar_file = io.StringIO()
        printer.write()
    bar = printer._bar
    assert bar is not None and bar.n == 5 and bar.total == 10
    assert bar.postfix is not None and "total_loss=2" in bar.postfix and "lr=0.01" in bar.postfix
    printer.close()
    assert printer._bar is None


def test_numpy_and_tensor_values_are_floats():
    with EventStorage() as storage:
        storage.put_scalar("a", np.float32(1.5))
        storage.put_scalar("b", torch.tensor([2.5]))
    assert storage.latest() == {"a": (1.5, 0), "b": (2.5, 0)}
