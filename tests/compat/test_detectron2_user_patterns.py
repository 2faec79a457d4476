"""Patterns from code written against Detectron2 (custom heads registered from YAML, export helpers, data
utilities), run through detectra: what such code gets back, and the errors it sees."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detectra.export import scripting_with_instances


class _ShapeInMessage(nn.Module):
    """A layer TorchScript cannot compile: its error message starts with a blank line."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"expected NCHW, got {tuple(x.shape)}")
        return x


def test_scripting_error_quotes_what_torchscript_said():
    with pytest.raises(NotImplementedError) as info:
        scripting_with_instances(_ShapeInMessage().eval(), {})
    said = str(info.value).split("(torch.jit.script said: ", 1)[1]
    assert said.startswith("cannot statically infer the expected size of a list"), said


def _tiny_coco_gt():
    from pycocotools.coco import COCO

    gt = COCO()
    gt.dataset = {
        "images": [{"id": 1, "width": 100, "height": 80}, {"id": 2, "width": 100, "height": 80}],
        "categories": [{"id": 7, "name": "thing"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "bbox": [10, 10, 40, 30], "area": 1200, "iscrowd": 0},
            {"id": 2, "image_id": 2, "category_id": 7, "bbox": [50, 20, 30, 40], "area": 1200, "iscrowd": 0},
        ],
    }
    gt.createIndex()
    return gt


def test_module_level_coco_evaluation_takes_detectron2s_arguments(capsys):
    from pycocotools.cocoeval import COCOeval

    from detectra.evaluation.coco_evaluation import _evaluate_predictions_on_coco
    from detectra.evaluation.fast_eval_api import COCOeval_opt

    gt = _tiny_coco_gt()
    # image 1 found exactly, image 2 missed: recall 0.5 at every IoU threshold
    results = [{"image_id": 1, "category_id": 7, "bbox": [10, 10, 40, 30], "score": 0.9}]

    class Recording(COCOeval):
        ran = summarized = False

        def evaluate(self):
            Recording.ran = True
            super().evaluate()

        def summarize(self):
            Recording.summarized = True
            super().summarize()

    for kwargs in ({}, {"cocoeval_fn": COCOeval}, {"cocoeval_fn": COCOeval_opt}, {"cocoeval_fn": Recording},
                   {"use_fast_impl": False}):
        coco_eval = _evaluate_predictions_on_coco(gt, results, "bbox", **kwargs)
        assert coco_eval.stats[0] == pytest.approx(0.505, abs=1e-3), kwargs  # 101-point interpolation
        assert coco_eval.stats[8] == pytest.approx(0.5, abs=1e-3)  # AR@100
    assert Recording.ran and Recording.summarized
    printed = capsys.readouterr().out
    assert printed.count("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505") == 5
    one_image = _evaluate_predictions_on_coco(gt, results, "bbox", img_ids=[1], max_dets_per_image=[1, 10, 300])
    assert one_image.stats[0] == pytest.approx(1.0) and list(one_image.params.maxDets) == [1, 10, 300]
    assert "maxDets=300 ] = 1.000" in capsys.readouterr().out


def test_check_metadata_consistency_is_importable_from_data_build():
    from detectra.data import DatasetCatalog, MetadataCatalog
    from detectra.data.build import check_metadata_consistency, get_detection_dataset_dicts

    record = {"file_name": "a.jpg", "image_id": 1, "height": 8, "width": 8,
              "annotations": [{"bbox": [1, 1, 4, 4], "bbox_mode": 0, "category_id": 0}]}
    names = ["_d2walk_a", "_d2walk_b"]
    try:
        for name, classes in zip(names, (["cat"], ["dog"])):
            DatasetCatalog.register(name, lambda: [dict(record)])
            MetadataCatalog.get(name).set(thing_classes=classes)
        with pytest.raises(ValueError, match="thing_classes"):
            check_metadata_consistency("thing_classes", names)
        with pytest.raises(ValueError, match="thing_classes"):
            get_detection_dataset_dicts(names)
        check_metadata_consistency("thing_classes", names[:1])
    finally:
        for name in names:
            DatasetCatalog.remove(name)
            MetadataCatalog.remove(name)


