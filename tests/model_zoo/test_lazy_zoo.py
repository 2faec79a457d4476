"""The LazyConfig (``.py``) model zoo: every config loads, its model equals the YAML twin's (parameter names, shapes,
hyper-parameters), overrides reach the built objects, schedules equal the YAML solver's, and
tools/lazyconfig_train_net.py trains end to end."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch
import collections.abc as abc

from detectra import model_zoo
from detectra.config import LazyConfig, instantiate

ROOT = Path(__file__).resolve().parents[2]
PY_CONFIGS = [n for n in model_zoo.list_configs() if n.endswith(".py")]
TOP_LEVEL = {"model", "dataloader", "optimizer", "lr_multiplier", "train"}

# LazyConfig -> the YAML config whose model Detectron2 documents as the same.
YAML_TWINS = {
    "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py": "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml",
    "COCO-InstanceSegmentation/mask_rcnn_R_50_C4_1x.py": "COCO-InstanceSegmentation/mask_rcnn_R_50_C4_1x.yaml",
    "COCO-Detection/retinanet_R_50_FPN_1x.py": "COCO-Detection/retinanet_R_50_FPN_1x.yaml",
    "COCO-Detection/faster_rcnn_R_50_FPN_1x.py": "COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml",
    "COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x.py": "COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x.yaml",
    "COCO-PanopticSegmentation/panoptic_fpn_R_50_1x.py": "COCO-PanopticSegmentation/panoptic_fpn_R_50_1x.yaml",
    "Misc/cascade_mask_rcnn_R_50_FPN_1x.py": "Misc/cascade_mask_rcnn_R_50_FPN_1x.yaml",
}


def _build_lazy(cfg):
    # On the meta device: no memory, no weight init, so R-50 models build in a fraction of a second.
    with torch.device("meta"):
        return instantiate(cfg)


def _build_yaml(name: str):
    from detectra.modeling import build_model

    cfg = model_zoo.get_config(name)
    cfg.MODEL.DEVICE = "meta"
    return build_model(cfg)


def _plain(v):
    if isinstance(v, abc.Sequence) and not isinstance(v, str):  # instantiate passes config lists through
        return tuple(_plain(x) for x in v)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _hyper_parameters(model: torch.nn.Module) -> dict[str, object]:
    """Every scalar / string / sequence-of-scalars attribute of every sub-module (and of the plain objects they
    hold, e.g. Matcher thresholds, Box2BoxTransform weights): what a config decides besides the weights."""
    scalar = (bool, int, float, str)
    out: dict[str, object] = {}

    def visit(prefix: str, obj) -> None:
        for k, v in vars(obj).items():
            if k.startswith("_") or k == "training":
                continue
            if isinstance(v, scalar):
                out[f"{prefix}.{k}"] = _plain(v)
            elif (isinstance(v, abc.Sequence) and not isinstance(v, str)) and all(isinstance(x, scalar + (list, tuple)) for x in v):
                out[f"{prefix}.{k}"] = _plain(v)
            elif type(v).__module__.startswith("detectra.") and not isinstance(v, torch.nn.Module) and not callable(v):
                visit(f"{prefix}.{k}", v)

    for name, module in model.named_modules():
        visit(name, module)
    return out


@pytest.mark.parametrize("name", PY_CONFIGS)
def test_every_py_config_loads(name):
    if name == "Misc/mmdet_mask_rcnn_R_50_FPN_1x.py":
        pytest.importorskip("detectra.modeling.mmdet_wrapper", reason="detectra.modeling.mmdet_wrapper not there yet")
    cfg = LazyConfig.load(model_zoo.get_config_file(name))
    assert len(cfg) > 0
    if not name.startswith("common/") and "/common/" not in name:  # shared pieces, e.g. ViTDet/common/
        # configs that read pixel statistics from common/data/constants.py keep `constants` at the top, as
        # Detectron2's do (e.g. Misc/mmdet_mask_rcnn_R_50_FPN_1x.py)
        assert TOP_LEVEL <= set(cfg.keys()) <= TOP_LEVEL | {"constants"}
        assert cfg.train.max_iter > 0 and cfg.optimizer.lr > 0
    # a config round-trips through LazyConfig.save as YAML (default_setup writes it to the output dir)
    if "LSJ" not in name:  # LSJ's norm lambdas are not YAML; save falls back to a pickle for them
        assert "!object" not in LazyConfig.to_py(cfg)


def test_required_lazy_configs_are_shipped():
    required = {
        "common/models/mask_rcnn_fpn.py", "common/models/mask_rcnn_c4.py", "common/models/retinanet.py",
        "common/models/cascade_rcnn.py", "common/models/keypoint_rcnn_fpn.py", "common/models/panoptic_fpn.py",
        "common/data/coco.py", "common/data/coco_keypoint.py", "common/data/coco_panoptic_separated.py",
        "common/optim.py", "common/coco_schedule.py", "common/train.py",
        "new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py", "new_baselines/mask_rcnn_R_50_FPN_200ep_LSJ.py",
        "new_baselines/mask_rcnn_R_50_FPN_400ep_LSJ.py", "new_baselines/mask_rcnn_R_101_FPN_100ep_LSJ.py",
        *YAML_TWINS,
    }  # fmt: skip
    assert sorted(required - set(PY_CONFIGS)) == []


@pytest.mark.parametrize("py_name,yaml_name", sorted(YAML_TWINS.items()))
def test_lazy_model_equals_yaml_model(py_name, yaml_name):
    lazy = _build_lazy(model_zoo.get_config(py_name).model)
    ref = _build_yaml(yaml_name)
    assert type(lazy) is type(ref)
    shapes = {k: tuple(v.shape) for k, v in lazy.state_dict().items()}
    ref_shapes = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert shapes == ref_shapes  # so a Detectron2 checkpoint loads into either
    frozen = {n for n, p in lazy.named_parameters() if not p.requires_grad}
    assert frozen == {n for n, p in ref.named_parameters() if not p.requires_grad}
    assert any(n.startswith(("backbone.bottom_up.stem", "backbone.stem")) for n in frozen)  # FREEZE_AT = 2
    hp, ref_hp = _hyper_parameters(lazy), _hyper_parameters(ref)
    assert len(hp) > 300
    assert {k: (hp.get(k), ref_hp.get(k)) for k in hp.keys() | ref_hp.keys() if hp.get(k) != ref_hp.get(k)} == {}


def test_overrides_reach_the_built_model():
    cfg = model_zoo.get_config("common/models/mask_rcnn_fpn.py")
    LazyConfig.apply_overrides(cfg, ["model.roi_heads.num_classes=3", "model.proposal_generator.nms_thresh=0.6"])
    model = _build_lazy(cfg.model)
    assert model.roi_heads.box_predictor.cls_score.out_features == 4  # 3 classes + background
    assert model.roi_heads.box_predictor.bbox_pred.out_features == 12
    assert model.roi_heads.mask_head.predictor.out_channels == 3
    assert model.proposal_generator.nms_thresh == 0.6

    c4 = model_zoo.get_config("common/models/mask_rcnn_c4.py")
    LazyConfig.apply_overrides(c4, ["model.roi_heads.pooler.output_size=7", "model.roi_heads.num_classes=5"])
    model = _build_lazy(c4.model)  # the mask head's input shape follows the pooler (interpolation)
    assert model.roi_heads.mask_head.predictor.out_channels == 5
    assert model.roi_heads.pooler.output_size == (7, 7)


def test_get_config_trained_sets_init_checkpoint():
    cfg = model_zoo.get_config("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py", trained=True)
    assert cfg.train.init_checkpoint == (
        "https://dl.fbaipublicfiles.com/detectron2/COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x/"
        "137260431/model_final_a54504.pkl"
    )
    lsj = model_zoo.get_config("new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py", trained=True)
    assert lsj.train.init_checkpoint.endswith("new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ/42047764/model_final_bb69de.pkl")
    assert model_zoo.get_config("new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py").train.init_checkpoint == ""
    with pytest.raises(RuntimeError, match="train.init_checkpoint"):
        model_zoo.get_config("common/models/retinanet.py", trained=True)


@pytest.mark.parametrize("py_name,yaml_name", [
    ("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py", "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.yaml"),
    ("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.py", "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml"),
])  # fmt: skip
def test_schedule_and_optimizer_equal_yaml_solver(py_name, yaml_name):
    from detectra.solver import build_optimizer

    cfg, ycfg = model_zoo.get_config(py_name), model_zoo.get_config(yaml_name)
    solver = ycfg.SOLVER
    assert cfg.train.max_iter == solver.MAX_ITER
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    cfg.optimizer.params.model = model
    opt, yopt = instantiate(cfg.optimizer), build_optimizer(ycfg, model)
    assert type(opt) is type(yopt) and opt.defaults["lr"] == solver.BASE_LR
    assert opt.defaults["momentum"] == solver.MOMENTUM
    assert [(g["lr"], g["weight_decay"]) for g in opt.param_groups] == [
        (g["lr"], g["weight_decay"]) for g in yopt.param_groups
    ]  # norm parameters without weight decay in both

    # The YAML schedule (WarmupMultiStepLR), written out: linear warmup from WARMUP_FACTOR, x GAMMA at each step.
    def yaml_multiplier(it: int) -> float:
        decay = solver.GAMMA ** sum(it >= s for s in solver.STEPS)
        if it >= solver.WARMUP_ITERS:
            return decay
        alpha = it / solver.WARMUP_ITERS
        return decay * (solver.WARMUP_FACTOR * (1 - alpha) + alpha)

    mult = instantiate(cfg.lr_multiplier)
    its = [0, 1, 500, 999, 1000, *(s + d for s in solver.STEPS for d in (-1, 0, 1)), solver.MAX_ITER - 1]
    assert [mult(it / solver.MAX_ITER) for it in its] == pytest.approx([yaml_multiplier(it) for it in its])
    assert len(solver.STEPS) == 2 and mult(its[-1] / solver.MAX_ITER) == pytest.approx(0.01)


def test_lsj_new_baseline():
    import detectra.data.transforms as T
    from detectra.layers import NaiveSyncBatchNorm

    cfg = model_zoo.get_config("new_baselines/mask_rcnn_R_50_FPN_100ep_LSJ.py")
    assert cfg.train.max_iter == 184375 and cfg.dataloader.train.total_batch_size == 64
    assert cfg.train.amp.enabled and cfg.optimizer.lr == 0.1 and cfg.optimizer.weight_decay == 4e-5
    model = _build_lazy(cfg.model)
    assert isinstance(model.backbone.bottom_up.stem.conv1.norm, torch.nn.SyncBatchNorm)
    assert isinstance(model.backbone.fpn_lateral2.norm, torch.nn.SyncBatchNorm)
    assert not any(p.requires_grad is False for p in model.parameters())  # from scratch: nothing frozen
    assert len(model.proposal_generator.rpn_head.conv) == 2  # two 3x3 convs
    box_head = model.roi_heads.box_head
    assert [type(m.norm) for m in box_head.conv_norm_relus] == [NaiveSyncBatchNorm] * 4 and len(box_head.fcs) == 1
    assert isinstance(model.roi_heads.mask_head.mask_fcn1.norm, NaiveSyncBatchNorm)
    augs = instantiate(cfg.dataloader.train.mapper.augmentations)
    assert [type(a) for a in augs] == [T.ResizeScale, T.FixedSizeCrop, T.RandomFlip]
    assert cfg.dataloader.train.mapper.recompute_boxes
    mult = instantiate(cfg.lr_multiplier)
    assert mult(0.0) == pytest.approx(0.067)
    assert [mult(x / 184375) for x in (1000, 163888, 163889, 177546)] == pytest.approx([1.0, 1.0, 0.1, 0.01])

    longer = model_zoo.get_config("new_baselines/mask_rcnn_R_50_FPN_400ep_LSJ.py")
    assert longer.train.max_iter == 4 * 184375
    assert list(longer.lr_multiplier.scheduler.milestones) == [4 * 163889, 4 * 177546]
    r101 = _build_lazy(model_zoo.get_config("new_baselines/mask_rcnn_R_101_FPN_200ep_LSJ.py").model)
    assert len(r101.backbone.bottom_up.res4) == 23


def test_data_configs_build_their_mappers_and_evaluators():
    import detectra.data.transforms as T

    coco = model_zoo.get_config("common/data/coco.py").dataloader
    train_mapper, test_mapper = instantiate(coco.train.mapper), instantiate(coco.test.mapper)
    assert train_mapper.is_train and train_mapper.use_instance_mask and test_mapper.image_format == "BGR"
    assert isinstance(test_mapper.augmentations.augs[0], T.ResizeShortestEdge)
    assert coco.evaluator.dataset_name == "coco_2017_val"  # interpolated from dataloader.test
    kp = model_zoo.get_config("common/data/coco_keypoint.py").dataloader
    assert list(kp.train.mapper.keypoint_hflip_indices)[:3] == [0, 2, 1]  # nose, left eye <-> right eye
    pan = model_zoo.get_config("common/data/coco_panoptic_separated.py").dataloader
    assert [e.dataset_name for e in pan.evaluator] == ["coco_2017_val_panoptic_separated"] * 3


@pytest.fixture(scope="module")
def lazy_shapes(tmp_path_factory):
    from detectra.data import DatasetCatalog, MetadataCatalog
    from detectra.data.datasets import generate_shapes, register_coco_instances

    root = tmp_path_factory.mktemp("lazy_shapes")
    for split, n, seed in (("train", 4, 31), ("val", 2, 32)):
        name = f"lazy_zoo_shapes_{split}"
        paths = generate_shapes(str(root / split), n, image_size=(64, 80), seed=seed)
        if name not in DatasetCatalog.list():
            register_coco_instances(name, {}, paths["json_file"], paths["image_root"])
    DatasetCatalog.get("lazy_zoo_shapes_train")
    return len(MetadataCatalog.get("lazy_zoo_shapes_train").thing_classes)


# A user's own config on top of a zoo config: the shipped Mask R-CNN, slimmed to ResNet-18 and 64-channel heads
# so that two CPU iterations take seconds.
_TINY_CONFIG = """
from detectra import model_zoo
from detectra.config import LazyCall as L
from detectra.modeling import ResNet

