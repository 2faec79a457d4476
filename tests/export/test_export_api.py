"""The flatten / schema round trips, TracingAdapter on small modules, TorchScript
helpers and the Caffe2 names' errors (tests/api checks the public names). All fast: no R-50 here (see
test_export_parity.py)."""
import json
import logging

import pytest
import torch
from torch import nn

import detectra.export as export
from detectra import model_zoo
from detectra.export import export_model
from detectra.export.exporters import config_sidecar
from detectra.export.flatten import (
    DictSchema,
    IdentitySchema,
    InstancesSchema,
    ListSchema,
    TracingAdapter,
    TupleSchema,
    flatten_to_tuple,
    schema_from_dict,
)
from detectra.export.torchscript_patch import freeze_training_mode, patch_instances, patch_nonscriptable_classes
from detectra.structures import Boxes, Instances, ROIMasks


def _instances():
    inst = Instances((20, 30))
    inst.pred_boxes = Boxes(torch.tensor([[1.0, 2.0, 10.0, 12.0], [0.0, 0.0, 5.0, 5.0]]))
    inst.scores = torch.tensor([0.9, 0.3])
    inst.pred_masks = ROIMasks(torch.rand(2, 7, 7))
    return inst


def test_flatten_round_trip_nested():
    obj = {"instances": [_instances()], "extra": (torch.ones(3), [torch.zeros(2, 2)])}
    values, schema = flatten_to_tuple(obj)
    assert all(isinstance(v, torch.Tensor) for v in values)
    # sorted keys: extra (2 tensors), then instances: pred_boxes, pred_masks, scores, image_size
    assert len(values) == 2 + 4
    assert isinstance(schema, DictSchema) and schema.keys == ["extra", "instances"]
    rebuilt = schema(values)
    inst = rebuilt["instances"][0]
    assert inst.image_size == (20, 30)
    assert torch.equal(inst.pred_boxes.tensor, obj["instances"][0].pred_boxes.tensor)
    assert isinstance(inst.pred_masks, ROIMasks)
    assert isinstance(rebuilt["extra"], tuple) and torch.equal(rebuilt["extra"][1][0], torch.zeros(2, 2))
    # the json form (as stored in an export's sidecar) rebuilds the same schema
    again = schema_from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema
    assert isinstance(again.schemas[1].schemas[0], InstancesSchema)


def test_flatten_errors():
    with pytest.raises(TypeError, match="Cannot flatten an object of type set"):
        flatten_to_tuple({1, 2})
    with pytest.raises(TypeError, match="string keys"):
        flatten_to_tuple({1: torch.ones(1)})
    with pytest.raises(ValueError, match="expects 2 flattened values, got 1"):
        ListSchema([IdentitySchema(), IdentitySchema()], [1, 1])((torch.ones(1),))
    with pytest.raises(ValueError, match="Unknown schema type"):
        schema_from_dict({"type": "Nope"})
    assert TupleSchema.flatten((torch.ones(1),))[1](( torch.zeros(1),))[0].item() == 0


class _BoxModel(nn.Module):
    """Takes [{"image": Tensor[C, H, W]}]; returns Instances with the boxes of the brightest pixels: data-dependent
    counts, like a detector."""

    def forward(self, inputs):
        image = inputs[0]["image"].float().mean(0)
        ys, xs = (image > 0.5).nonzero().unbind(1)
        boxes = torch.stack([xs, ys, xs + 1, ys + 1], dim=1).float()
        inst = Instances((image.shape[0], image.shape[1]))
        inst.pred_boxes = Boxes(boxes)
        inst.scores = image[ys, xs]
        return [inst]


def test_tracing_adapter_traces_data_dependent_counts():
    model = _BoxModel()
    example = torch.zeros(3, 8, 9)
    example[:, 2, 3] = 1.0
    adapter = TracingAdapter(model, [{"image": example}])
    assert len(adapter.flattened_inputs) == 1
    traced = torch.jit.trace(adapter, adapter.flattened_inputs, check_trace=False)
    other = torch.zeros(3, 5, 6)
    other[:, 1, 1] = other[:, 4, 5] = 0.8
    inst = adapter.outputs_schema(traced(other))[0]
    assert len(inst) == 2 and inst.image_size == (5, 6)
    assert inst.pred_boxes.tensor.tolist() == [[1.0, 1.0, 2.0, 2.0], [5.0, 4.0, 6.0, 5.0]]


