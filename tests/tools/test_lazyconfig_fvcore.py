"""tools/lazyconfig_train_net.py trains the model-zoo config Misc/torchvision_imagenet_R_50.py, whose schedule is
fvcore's MultiStepParamScheduler when fvcore is installed and detectra's when it is not (both runs here)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The zoo config with its ImageNet folders swapped for generated images (torchvision's FakeData) and tiny sizes.
_TINY_CONFIG = '''
import torchvision
from torchvision.transforms import transforms as T

from detectra.config import LazyCall as L
from detectra.model_zoo import get_config

_zoo = get_config("Misc/torchvision_imagenet_R_50.py")
dataloader, model, optimizer, lr_multiplier, train = (
    _zoo.dataloader, _zoo.model, _zoo.optimizer, _zoo.lr_multiplier, _zoo.train)
_transform = L(T.Compose)(transforms=[L(T.ToTensor)(), L(T.Normalize)(mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))])
dataloader.train.dataset = L(torchvision.datasets.FakeData)(
    size=16, image_size=(3, 32, 32), num_classes=10, transform=_transform, random_offset=0)
dataloader.test.dataset = L(torchvision.datasets.FakeData)(
    size=8, image_size=(3, 32, 32), num_classes=10, transform=_transform, random_offset=100)
'''

# Runs the script in-process after hiding fvcore, as on a machine without it.
_WITHOUT_FVCORE = (
    "import runpy, sys; sys.modules['fvcore'] = None; sys.argv = sys.argv[1:]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def _train(tmp_path: Path, hide_fvcore: bool) -> tuple[list[dict], str]:
    config = tmp_path / "tiny_imagenet.py"
    config.write_text(_TINY_CONFIG)
    out = tmp_path / "out"
    script = [str(ROOT / "tools" / "lazyconfig_train_net.py"), "--config-file", str(config)]
    overrides = [
        f"train.output_dir={out}", "train.device=cpu", "train.max_iter=6", "train.eval_period=6",
        "train.log_period=1", "train.checkpointer.period=100", "dataloader.train.batch_size=4",
        "dataloader.test.batch_size=4", "dataloader.train.num_workers=0", "dataloader.test.num_workers=0",
    ]  # fmt: skip
    cmd = [sys.executable, *(["-c", _WITHOUT_FVCORE] if hide_fvcore else []), *script, *overrides]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    records = [json.loads(line) for line in (out / "metrics.json").read_text().splitlines()]
    return records, (out / "config.yaml").read_text()


def _check_run(records: list[dict]) -> None:
    lrs = {r["iteration"]: r["lr"] for r in records if "lr" in r}
    # warmup over 1/100 of 6 iterations: x0.1 at iteration 0 only; milestones at 30/60/90 of 100 give
    # x0.1 from iteration 2 (30% of 6 = 1.8), x0.01 from 4 (3.6), x0.001 from 6 (5.4) of base lr 0.1.
    assert lrs[0] == pytest.approx(0.01)
    assert [lrs[i] for i in (1, 2, 3, 4, 5)] == pytest.approx([0.1, 0.01, 0.01, 0.001, 0.001])
    losses = [r["total_loss"] for r in records if "total_loss" in r]
    assert len(losses) == 6 and all(0 < x < 50 for x in losses)
    accuracy = [r for r in records if "accuracy" in r]
    assert accuracy and 0.0 <= accuracy[-1]["accuracy"] <= 1.0


@pytest.mark.slow  # two short trainings of a ResNet-50 at 32x32 pixels
def test_zoo_config_trains_with_fvcore_scheduler(tmp_path):
    pytest.importorskip("fvcore.common.param_scheduler", reason="fvcore is not installed")
    records, saved = _train(tmp_path, hide_fvcore=False)
    _check_run(records)
    assert "_target_: fvcore.common.param_scheduler.MultiStepParamScheduler" in saved


@pytest.mark.slow
def test_zoo_config_trains_with_detectra_scheduler_without_fvcore(tmp_path):
    records, saved = _train(tmp_path, hide_fvcore=True)
    _check_run(records)
    assert "_target_: detectra.solver.MultiStepParamScheduler" in saved
    assert "fvcore" not in saved