_zoo = model_zoo.get_config("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x.py")
model, dataloader, optimizer, lr_multiplier, train = (
    _zoo.model, _zoo.dataloader, _zoo.optimizer, _zoo.lr_multiplier, _zoo.train)
model.backbone.bottom_up.stages = L(ResNet.make_default_stages)(depth=18, norm="FrozenBN")
model.backbone.out_channels = 64
model.proposal_generator.head.in_channels = 64
model.roi_heads.box_head.input_shape.channels = 64
model.roi_heads.box_head.fc_dims = [64, 64]
model.roi_heads.box_predictor.input_shape.channels = 64
model.roi_heads.mask_head.input_shape.channels = 64
model.roi_heads.mask_head.conv_dims = [64]
"""


def _tiny_opts(out, num_classes):
    return [
        f"train.output_dir={out}", "train.max_iter=2", "train.device=cpu", "train.init_checkpoint=''",
        "train.checkpointer.period=1", "dataloader.train.dataset.names=lazy_zoo_shapes_train",
        "dataloader.test.dataset.names=lazy_zoo_shapes_val", "dataloader.train.total_batch_size=2",
        "dataloader.train.num_workers=0", "dataloader.test.num_workers=0",
        "dataloader.train.mapper.augmentations.0.short_edge_length=[64]",
        "dataloader.train.mapper.augmentations.0.max_size=96",
        "dataloader.test.mapper.augmentations.0.short_edge_length=64",
        "dataloader.test.mapper.augmentations.0.max_size=96",
        f"model.roi_heads.num_classes={num_classes}", "model.roi_heads.batch_size_per_image=32",
        "model.proposal_generator.post_nms_topk=[64,32]", "optimizer.lr=0.001",
    ]  # fmt: skip


def test_lazyconfig_train_net_trains_two_iterations(lazy_shapes, tmp_path):
    from detectra.engine import default_argument_parser

    spec = importlib.util.spec_from_file_location("_lazyconfig_train_net", ROOT / "tools" / "lazyconfig_train_net.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    config_file = tmp_path / "tiny_mask_rcnn.py"
    config_file.write_text(_TINY_CONFIG)
    out = tmp_path / "out"
    opts = _tiny_opts(out, lazy_shapes)
    tool.main(default_argument_parser().parse_args(["--config-file", str(config_file), *opts]))

    assert (out / "model_0000000.pth").is_file() and (out / "model_final.pth").is_file()
    assert (out / "last_checkpoint").read_text().strip() == "model_final.pth"
    saved = LazyConfig.load(str(out / "config.yaml"))  # default_setup saved the overridden LazyConfig
    assert saved.train.max_iter == 2 and saved.model.roi_heads.num_classes == lazy_shapes
    records = [json.loads(line) for line in (out / "metrics.json").read_text().splitlines()]
    losses = [r for r in records if "total_loss" in r]
    assert losses and all(k in losses[-1] for k in ("loss_cls", "loss_box_reg", "loss_mask", "loss_rpn_cls", "lr"))
    assert all(torch.isfinite(torch.tensor(r["total_loss"])) for r in losses)
    # lr_multiplier_1x's 1000-of-90k warmup is 2% of training: at iteration 1 of 2 the LR is the full optimizer.lr
    assert losses[-1]["lr"] == pytest.approx(0.001)
    assert any("bbox/AP" in r for r in records)  # evaluated after training (EvalHook)
    weights = torch.load(out / "model_final.pth", map_location="cpu", weights_only=False)
    assert weights["iteration"] == 1
    assert weights["model"]["roi_heads.box_predictor.cls_score.weight"].shape == (lazy_shapes + 1, 64)
    assert weights["model"]["backbone.bottom_up.res2.0.conv1.weight"].shape == (64, 64, 3, 3)  # ResNet-18 block

    # --eval-only reloads the trained weights
    results = tool.main(default_argument_parser().parse_args(
        ["--config-file", str(config_file), "--eval-only", *opts[:-1],
         f"train.init_checkpoint={out / 'model_final.pth'}", f"train.output_dir={tmp_path / 'eval'}"]))  # fmt: skip
    assert "bbox" in results  # (segm too once the model predicts anything: COCOEvaluator infers the tasks)


# The YAML twin of _TINY_CONFIG + _tiny_opts: the zoo's YAML Mask R-CNN slimmed the same way.
def _tiny_yaml_opts(num_classes):
    return [
        "MODEL.WEIGHTS", "", "MODEL.DEVICE", "cpu", "MODEL.RESNETS.DEPTH", "18", "MODEL.RESNETS.RES2_OUT_CHANNELS",
        "64", "MODEL.FPN.OUT_CHANNELS", "64", "MODEL.ROI_BOX_HEAD.FC_DIM", "64", "MODEL.ROI_MASK_HEAD.CONV_DIM", "64",
        "MODEL.ROI_MASK_HEAD.NUM_CONV", "1", "MODEL.ROI_HEADS.NUM_CLASSES", str(num_classes),
        "MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE", "32", "MODEL.RPN.POST_NMS_TOPK_TRAIN", "64",
        "MODEL.RPN.POST_NMS_TOPK_TEST", "32", "DATASETS.TRAIN", "('lazy_zoo_shapes_train',)", "DATASETS.TEST",
        "('lazy_zoo_shapes_val',)", "SOLVER.MAX_ITER", "2", "SOLVER.IMS_PER_BATCH", "2", "SOLVER.BASE_LR", "0.001",
        "SOLVER.CHECKPOINT_PERIOD", "1", "DATALOADER.NUM_WORKERS", "0", "INPUT.MIN_SIZE_TRAIN", "(64,)",
        "INPUT.MAX_SIZE_TRAIN", "96", "INPUT.MIN_SIZE_TEST", "64", "INPUT.MAX_SIZE_TEST", "96",
        "MODEL.ROI_HEADS.SCORE_THRESH_TEST", "0.0", "SEED", "3",
    ]  # fmt: skip


def _written(folder):
    """The plots, annotated predictions and evaluator files of a run."""
    return sorted(str(p.relative_to(folder)) for sub in ("plots", "predictions", "inference")
                  for p in (folder / sub).rglob("*") if p.is_file())  # fmt: skip


@pytest.fixture(scope="module")
def lazy_cli_run(lazy_shapes, tmp_path_factory):
    """The output folder of `detectra train --config-file tiny_mask_rcnn.py key=value ...` (2 iterations)."""
    from detectra.cli import main

    root = tmp_path_factory.mktemp("lazy_cli")
    config_file = root / "tiny_mask_rcnn.py"
    config_file.write_text(_TINY_CONFIG)
    out = root / "cli_out"
    opts = [o for o in _tiny_opts(root / "unused", lazy_shapes) if not o.startswith("train.output_dir=")]
    opts.append("model.roi_heads.box_predictor.test_score_thresh=0.0")  # detections, whatever 2 iterations learnt
    # Any seed writes the same files (checked for 0-3). With seed 0 the class scores saturate to 0 after 2 iterations
    # (the background logit ~400 above the rest), so this run detects nothing even at threshold 0, while the YAML
    # twin's (SEED 3) detects: their equal file sets show that detecting nothing changes none of the outputs.
    opts.append("train.seed=0")
    assert main(["train", "--config-file", str(config_file), "--output-dir", str(out), "--num-vis", "2", *opts]) == 0
    return out


def test_detectra_train_command_takes_a_lazyconfig(lazy_cli_run, lazy_shapes, tmp_path):
    """`detectra train --config-file my.py key=value ...` runs the same LazyConfig loop, then writes the same plots
    and annotated predictions as the YAML twin's run (the test set from dataloader.test, as DATASETS.TEST)."""
    from detectra.cli import main
    from detectra.cli._outputs import nothing_detected

    out = lazy_cli_run
    assert (out / "last_checkpoint").read_text().strip() == "model_final.pth"
    records = [json.loads(line) for line in (out / "metrics.json").read_text().splitlines()]
    assert any("bbox/AP" in r for r in records)
    assert "output_dir" not in LazyConfig.load(str(out / "config.yaml")).dataloader.evaluator  # config as given

    yaml_out = tmp_path / "yaml_out"
    assert main(["train", "--config-file", "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x", "--output-dir",
                 str(yaml_out), "--num-vis", "2", *_tiny_yaml_opts(lazy_shapes)]) == 0  # fmt: skip
    written = _written(out)
    assert written == _written(yaml_out)
    for name in ("plots/losses.png", "plots/confusion_matrix.png", "plots/prf1_curves.png", "plots/labels.png",
                 "plots/val_gt_vs_pred.jpg", "plots/inference_pr_curves_bbox_50-95.png",
                 "inference/coco_instances_results.json", "inference/coco_eval_bbox_precision.npz"):  # fmt: skip
        assert name in written, name
    assert len([n for n in written if n.startswith("predictions/")]) == 2
    for run in (out, yaml_out):  # a run that detects nothing says so, and why its AP is NaN
        assert ("The model detected nothing" in (run / "log.txt").read_text()) == nothing_detected(str(run))


