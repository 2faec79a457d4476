"""``detectra <command> --help`` and usage errors answer without importing torch or the model code: the parsers live
in `detectra.cli.parsers`, and a command's module is imported only to run it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from detectra.cli import COMMANDS

REPO = str(Path(__file__).resolve().parents[2])  # this checkout's detectra, not an installed one

_PROBE = """
import contextlib, io, json, sys
from detectra.cli import COMMANDS, main
codes = {}
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    for name in COMMANDS:
        codes[name] = [main([name, "--help"]), main([name, "--no-such-flag"])]
heavy = sorted(m for m in sys.modules if m == "torch" or m.startswith(("detectra.modeling", "detectra.engine")))
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def test_help_and_usage_errors_import_no_torch():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["codes"] == {name: [0, 2] for name in COMMANDS}
    assert report["heavy"] == [], f"--help imported {report['heavy'][:5]}"


def test_export_summary_names_every_format_family():
    """`detectra --help` lists what `export --format` writes (AOTInductor was left out)."""
    from detectra.cli.parsers import EXPORT_FORMATS

    family = {"onnx": "ONNX", "onnx-dynamo": "ONNX", "torch-export": "torch.export", "aoti": "AOTInductor",
              "torchscript": "TorchScript"}  # fmt: skip
    assert set(family) == set(EXPORT_FORMATS)
    summary = COMMANDS["export"][1]
    assert all(name in summary for name in family.values()), summary
