"""inference_on_dataset, DatasetEvaluators and the result helpers."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from detectra.evaluation import (
    DatasetEvaluator,
    DatasetEvaluators,
    flatten_results_dict,
    inference_context,
    inference_on_dataset,
    print_csv_format,
    verify_results,
)


class _SumModel(nn.Module):
    """Returns, per input, the sum of its image times a learned scale; records the grad mode and training flag."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))
        self.seen = []

    def forward(self, batched_inputs):
        self.seen.append((self.training, torch.is_grad_enabled()))
        return [{"value": self.scale * x["image"].float().sum()} for x in batched_inputs]


class _MeanEvaluator(DatasetEvaluator):
    def __init__(self, task="mean"):
        self.task = task

    def reset(self):
        self.values, self.ids = [], []

    def process(self, inputs, outputs):
        for i, o in zip(inputs, outputs):
            self.ids.append(i["image_id"])
            self.values.append(float(o["value"]))

    def evaluate(self):
        return {self.task: {"value": sum(self.values) / len(self.values), "count": len(self.ids)}}


def _loader(n=7, batch=2):
    items = [{"image_id": i, "image": torch.full((1, 2, 2), float(i))} for i in range(n)]
    return [items[i : i + batch] for i in range(0, n, batch)]


def test_inference_on_dataset_runs_eval_mode_no_grad_and_restores():
    model = _SumModel()
    model.train()
    calls = []
    callbacks = {k: (lambda k=k: calls.append(k)) for k in ("on_start", "before_inference", "after_inference", "on_end")}
    results = inference_on_dataset(model, _loader(), _MeanEvaluator(), callbacks=callbacks)
    # each image i sums to 4*i, scaled by 2: mean over i=0..6 of 8*i = 24
    assert results == {"mean": {"value": pytest.approx(24.0), "count": 7}}
    assert model.seen == [(False, False)] * 4
    assert model.training  # restored
    assert calls[0] == "on_start" and calls[-1] == "on_end" and calls.count("before_inference") == 4


def test_inference_on_dataset_list_of_evaluators_and_none(caplog):
    model = _SumModel()
    results = inference_on_dataset(model, _loader(), [_MeanEvaluator("a"), _MeanEvaluator("b")])
    assert set(results) == {"a", "b"} and results["a"] == results["b"]
    with caplog.at_level(logging.INFO, logger="detectra.evaluation.evaluator"):
        assert inference_on_dataset(model, _loader(), None) == {}
    assert "Total inference time" in caplog.text and "Inference done 4/4" in caplog.text


def test_inference_on_dataset_unknown_callback():
    with pytest.raises(KeyError, match="before_inference"):
        inference_on_dataset(_SumModel(), _loader(), None, callbacks={"oops": lambda: None})


def test_dataset_evaluators_reject_duplicate_tasks():
    evaluators = DatasetEvaluators([_MeanEvaluator("a"), _MeanEvaluator("a")])
    with pytest.raises(KeyError, match="'a'"):
        inference_on_dataset(_SumModel(), _loader(), evaluators)


def test_inference_context_restores_eval_mode():
    model = _SumModel().eval()
    with inference_context(model):
        assert not model.training
    assert not model.training


def test_flatten_and_csv(caplog):
    results = {"bbox": {"AP": 50.0, "AP-cat": 10.0}, "sem_seg": {"mIoU": 1.5}}
    assert flatten_results_dict(results) == {"bbox/AP": 50.0, "bbox/AP-cat": 10.0, "sem_seg/mIoU": 1.5}
    with caplog.at_level(logging.INFO, logger="detectra.evaluation.testing"):
        print_csv_format(results)
    assert "copypaste: AP\n" in caplog.text
    assert "AP-cat" not in caplog.text and "50.0000" in caplog.text


def test_verify_results():
    from detectra.config import get_cfg

    cfg = get_cfg()
    results = {"bbox": {"AP": 50.0}}
    assert verify_results(cfg, results)  # nothing expected
    cfg.TEST.EXPECTED_RESULTS = [["bbox", "AP", 50.2, 0.5]]
    assert verify_results(cfg, results)
    cfg.TEST.EXPECTED_RESULTS = [["bbox", "AP", 52.0, 0.5]]
    with pytest.raises(SystemExit):
        verify_results(cfg, results)
    cfg.TEST.EXPECTED_RESULTS = [["segm", "AP", 50.0, 0.5]]
    with pytest.raises(SystemExit):
        verify_results(cfg, results)