def test_run_folder_of_a_lazyconfig_run(lazy_cli_run, lazy_shapes, tmp_path, capsys):
    """--run reads a LazyConfig run's saved config.yaml as a LazyConfig: `detectra eval` evaluates the run's
    weights again, on the datasets that the run's datasets.json registers again (as a new process would need);
    the run's classes are in classes.json and its checkpoints, as a YAML run's; commands that take YAML configs
    only refuse it in one message naming the folder."""
    from detectra.cli import main
    from detectra.cli._common import is_lazy_config_file
    from detectra.data import DatasetCatalog, MetadataCatalog

    run = lazy_cli_run
    assert is_lazy_config_file(str(run / "config.yaml"))
    classes = json.loads((run / "classes.json").read_text())
    assert classes["dataset"] == "lazy_zoo_shapes_train" and len(classes["thing_classes"]) == lazy_shapes
    assert classes["thing_classes"] == MetadataCatalog.get("lazy_zoo_shapes_train").thing_classes
    assert torch.load(run / "model_final.pth", weights_only=False)["classes"] == classes
    datasets = json.loads((run / "datasets.json").read_text())
    assert sorted(datasets) == ["lazy_zoo_shapes_train", "lazy_zoo_shapes_val"]
    val = {k: MetadataCatalog.get("lazy_zoo_shapes_val").get(k) for k in ("json_file", "image_root")}
    assert datasets["lazy_zoo_shapes_val"] == val
    for name in datasets:  # as in a new process
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)
    assert main(["eval", "--run", str(run), "--num-vis", "1"]) == 0
    assert MetadataCatalog.get("lazy_zoo_shapes_val").json_file == val["json_file"]
    again = json.loads((run / "eval" / "eval_results.json").read_text())
    first = json.loads((run / "eval_results.json").read_text())
    assert again["lazy_zoo_shapes_val"]["bbox"] == pytest.approx(first["lazy_zoo_shapes_val"]["bbox"], nan_ok=True)
    assert str(run / "model_final.pth") in (run / "eval" / "log.txt").read_text()  # the run's own weights
    assert len(list((run / "eval" / "predictions").iterdir())) == 1
    assert (run / "eval" / "inference" / "coco_instances_results.json").is_file()

    capsys.readouterr()
    image = next((run / "predictions").iterdir())
    assert main(["predict", str(image), "--run", str(run), "-o", str(tmp_path / "pred")]) != 0
    error = capsys.readouterr().err
    assert f"--run '{run}' is the folder of a LazyConfig (.py) run" in error
    assert f"detectra eval --run {run}" in error and f"MODEL.WEIGHTS {run / 'model_final.pth'}" in error