def test_tracing_adapter_non_tensor_inputs():
    class M(nn.Module):
        def forward(self, inputs):
            return inputs[0]["image"] * inputs[0]["scale"]

    with pytest.raises(TypeError, match="Cannot flatten an object of type int"):
        TracingAdapter(M(), [{"image": torch.ones(2), "scale": 3}])
    adapter = TracingAdapter(M(), [{"image": torch.ones(2), "scale": 3}], allow_non_tensor=True)
    assert torch.equal(adapter(torch.full((2,), 2.0))[0], torch.full((2,), 6.0))


def test_caffe2_names_raise_one_clear_error():
    for call in (lambda: export.Caffe2Tracer(None, None, None), lambda: export.Caffe2Model(None, None),
                 lambda: export.add_export_config(None)):
        with pytest.raises(NotImplementedError, match="Caffe2 was removed.*onnx\\|torch-export\\|torchscript"):
            call()


def test_scripting_plain_module_and_clear_error_for_detectors(tmp_path):
    from detectra.config import get_cfg
    from detectra.modeling import build_model

    scripted = export.scripting_with_instances(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()).eval(), {})
    assert scripted(torch.ones(1, 3, 5, 5)).shape == (1, 4, 3, 3)
    export.dump_torchscript_IR(scripted, tmp_path)
    assert "aten::" in (tmp_path / "model_ts_IR_inlined.txt").read_text()
    assert (tmp_path / "model_ts_code.txt").read_text().strip()

    cfg = get_cfg()
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.RESNETS.DEPTH = 18
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 64
    with pytest.raises(NotImplementedError, match="scripting is deprecated.*Trace instead.*torch.export"):
        export.scripting_with_instances(build_model(cfg).eval(), {"pred_boxes": Boxes})
    with pytest.raises(TypeError, match="trace it first"):
        export.dump_torchscript_IR(nn.ReLU(), tmp_path)
    with pytest.raises(NotImplementedError, match="Trace instead"):
        patch_instances({})
    with pytest.raises(NotImplementedError, match="Trace instead"):
        patch_nonscriptable_classes()


def test_freeze_training_mode_restores_classes():
    model = nn.Sequential(nn.Linear(2, 2))
    with freeze_training_mode(model):
        assert nn.Linear.__annotations__["training"] == torch.jit.Final[bool]
    assert "training" not in nn.Linear.__dict__.get("__annotations__", {})


def test_torch_export_program_runs_when_nothing_is_detected():
    """torchvision's fake nms once declared >= 2 kept boxes: the program failed on images with 0 or 1 detection."""
    from detectra import model_zoo
    from detectra.export.exporters import _export_program
    from detectra.modeling import build_model

    cfg = model_zoo.get_config("shapes/faster_rcnn_R_18_FPN.yaml")
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.9  # an untrained model scores ~1 / (classes + 1): nothing passes
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    gen = torch.Generator().manual_seed(0)
    example = torch.randint(0, 256, (3, 96, 128), generator=gen).float()
    program, adapter = _export_program(model, example, dynamic=True)
    module = program.module()
    for image in (example, torch.randint(0, 256, (3, 128, 96), generator=gen).float()):
        inst = adapter.outputs_schema(module(image))["instances"][0]
        assert len(inst) == 0 and inst.image_size == tuple(image.shape[1:])


def test_export_without_cfg_warns_that_predict_will_not_know_the_resize(tiny_faster_rcnn, tmp_path, caplog):
    model, images = tiny_faster_rcnn
    with caplog.at_level(logging.WARNING, logger="detectra.export.exporters"), torch.no_grad():
        sidecar = export_model(model, images[0], tmp_path / "model.ts", "torchscript")
    assert "resize" not in json.loads(sidecar.read_text())
    assert "without cfg=" in caplog.text and "export_model(..., cfg=cfg)" in caplog.text
    cfg = model_zoo.get_config("shapes/faster_rcnn_R_18_FPN.yaml")
    assert config_sidecar(cfg)["resize"] == {"rule": "ResizeShortestEdge", "min_size_test": 192, "max_size_test": 288}
