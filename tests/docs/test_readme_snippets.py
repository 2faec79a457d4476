"""The README's Python examples run as written, in order, on a generated COCO dataset.

The only changes to a snippet are lines added after ``cfg.OUTPUT_DIR = ...`` that shrink the schedule and the image
size, so the whole walk (train, predict, draw, evaluate, export, trace) takes seconds. Every ``python`` block of
README.md and docs/*.md must be listed in `_RUNS` (or `_NOT_RUN` with the reason), so a new example gets run too.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from detectra.data import DatasetCatalog, MetadataCatalog

REPO = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)

# What a snippet must contain to be run here, in README order; each runs in the namespace the previous ones left.
_RUNS = [
    "class Trainer(DefaultTrainer):",  # register a COCO json, train with DefaultTrainer + COCOEvaluator
    "predictor = DefaultPredictor(cfg)",  # predict on a BGR image, draw it, evaluate with inference_on_dataset
    'export_model(model, tensor, "output/mine/model.onnx", "onnx", dynamic=True, cfg=cfg)',  # ONNX, ExportedModel
    "adapter = TracingAdapter(model,",  # TracingAdapter + torch.jit.trace
]
_NOT_RUN: dict[str, str] = {}  # marker -> why it cannot run in a test
_FAST = (
    "cfg.SOLVER.MAX_ITER, cfg.SOLVER.IMS_PER_BATCH, cfg.DATALOADER.NUM_WORKERS = 2, 2, 0\n"
    "cfg.INPUT.MIN_SIZE_TRAIN, cfg.INPUT.MAX_SIZE_TRAIN = (64,), 96\n"
    "cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MAX_SIZE_TEST = 64, 96\n"
)
_CLASSES = ["red", "green", "blue"]  # the README's NUM_CLASSES = 3


def _snippets() -> list[tuple[str, str]]:
    docs = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return [(p.name, code) for p in docs for code in _FENCE.findall(p.read_text())]


def _readme_snippet(marker: str) -> str:
    found = [code for name, code in _snippets() if name == "README.md" and marker in code]
    assert len(found) == 1, f"README.md has {len(found)} python snippets containing {marker!r}, expected 1"
    return found[0]


def _write_coco(folder: Path) -> None:
    """data/images/000N.jpg with coloured rectangles; data/train.json (4 images) and data/val.json (2)."""
    rng = np.random.default_rng(0)
    (folder / "images").mkdir(parents=True)
    images, annotations = [], []
    for i in range(1, 7):
        pixels = rng.integers(0, 60, (64, 80, 3), dtype=np.uint8)
        for j in range(2):
            c = int(rng.integers(0, 3))
            x, y, w, h = (int(v) for v in (rng.integers(0, 40), rng.integers(0, 30), *rng.integers(14, 30, 2)))
            pixels[y : y + h, x : x + w, c] = 230
            annotations.append({"id": len(annotations) + 1, "image_id": i, "category_id": c + 1,
                                "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})  # fmt: skip
        Image.fromarray(pixels).save(folder / "images" / f"{i:04d}.jpg", quality=95)
        images.append({"id": i, "file_name": f"{i:04d}.jpg", "height": 64, "width": 80})
    categories = [{"id": k + 1, "name": n} for k, n in enumerate(_CLASSES)]
    for split, ids in (("train", range(1, 5)), ("val", range(5, 7))):
        content = {"images": [im for im in images if im["id"] in ids], "categories": categories,
                   "annotations": [a for a in annotations if a["image_id"] in ids]}  # fmt: skip
        (folder / f"{split}.json").write_text(json.dumps(content))


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory):
    """Run the README's snippets in order in one namespace, from a folder holding data/; stop at the first error.

    Yields ``{marker: the namespace right after that snippet, or the exception it raised}``.
    """
    work = tmp_path_factory.mktemp("readme")
    _write_coco(work / "data")
    outcome: dict[str, dict[str, Any] | BaseException] = {}
    namespace: dict[str, Any] = {"__name__": "readme", "__work__": str(work)}
    cwd = os.getcwd()
    os.chdir(work)
    try:
        for marker in _RUNS:
            if marker == _RUNS[2] and importlib.util.find_spec("onnxruntime") is None:
                break  # the ONNX example and the one continuing it are skipped
            code = _readme_snippet(marker)
            if marker == _RUNS[0]:
                assert 'cfg.OUTPUT_DIR = "output/mine"\n' in code
                code = code.replace('cfg.OUTPUT_DIR = "output/mine"\n', 'cfg.OUTPUT_DIR = "output/mine"\n' + _FAST)
            if marker == _RUNS[3]:  # "another image prepared as `tensor`"
                namespace["other_tensor"] = namespace["tensor"][:, :48, :56].clone()
            try:
                torch.manual_seed(0)
                exec(compile(code, f"README.md snippet {_RUNS.index(marker) + 1}", "exec"), namespace)
                outcome[marker] = dict(namespace)  # later snippets reuse names (`outputs`)
            except Exception as e:  # noqa: BLE001  (reported by the snippet's own test)
                outcome[marker] = e
                break
        yield outcome
    finally:
        os.chdir(cwd)
        for name in ("mine_train", "mine_val"):
            if name in DatasetCatalog.list():
                DatasetCatalog.remove(name)
                MetadataCatalog.remove(name)


def _ran(walk: dict[str, Any], marker: str) -> dict[str, Any]:
    if marker not in walk:
        failed = next((m for m, e in walk.items() if isinstance(e, BaseException)), None)
        if failed is None:
            pytest.skip("the README's ONNX example needs onnxruntime (pip install 'detectra[export]')")
        pytest.fail(f"not run: the snippet with {failed!r} failed before it")
    if isinstance(walk[marker], BaseException):
        raise walk[marker]
    return walk[marker]


def test_every_python_snippet_of_the_docs_is_run_here() -> None:
    for name, code in _snippets():
        ast.parse(code)  # at least valid Python
        covered = [m for m in (*_RUNS, *_NOT_RUN) if m in code]
        assert covered, f"a python snippet of {name} is neither run by this test nor listed in _NOT_RUN:\n{code}"
    assert len(_snippets()) == len(_RUNS) + len(_NOT_RUN)


def test_readme_trains_on_a_registered_coco_json_and_evaluates(walk) -> None:
    ns = _ran(walk, _RUNS[0])
    assert ns["trainer"].iter == 2  # past its 2 iterations, as Detectron2's trainer ends
    assert MetadataCatalog.get("mine_train").thing_classes == _CLASSES
    results = ns["trainer"].last_eval_results
    assert set(results["bbox"]) >= {"AP", "AP50", "AP75"}  # build_evaluator's COCOEvaluator ran after training


def test_readme_predicts_draws_and_evaluates(walk) -> None:
    ns = _ran(walk, _RUNS[1])
    work = Path(ns["__work__"])
    assert (work / "output/mine/model_final.pth").is_file() and (work / "output/mine/0001_pred.jpg").is_file()
    instances = ns["outputs"]["instances"]
    assert instances.image_size == (64, 80)  # in the original image's pixels
    assert {"pred_boxes", "scores", "pred_classes"} <= set(instances.get_fields())
    assert set(ns["results"]["bbox"]) >= {"AP", "AP50"}
    assert ns["predictor"].model.training is False


def test_readme_exports_to_onnx_and_runs_it_like_the_eager_model(walk) -> None:
    ns = _ran(walk, _RUNS[2])
    with torch.no_grad():
        eager = ns["model"]([{"image": ns["tensor"], "height": 64, "width": 80}])[0]["instances"]
    exported = ns["outputs"][0]["instances"]
    sidecar = ns["onnx_model"].sidecar  # what `detectra predict --model` reads to resize as the model expects
    assert sidecar["resize"] == {"rule": "ResizeShortestEdge", "min_size_test": 64, "max_size_test": 96}
    assert sidecar["input_format"] == "BGR" and sidecar["input"]["dynamic_hw"]
    assert len(exported) == len(eager)
    torch.testing.assert_close(exported.pred_boxes.tensor, eager.pred_boxes.tensor, atol=1e-3, rtol=0)
    torch.testing.assert_close(exported.scores, eager.scores, atol=1e-4, rtol=0)


def test_readme_tracing_adapter_gives_instances_on_another_size(walk) -> None:
    ns = _ran(walk, _RUNS[3])
    instances = ns["instances"]
    with torch.no_grad():
        eager = ns["model"].inference([{"image": ns["other_tensor"]}], do_postprocess=False)[0]
    assert instances.image_size == eager.image_size
    torch.testing.assert_close(instances.pred_boxes.tensor.detach(), eager.pred_boxes.tensor, atol=1e-3, rtol=0)
