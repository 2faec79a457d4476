"""The `detectron2` compatibility distribution (compat/detectron2): installed into a fresh venv, used by a client."""
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import detectra

REPO = Path(__file__).resolve().parents[2]
COMPAT = REPO / "compat" / "detectron2"

# Run inside the venv after installing: module identity, lazily added modules, errors, attribute access.
_IDENTITY_CHECKS = r"""
import json, pickle, sys
assert "detectra.modeling.backbone.resnet" not in sys.modules
import detectron2
import detectron2.modeling.backbone.resnet as d2_resnet
import detectra.modeling, detectra.modeling.backbone.resnet as resnet
from detectron2.modeling import META_ARCH_REGISTRY
from detectron2.structures import Boxes
import detectra.structures, torch
try:
    import detectron2.no_such_module
    missing = None
except ModuleNotFoundError as e:
    missing = str(e)
try:
    from detectron2 import _C
    compiled = None
except ImportError as e:
    compiled = str(e)
boxes = pickle.loads(pickle.dumps(Boxes(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))))
print(json.dumps({
    "file": detectron2.__file__,
    "same_module": d2_resnet is resnet,
    "name": d2_resnet.__name__,
    "same_registry": META_ARCH_REGISTRY is detectra.modeling.META_ARCH_REGISTRY,
    "isinstance": isinstance(boxes, detectra.structures.Boxes),
    "attr_access": detectron2.model_zoo is sys.modules["detectra.model_zoo"],
    "missing": missing,
    "compiled": compiled,
    "copies": sorted(k for k in sys.modules if k.startswith("detectron2.")
                     and sys.modules[k] is not sys.modules.get("detectra" + k[len("detectron2"):])),
}))
"""


def test_compat_version_follows_detectra():
    text = (COMPAT / "pyproject.toml").read_text()
    assert re.search(r'^name = "detectron2"$', text, re.M)
    assert re.search(rf'^version = "0\.6\+detectra\.{re.escape(detectra.__version__)}"$', text, re.M), (
        "compat/detectron2/pyproject.toml must say version 0.6+detectra.<detectra version> and depend on it"
    )
    assert f'"detectra=={detectra.__version__}"' in text


def _run(cmd, env, cwd):
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.mark.slow
def test_fresh_venv_client_runs_through_import_detectron2(tmp_path):
    # --system-site-packages: torch and the other dependencies come from this interpreter, not reinstalled;
    # without pip of its own, the system pip (visible in the venv) installs into the venv's site-packages.
    venv_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(venv_dir)
    python = str(venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    # detectra from this checkout; the source copy keeps build leftovers out of the repository.
    env = {**os.environ, "PYTHONPATH": str(REPO), "PIP_DISABLE_PIP_VERSION_CHECK": "1", "OMP_NUM_THREADS": "1"}
    source = tmp_path / "detectron2-src"
    shutil.copytree(COMPAT, source)
    _run([python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", str(source)], env, tmp_path)

    checks = json.loads(_run([python, "-c", _IDENTITY_CHECKS], env, tmp_path).strip().splitlines()[-1])
    assert Path(checks.pop("file")).is_relative_to(venv_dir)  # the installed copy, not the source tree
    assert "detectra has none" in checks.pop("compiled")
    assert checks == {
        "same_module": True,
        "name": "detectra.modeling.backbone.resnet",
        "same_registry": True,
        "isinstance": True,
        "attr_access": True,
        "missing": "No module named 'detectron2.no_such_module'",
        "copies": [],
    }

    # No trained weights offline: unit-variance inputs keep a randomly initialised R-50 from saturating its
    # softmax, so that detections come out.
    config = tmp_path / "client.yaml"
    config.write_text(
        "MODEL:\n  WEIGHTS: ''\n  DEVICE: cpu\n  PIXEL_STD: [57.375, 57.120, 58.395]\n  ROI_HEADS:\n    NUM_CLASSES: 3\n    SCORE_THRESH_TEST: 0.0\n"
        "INPUT:\n  MIN_SIZE_TEST: 120\n  MAX_SIZE_TEST: 160\n"
    )
    out = _run([python, str(Path(__file__).with_name("d2_client.py")), str(config)], env, tmp_path)
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["version"] == seen["module_version"] == f"0.6+detectra.{detectra.__version__}"
    assert seen["meta_arch"] == "GeneralizedRCNN" and seen["registered"]
    assert seen["image_size"] == [120, 160]
    assert seen["num"] > 0  # random weights, threshold 0: detections exist
    assert seen["boxes_in_image"] and seen["scores_sorted"]
    assert 0.0 <= seen["score_range"][0] <= seen["score_range"][1] <= 1.0
    assert set(seen["classes"]) <= {0, 1, 2}
    assert seen["drawn_shape"] == [120, 160, 3]
    assert seen["thing_classes"] == ["circle", "square", "triangle"]


_LOGGING_SCRIPT = r"""
import logging, sys
import detectron2
assert not logging.getLogger("detectron2").isEnabledFor(logging.INFO)  # Detectron2-style trainers then call setup_logger
logging.getLogger("detectron2").info("before setup: dropped, as with Detectron2")
logging.getLogger("detectron2").warning("before setup: warning")
from detectron2.utils.logger import setup_logger
setup_logger(sys.argv[1])
assert logging.getLogger("detectron2.my_tool").isEnabledFor(logging.INFO)
logging.getLogger("detectron2").info("user info")
logging.getLogger("detectron2.my_tool").warning("user warning")
logging.getLogger("detectron2").debug("debug line")
setup_logger(name="detectron2")  # configured by the script: printed once, by its own handler
logging.getLogger("detectron2").info("own handler")
"""


def test_detectron2_logger_prints_through_detectra_setup_logger(tmp_path):
    # Detectron2's tools log to logging.getLogger("detectron2") after setup_logger() / default_setup.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(COMPAT)])}
    proc = subprocess.run(
        [sys.executable, "-c", _LOGGING_SCRIPT, str(tmp_path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    printed = [line.split("] ", 1)[-1] for line in proc.stdout.splitlines()]
    assert printed == [
        "detectron2 INFO: user info",
        "detectron2.my_tool WARNING: user warning",
        "detectron2 DEBUG: debug line",
        "detectron2 INFO: own handler",
    ]
    assert proc.stderr.strip() == "before setup: warning"
    assert "detectron2 INFO: user info" in (tmp_path / "log.txt").read_text()
