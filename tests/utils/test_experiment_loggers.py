"""W&B (offline mode) and MLflow (file store) writers log the config, scalars per iteration and images."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from PIL import Image

from detectra.utils.events import EventStorage
from detectra.utils.experiment_loggers import flatten_config

CONFIG = {"MODEL": {"WEIGHTS": "", "ROI_HEADS": {"NUM_CLASSES": 4}}, "SOLVER": {"BASE_LR": 0.02}}


def _drive(writer) -> None:
    """Three logged iterations, an evaluation metric at the last one, one image."""
    with EventStorage() as storage:
        for it in range(3):
            storage.iter = it
            storage.put_scalars(total_loss=3.0 - it, smoothing_hint=False)
            storage.put_scalar("lr", 0.01 * (it + 1), smoothing_hint=False)
            if it == 2:
                storage.put_scalar("bbox/AP", 42.5, smoothing_hint=False)
                storage.put_image("val/gt_vs_pred", torch.full((3, 8, 10), 0.5))
            writer.write()
    writer.close()


def _flushed(path, marker: bytes, seconds: float = 60.0) -> bytes:
    """The file's bytes once they contain ``marker``: W&B's service process writes offline records on its own
    after ``run.finish()`` returns."""
    deadline = time.monotonic() + seconds
    while marker not in path.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.2)
    return path.read_bytes()


def test_flatten_config():
    assert flatten_config(CONFIG) == {"MODEL.WEIGHTS": "", "MODEL.ROI_HEADS.NUM_CLASSES": 4, "SOLVER.BASE_LR": 0.02}


def test_mlflow_file_store(tmp_path, monkeypatch):
    pytest.importorskip("mlflow", reason="mlflow is optional (pip install 'detectra[mlflow]')")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps its file store behind this switch
    from mlflow.tracking import MlflowClient

    from detectra.utils.experiment_loggers import MLflowWriter

    uri = (tmp_path / "mlruns").as_uri()
    writer = MLflowWriter(tracking_uri=uri, experiment="test", run_name="tiny", config=CONFIG)
    run_id = writer.run.info.run_id
    _drive(writer)
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    assert run.data.params["MODEL.ROI_HEADS.NUM_CLASSES"] == "4" and run.info.status == "FINISHED"
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "total_loss")] == [(0, 3.0), (1, 2.0),
                                                                                           (2, 1.0)]  # fmt: skip
    assert run.data.metrics["bbox/AP"] == 42.5
    artifacts = {a.path for a in client.list_artifacts(run_id)} | {a.path for a in client.list_artifacts(run_id,
                                                                                                          "images")}
    assert "config.yaml" in artifacts and "images/val_gt_vs_pred_0000002.png" in artifacts


@pytest.fixture
def wandb_offline(monkeypatch):
    """W&B in offline mode, its process-wide settings reset afterwards (they are read once per process)."""
    wandb = pytest.importorskip("wandb", reason="wandb is optional (pip install 'detectra[wandb]')")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    yield
    wandb.teardown()


def test_wandb_offline(tmp_path, wandb_offline):
    from detectra.utils.experiment_loggers import WandbWriter

    writer = WandbWriter(project="detectra-test", name="tiny", config=CONFIG, dir=str(tmp_path), mode="offline")
    run = writer.run
    assert run.config["MODEL"]["ROI_HEADS"]["NUM_CLASSES"] == 4
    _drive(writer)
    # offline runs keep their history in the run's .wandb file (protobuf records: keys and json values as text)
    (record,) = tmp_path.rglob("run-*.wandb")
    data = _flushed(record, b"bbox/AP")
    assert b"total_loss" in data and b"bbox/AP" in data and b"42.5" in data and b"NUM_CLASSES" in data
    images = list(tmp_path.rglob("media/images/val/gt_vs_pred_2_*.png"))
    assert len(images) == 1 and np.asarray(Image.open(images[0])).shape == (8, 10, 3)
