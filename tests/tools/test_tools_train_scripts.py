"""tools/train_net.py (DefaultTrainer subclass) and tools/plain_train_net.py (explicit loop) train a few
iterations on a generated shapes dataset, save weights and evaluate; --eval-only reloads them."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "INPUT.MIN_SIZE_TRAIN", "(96,)", "INPUT.MAX_SIZE_TRAIN", "128", "INPUT.MIN_SIZE_TEST", "96",
    "INPUT.MAX_SIZE_TEST", "128", "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "4", "SOLVER.WARMUP_ITERS", "1",
    "SOLVER.STEPS", "()", "DATALOADER.NUM_WORKERS", "0", "TEST.DETECTIONS_PER_IMAGE", "20",
    "MODEL.RPN.POST_NMS_TOPK_TEST", "50", "SOLVER.CHECKPOINT_PERIOD", "2", "TEST.EVAL_PERIOD", "2",
    "DATASETS.TRAIN", "('tools_shapes_train',)", "DATASETS.TEST", "('tools_shapes_val',)",
]  # fmt: skip


@pytest.fixture(scope="module")
def shapes_datasets(tmp_path_factory):
    from detectra.data import DatasetCatalog
    from detectra.data.datasets import generate_shapes, register_coco_instances

    root = tmp_path_factory.mktemp("tools_shapes")
    for split, n, seed in (("train", 6, 21), ("val", 3, 22)):
        name = f"tools_shapes_{split}"
        paths = generate_shapes(str(root / split), n, image_size=(96, 128), seed=seed)
        if name not in DatasetCatalog.list():
            register_coco_instances(name, {}, paths["json_file"], paths["image_root"])
    return root


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f"_tool_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(module, out: Path, *extra: str):
    from detectra.engine import default_argument_parser

    return default_argument_parser().parse_args(
        ["--config-file", "shapes/faster_rcnn_R_18_FPN.yaml", *extra, "OUTPUT_DIR", str(out), *TINY])


@pytest.mark.slow  # ~20-90 s each on 2 busy cores: two short trainings with evaluation
@pytest.mark.parametrize("tool", ["train_net", "plain_train_net"])
def test_tool_trains_checkpoints_and_evaluates(tool, shapes_datasets, tmp_path):
    module = _load_tool(tool)
    out = tmp_path / tool
    results = module.main(_args(module, out))
    assert (out / "model_final.pth").is_file() and (out / "model_0000001.pth").is_file()
    assert (out / "config.yaml").is_file()
    records = [json.loads(line) for line in (out / "metrics.json").read_text().splitlines()]
    losses = [r for r in records if "total_loss" in r]
    assert losses and all(torch.isfinite(torch.tensor(r["total_loss"])) for r in losses)
    assert (out / "inference").is_dir()
    if tool == "plain_train_net":  # returns the final evaluation; the loop's own evaluations only log
        assert 0 <= results["bbox"]["AP"] <= 100
        return
    assert any("bbox/AP" in r for r in records)  # evaluation ran in the loop (EVAL_PERIOD 2) and at the end

    # --eval-only reloads the saved weights and gives the same numbers as the evaluation after training
    again = module.main(_args(module, tmp_path / "eval", "--eval-only", "MODEL.WEIGHTS",
                              str(out / "model_final.pth")))  # fmt: skip
    final = [r for r in records if "bbox/AP" in r][-1]
    assert again["bbox"]["AP"] == pytest.approx(final["bbox/AP"], abs=1e-6)
