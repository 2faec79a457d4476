"""`detectra train --logger wandb,mlflow`: a short run reaches both trackers offline (W&B offline mode, MLflow's
file store), final evaluation metrics included."""
from __future__ import annotations

import time

import pytest
from cli_testlib import TINY_OPTS, shortcut_args

from detectra.cli import main


def test_train_logs_to_wandb_and_mlflow(tiny_shapes, tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason="wandb is optional (pip install 'detectra[wandb]')")
    pytest.importorskip("mlflow", reason="mlflow is optional (pip install 'detectra[mlflow]')")
    from mlflow.tracking import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "cli")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    out = tmp_path / "run"
    assert main(["train", "--config-file", "shapes/faster_rcnn_R_18_FPN", "--output-dir", str(out), "--num-vis",
                 "0", "--no-plots", "--logger", "wandb,mlflow", *shortcut_args(tiny_shapes), *TINY_OPTS]) == 0
    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("cli").experiment_id])
    assert run.info.run_name == "run" and run.data.params["MODEL.ROI_HEADS.NUM_CLASSES"] == "4"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "total_loss")] == [2]
    assert "bbox/AP50" in run.data.metrics  # the evaluation after training
    __import__("wandb").teardown()  # W&B reads its settings once per process: reset them for later tests
    (record,) = (out / "wandb").rglob("run-*.wandb")
    for _ in range(300):  # W&B's service process writes offline records on its own after run.finish()
        if b"bbox/AP50" in record.read_bytes():
            break
        time.sleep(0.2)
    assert b"total_loss" in record.read_bytes() and b"bbox/AP50" in record.read_bytes()