def test_stride_check_that_custom_pyramids_import():
    from detectra.modeling.backbone.fpn import _assert_strides_are_log2_contiguous

    _assert_strides_are_log2_contiguous([4, 8, 16, 32])
    with pytest.raises(ValueError, match=r"log2-contiguous strides, got \[4, 16\]"):
        _assert_strides_are_log2_contiguous([4, 16])


def test_exif_helper_and_visualizer_constants_under_detectron2s_names(tmp_path):
    import numpy as np
    from PIL import Image

    from detectra.data.detection_utils import _apply_exif_orientation, convert_PIL_to_numpy, read_image
    from detectra.utils.visualizer import _KEYPOINT_THRESHOLD, _SMALL_OBJECT_AREA_THRESH

    pixels = np.zeros((2, 4, 3), np.uint8)
    pixels[0, 0] = (255, 0, 0)  # a red top-left pixel in a 2x4 (h x w) image
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation "rotate 90 clockwise to display"
    path = tmp_path / "rotated.jpg"
    Image.fromarray(pixels).save(path, exif=exif, quality=100)
    with Image.open(path) as image:
        upright = convert_PIL_to_numpy(_apply_exif_orientation(image), "RGB")
    assert upright.shape == (4, 2, 3)  # turned upright: width and height swap
    np.testing.assert_array_equal(upright, read_image(str(path), "RGB"))
    plain = Image.fromarray(pixels)
    assert np.array_equal(np.asarray(_apply_exif_orientation(plain)), pixels)
    assert (_SMALL_OBJECT_AREA_THRESH, _KEYPOINT_THRESHOLD) == (1000, 0.05)


@pytest.mark.parametrize("clip_type", ["value", "norm"])
def test_gradient_clipping_skips_parameters_without_a_gradient(clip_type):
    from detectra.config import get_cfg
    from detectra.solver import maybe_add_gradient_clipping

    cfg = get_cfg()
    cfg.SOLVER.CLIP_GRADIENTS.merge_from_list(["ENABLED", True, "CLIP_TYPE", clip_type, "CLIP_VALUE", 0.5])
    used, unused = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.ones(2))
    optimizer = maybe_add_gradient_clipping(cfg, torch.optim.SGD([used, unused], lr=1.0))
    (used * torch.tensor([3.0, 0.0])).sum().backward()  # `unused` takes no part: its .grad stays None
    optimizer.step()
    assert used.tolist() == pytest.approx([-0.5, 0.0]) and unused.tolist() == [1.0, 1.0]


def test_private_names_that_libraries_import():
    import numpy as np

    from detectra.evaluation.coco_evaluation import _evaluate_box_proposals
    from detectra.structures import Boxes, Instances
    from detectra.utils.colormap import _COLORS, colormap

    # The palette array: RGB rows in [0, 1], the rows colormap() scales.
    assert _COLORS.ndim == 2 and _COLORS.shape[1] == 3 and 0 <= _COLORS.min() and _COLORS.max() <= 1
    np.testing.assert_allclose(colormap(rgb=True, maximum=1), _COLORS)
    # Proposal recall under Detectron2's name: one of the two boxes is found exactly.
    gt = _tiny_coco_gt()
    proposals = Instances((80, 100), proposal_boxes=Boxes(torch.tensor([[10.0, 10.0, 50.0, 40.0]])),
                          objectness_logits=torch.tensor([1.0]))
    stats = _evaluate_box_proposals([{"image_id": 1, "proposals": proposals}], gt)
    assert stats["num_pos"] == 1 and float(stats["ar"]) == pytest.approx(1.0)