@pytest.mark.slow  # two short trainings of the tiny Mask R-CNN (~30 s on 2 busy cores)
def test_detectra_train_lazyconfig_resumes_and_logs_to_mlflow(lazy_shapes, tmp_path, monkeypatch):
    """A LazyConfig run has the YAML path's features: --resume continues from the folder's last checkpoint (with
    the longer train.max_iter given then), --logger sends the config and metrics to MLflow."""
    pytest.importorskip("mlflow", reason="mlflow is optional (pip install 'detectra[mlflow]')")
    from mlflow.tracking import MlflowClient

    from detectra.cli import main

    uri = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "lazy")
    config_file = tmp_path / "tiny_mask_rcnn.py"
    config_file.write_text(_TINY_CONFIG)
    out = tmp_path / "run"
    opts = [o for o in _tiny_opts(tmp_path / "unused", lazy_shapes) if not o.startswith("train.output_dir=")]
    opts.append("train.log_period=1")
    args = ["train", "--config-file", str(config_file), "--output-dir", str(out), "--no-plots"]
    assert main([*args, "--logger", "mlflow", *opts]) == 0
    assert torch.load(out / "model_final.pth", weights_only=False)["iteration"] == 1

    assert main([*args, "--resume", *opts, "train.max_iter=3"]) == 0
    final = torch.load(out / "model_final.pth", weights_only=False)
    assert final["iteration"] == 2
    records = [json.loads(line) for line in (out / "metrics.json").read_text().splitlines()]
    assert [r["iteration"] for r in records if "total_loss" in r] == [0, 1, 2]  # iteration 2 only by the resume

    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("lazy").experiment_id])
    assert run.info.run_name == "run" and run.data.params["train.max_iter"] == "2"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "total_loss")] == [0, 1]


