import io
import logging
import random
import sys

import numpy as np
import pytest
import torch

from detectra.utils import comm
from detectra.utils.env import collect_env_info, seed_all_rng
from detectra.utils.logger import (
    create_small_table,
    create_table,
    log_every_n,
    log_every_n_seconds,
    log_first_n,
    setup_logger,
)


def test_comm_single_process():
    assert comm.get_world_size() == 1
    assert comm.get_rank() == 0 and comm.get_local_rank() == 0 and comm.get_local_size() == 1
    assert comm.is_main_process()
    comm.synchronize()
    assert comm.all_gather({"a": 1}) == [{"a": 1}]
    assert comm.gather([1, 2]) == [[1, 2]]
    d = {"loss": torch.tensor(2.0)}
    assert comm.reduce_dict(d) is d
    np.random.seed(0)
    seed = comm.shared_random_seed()
    np.random.seed(0)
    assert seed == np.random.randint(2**31)
    with pytest.raises(RuntimeError, match="launch"):
        comm.get_local_process_group()


def test_seed_all_rng_repeats_draws():
    assert seed_all_rng(123) == 123
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_all_rng(123)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a
    assert isinstance(seed_all_rng(None), int)


def test_collect_env_info_is_a_table():
    info = collect_env_info()
    lines = info.splitlines()
    torch_line = next(x for x in lines if x.startswith("| PyTorch "))
    assert torch.__version__ in torch_line
    assert any(x.startswith("| GPU available") and str(torch.cuda.is_available()) in x for x in lines)
    assert any(x.startswith("| numpy") and np.__version__ in x for x in lines)


def test_create_table_alignment():
    table = create_table([["a", 1.23456, 3], ["bbb", 10.0, 12]], headers=["name", "x", "n"])
    assert table.splitlines() == [
        "| name |      x |  n |",
        "|:-----|-------:|---:|",
        "| a    |  1.235 |  3 |",
        "| bbb  | 10.000 | 12 |",
    ]
    assert create_small_table({"AP": 40.0, "AP50": 61.5}).splitlines()[2] == "| 40.000 | 61.500 |"


def test_setup_logger_files_per_rank(tmp_path):
    log0 = setup_logger(str(tmp_path), distributed_rank=0, name="detectra_test_a")
    log0.info("rank zero line")
    log1 = setup_logger(str(tmp_path), distributed_rank=1, name="detectra_test_b")
    log1.info("rank one line")
    assert "rank zero line" in (tmp_path / "log.txt").read_text()
    assert "rank one line" in (tmp_path / "log.txt.rank1").read_text()
    # Rank 1 has no console handler; rank 0 has one.
    kinds0 = sorted(type(h).__name__ for h in log0.handlers)
    kinds1 = [type(h).__name__ for h in log1.handlers]
    assert kinds0 == ["StreamHandler", "_TqdmStreamHandler"] and kinds1 == ["StreamHandler"]
    # Cached: calling again adds no handler.
    assert setup_logger(str(tmp_path), distributed_rank=0, name="detectra_test_a") is log0
    assert len(log0.handlers) == 2


def test_setup_logger_console_is_plain_off_terminal(capsys):
    logger = setup_logger(name="detectra_test_c")
    logger.warning("careful")
    out = capsys.readouterr().out
    assert "careful" in out and "WARNING" in out and "\x1b[" not in out


def test_console_handler_follows_sys_stdout_after_a_redirect_is_closed(monkeypatch):
    # setup_logger is cached: its console handler must not keep writing to a stream a redirect has closed since.
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", first)
    logger = setup_logger(name="detectra_test_redirect")
    logger.warning("to the first")
    first.close()
    monkeypatch.setattr(sys, "stdout", second)
    errors = io.StringIO()
    monkeypatch.setattr(sys, "stderr", errors)  # where logging reports a failed emit
    assert setup_logger(name="detectra_test_redirect") is logger
    logger.warning("to the second")
    assert "to the second" in second.getvalue() and "to the first" not in second.getvalue()
    assert errors.getvalue() == ""


def test_rate_limited_logging():
    from test_events import _Capture

    with _Capture("detectra.t") as cap:
        for _ in range(5):
            log_first_n(logging.INFO, "first", n=2, name="detectra.t")
        for _ in range(7):
            log_every_n(logging.INFO, "every", n=3, name="detectra.t")
        for _ in range(3):
            log_every_n_seconds(logging.INFO, "secs", n=60, name="detectra.t")
        for m in ["x", "x", "y"]:
            log_first_n(logging.INFO, m, n=1, name="detectra.t", key="message")
    msgs = cap.messages
    assert msgs.count("first") == 2
    assert msgs.count("every") == 3  # calls 1, 4, 7
    assert msgs.count("secs") == 1
    assert msgs.count("x") == 1 and msgs.count("y") == 1
    with pytest.raises(ValueError, match="key"):
        log_first_n(logging.INFO, "m", key="bogus")