def test_default_setup_helpers_that_copied_setups_import(tmp_path):
    from omegaconf import OmegaConf

    from detectra.config import LazyConfig, get_cfg
    from detectra.engine.defaults import CfgNode, _highlight, _try_get_key, collect_env_info, setup_logger

    # A copy of default_setup, as semi-supervised and epoch-based trainers carry, reads its keys like this.
    yacs = get_cfg()
    yacs.OUTPUT_DIR = str(tmp_path / "yacs")
    lazy = LazyConfig.apply_overrides(OmegaConf.create({"train": {"output_dir": str(tmp_path / "lazy")}}), ["train.seed=3"])
    assert _try_get_key(yacs, "OUTPUT_DIR", "output_dir", "train.output_dir") == str(tmp_path / "yacs")
    assert _try_get_key(lazy, "OUTPUT_DIR", "output_dir", "train.output_dir") == str(tmp_path / "lazy")
    assert _try_get_key(lazy, "SEED", "train.seed", default=-1) == 3
    assert _try_get_key(yacs, "NO_SUCH_KEY", default=-1) == -1
    assert isinstance(yacs, CfgNode) and callable(setup_logger) and "PyTorch" in collect_env_info()
    code = "MODEL:\n  DEVICE: cpu\n"
    try:
        import pygments  # noqa: F401 (optional: _highlight colours only with it)
    except ImportError:
        assert _highlight(code, "config.yaml") == code
        return
    coloured = _highlight(code, "config.yaml")
    assert "\x1b[" in coloured and "DEVICE" in coloured
    assert _highlight("x = 1\n", "cfg.py").count("\x1b[") > 0


class _OneWeight(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.ones(3))

    def forward(self, batch: list[dict]) -> dict[str, torch.Tensor]:
        return {"loss_x": (torch.stack([d["x"] for d in batch]) * self.w).pow(2).mean()}


def test_default_trainer_subclass_that_sets_itself_up(tmp_path):
    """Semi-supervised trainers written for Detectron2 skip DefaultTrainer.__init__: they call
    TrainerBase.__init__, set _trainer / scheduler / checkpointer / cfg themselves, and list their own hooks."""
    import json

    from detectra.checkpoint import DetectionCheckpointer
    from detectra.config import get_cfg
    from detectra.engine import DefaultTrainer, SimpleTrainer, TrainerBase, hooks

    class TeacherStudentTrainer(DefaultTrainer):
        def __init__(self, cfg):
            model = self.build_model(cfg)
            optimizer = self.build_optimizer(cfg, model)
            self.model_teacher = self.build_model(cfg)
            TrainerBase.__init__(self)
            self._trainer = SimpleTrainer(model, self.build_train_loader(cfg), optimizer)
            self.scheduler = self.build_lr_scheduler(cfg, optimizer)
            self.checkpointer = DetectionCheckpointer(model, cfg.OUTPUT_DIR, optimizer=optimizer)
            self.start_iter, self.max_iter, self.cfg = 0, cfg.SOLVER.MAX_ITER, cfg
            self.register_hooks(self.build_hooks())

        @classmethod
        def build_model(cls, cfg):
            return _OneWeight()

        @classmethod
        def build_train_loader(cls, cfg):
            return iter(lambda: [{"x": torch.ones(3)}], None)  # endless

        def build_hooks(self):
            return [hooks.IterationTimer(), hooks.LRScheduler(), hooks.PeriodicCheckpointer(self.checkpointer, 2),
                    hooks.PeriodicWriter(self.build_writers(), period=1)]

    cfg = get_cfg()
    cfg.merge_from_list(["OUTPUT_DIR", str(tmp_path), "SOLVER.MAX_ITER", 3, "SOLVER.WARMUP_ITERS", 0,
                         "SOLVER.STEPS", (), "SOLVER.BASE_LR", 0.1])
    trainer = TeacherStudentTrainer(cfg)
    trainer.resume_or_load(resume=False)
    trainer.train()
    records = [json.loads(line) for line in (tmp_path / "metrics.json").read_text().splitlines()]
    assert [r["iteration"] for r in records] == [0, 1, 2]
    losses = [r["total_loss"] for r in records]
    assert losses[0] == pytest.approx(1.0) and losses[2] < losses[1] < losses[0]
    assert (tmp_path / "model_final.pth").is_file() and trainer.model.w.detach().abs().max() < 1.0