def test_lazy_run_datasets_and_evaluator_output():
    """What `detectra train` reads from a LazyConfig for its plots: the datasets of dataloader.test / .train (else
    the evaluator's), and evaluators that take an output_dir writing into the run's inference folder."""
    from detectra.cli._lazy_run import lazy_dataset_names, with_evaluator_output

    coco = model_zoo.get_config("common/data/coco.py")
    assert lazy_dataset_names(coco, "test") == ["coco_2017_val"]
    assert lazy_dataset_names(coco, "train") == ["coco_2017_train"]
    coco.dataloader.evaluator.dataset_name = "coco_2017_val"  # was "${..test.dataset.names}"
    del coco.dataloader.test.dataset.names
    assert lazy_dataset_names(coco, "test") == ["coco_2017_val"]  # the evaluator's dataset_name
    coco.dataloader.evaluator.dataset_name = "not_registered"
    assert lazy_dataset_names(coco, "test") == []

    pan = model_zoo.get_config("common/data/coco_panoptic_separated.py")
    pan.dataloader.evaluator[1].output_dir = "mine"  # a folder the user chose stays
    out = with_evaluator_output(pan, "run/inference")
    assert [e.get("output_dir") for e in out.dataloader.evaluator] == ["run/inference", "mine", "run/inference"]
    assert [e.get("output_dir") for e in pan.dataloader.evaluator] == [None, "mine", None]  # the config unchanged
