"""cfg.TEST.PRECISION: the predictors and inference_on_dataset compute under autocast and return float32."""
from __future__ import annotations

import pytest
import torch

from detectra.engine.predictor import BatchPredictor, DefaultPredictor
from detectra.evaluation import DatasetEvaluator, inference_on_dataset
from detectra.structures import Boxes, Instances
from detectra.utils.precision import outputs_to_float32, precision_dtype

from test_predictor import _bgr, _tiny_cfg


class _DtypeProbe:
    """Records the dtype of the backbone's output features (what the model computed in)."""

    def __init__(self, model):
        self.dtypes = []
        model.backbone.register_forward_hook(lambda m, i, out: self.dtypes.append(next(iter(out.values())).dtype))


def _check_float32(instances: Instances) -> None:
    assert instances.pred_boxes.tensor.dtype == torch.float32
    assert instances.scores.dtype == torch.float32
    assert instances.pred_classes.dtype == torch.int64


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_predictors_compute_in_the_configured_dtype_and_return_float32(precision):
    cfg = _tiny_cfg()
    cfg.TEST.PRECISION = precision
    torch.manual_seed(0)
    predictor = DefaultPredictor(cfg)
    probe = _DtypeProbe(predictor.model)
    outputs = predictor(_bgr(1))
    assert probe.dtypes == [precision_dtype(precision)]
    _check_float32(outputs["instances"])
    assert len(outputs["instances"]) > 0

    batch = BatchPredictor(cfg, batch_size=2, show_progress=False)
    probe = _DtypeProbe(batch.model)
    results = list(batch([_bgr(1), _bgr(2), _bgr(3)]))
    assert [key for key, _ in results] == [0, 1, 2]
    assert probe.dtypes == [precision_dtype(precision)] * 2
    for _, out in results:
        _check_float32(out["instances"])


def test_float32_default_runs_without_autocast():
    cfg = _tiny_cfg()
    assert cfg.TEST.PRECISION == "float32"
    predictor = DefaultPredictor(cfg)
    probe = _DtypeProbe(predictor.model)
    predictor(_bgr(1))
    assert probe.dtypes == [torch.float32]


def test_bad_precision_names_the_key():
    cfg = _tiny_cfg()
    cfg.TEST.PRECISION = "fp8"
    with pytest.raises(ValueError, match=r"TEST.PRECISION.*'fp8'.*float32, bfloat16, float16"):
        DefaultPredictor(cfg)
    with pytest.raises(ValueError, match="TEST.PRECISION"):
        inference_on_dataset(torch.nn.Linear(1, 1), [], None, precision="half")


class _DtypeEvaluator(DatasetEvaluator):
    def reset(self):
        self.dtypes = set()

    def process(self, inputs, outputs):
        for out in outputs:
            self.dtypes |= {out["score"].dtype, out["instances"].pred_boxes.tensor.dtype}

    def evaluate(self):
        return {"dtypes": sorted(str(d) for d in self.dtypes)}


class _HalfModel(torch.nn.Module):
    """A linear 'detector' whose outputs keep the compute dtype, as an autocast model's raw outputs do."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)

    def forward(self, inputs):
        outs = []
        for x in inputs:
            y = self.linear(x["x"])  # bf16 under autocast
            inst = Instances((8, 8), pred_boxes=Boxes(y.reshape(-1, 4)), pred_classes=torch.zeros(1, dtype=torch.long))
            outs.append({"score": y.sum(), "instances": inst})
        return outs


def test_inference_on_dataset_precision_gives_the_evaluator_float32():
    loader = [[{"x": torch.randn(1, 4)}] for _ in range(3)]
    model = _HalfModel()
    raw = None
    with torch.autocast("cpu", dtype=torch.bfloat16):
        raw = model(loader[0])
    assert raw[0]["score"].dtype == torch.bfloat16  # what the evaluator would see without the cast
    results = inference_on_dataset(model, loader, _DtypeEvaluator(), precision="bfloat16")
    assert results == {"dtypes": ["torch.float32"]}
    converted = outputs_to_float32(raw)
    assert converted[0]["instances"].pred_classes.dtype == torch.int64  # integers untouched


def test_predict_cli_has_precision_flag():
    from detectra.cli import predict

    args = predict.build_parser("detectra predict").parse_args(["img.jpg", "-o", "out", "--precision", "bfloat16"])
    assert args.precision == "bfloat16"
