"""The names README.md and docs/*.md cite resolve: dotted detectra names import, `from detectra... import`
lines run, and every yacs key (`SOLVER.MAX_ITER`, also inside command lines) is a key of `get_cfg()`."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

from detectra.config import get_cfg

REPO = Path(__file__).resolve().parents[2]
_TEXT = "\n".join(p.read_text() for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))])
_SPANS = re.findall(r"`([^`\n]+)`", _TEXT)
_FILE_SUFFIXES = (".py", ".json", ".txt", ".yaml", ".pth", ".png", ".jpg")  # `config.yaml` is a file, not a name
_SUBPACKAGES = {p.name for p in (REPO / "detectra").iterdir() if (p / "__init__.py").is_file()}
# a key of the yacs config: a known top-level node, then dotted upper-case parts (`MODEL.RESNETS.NORM`)
_CFG_KEY = re.compile(r"(?<![\w.])((?:MODEL|SOLVER|INPUT|DATASETS|DATALOADER|TEST)(?:\.[A-Z][A-Z0-9_]*)+)(?![\w.(*])")


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def _dotted_names() -> list[str]:
    names = set()
    for span in _SPANS:
        if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", span) or span.endswith(_FILE_SUFFIXES):
            continue
        head = span.split(".")[0]
        if head == "detectra" and span != "detectra.X.Y":
            names.add(span)
        elif head in _SUBPACKAGES:  # `utils.file_io.PathManager`, `evaluation.RotatedCOCOEvaluator`
            names.add("detectra." + span)
    return sorted(names)


def test_dotted_detectra_names_in_the_docs_resolve() -> None:
    names = _dotted_names()
    assert "detectra.export.ExportedModel" in names and "detectra.utils.file_io.PathManager" in names
    broken = []
    for name in names:
        try:
            _resolve(name)
        except (ImportError, AttributeError) as e:
            broken.append(f"{name} ({type(e).__name__}: {e})")
    assert not broken, f"the docs cite names that do not resolve: {broken}"


def test_import_lines_in_the_docs_run() -> None:
    lines = sorted({s for s in _SPANS if re.match(r"(from detectra[\w.]* import |import detectra)", s)})
    assert "from detectra.engine import DefaultTrainer, DefaultPredictor" in lines
    for line in lines:
        exec(line, {})


def test_config_keys_in_the_docs_exist() -> None:
    cfg = get_cfg()
    keys = sorted(set(_CFG_KEY.findall(_TEXT)))
    assert {"SOLVER.MAX_ITER", "MODEL.RESNETS.NORM", "TEST.PRECISION"} <= set(keys)
    missing = []
    for key in keys:
        node = cfg
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                missing.append(key)
                break
            node = node[part]
    assert not missing, f"the docs name config keys that get_cfg() does not have: {missing}"
