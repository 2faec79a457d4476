"""docs/ARCHITECTURE.md names files, functions and classes of the code: each one must still exist."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "ARCHITECTURE.md"
PACKAGE = REPO / "detectra"

_SPANS = re.findall(r"`([^`\n]+)`", DOC.read_text())
# `engine/trainer.py: Trainer`, `data/build.py: get_detection_dataset_dicts(names)`, `cli/parsers.py`, `tests/x.py`
_PATH = re.compile(r"^(?P<path>[\w./]+\.py|[\w./]+/)(?::\s*(?P<name>\w+))?(?:\(.*\))?$")
# class-like names (`GeneralizedRCNN`, `TrainSettings`), and calls (`build_detection_train_loader`, `resume_state()`)
_CLASS = re.compile(r"^(?:\w+\.)*(?P<name>[A-Z][a-z]+[A-Za-z0-9]*[A-Z][A-Za-z0-9]*)$")
_FUNC = re.compile(r"^(?:\w+\.)*(?P<name>[a-z_][a-z0-9_]*_[a-z0-9_]+)(?:\(.*\))?$")


def _resolve(path: str) -> Path | None:
    """A doc path is relative to the package (`engine/trainer.py`) or to the repository (`tools/train_net.py`)."""
    for base in (PACKAGE, REPO):
        if (base / path).exists():
            return base / path
    hits = list(PACKAGE.rglob(path.rstrip("/")))  # a bare file or folder name (`lazy_train.py`, `samplers/`)
    return hits[0] if hits else None


def _defines(source: str, name: str) -> bool:
    return re.search(rf"^\s*(?:def|class)\s+{name}\b|^{name}\s*[:=]", source, re.M) is not None


_ALL_SOURCE = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))


def _path_spans() -> list[tuple[str, str | None]]:
    out = []
    for span in _SPANS:
        m = _PATH.match(span.strip())
        if m and span != ".py":
            out.append((m.group("path"), m.group("name")))
    return out


def _name_spans() -> list[str]:
    names = set()
    for span in _SPANS:
        for pattern in (_CLASS, _FUNC):
            m = pattern.match(span.strip())
            if m:
                names.add(m.group("name"))
    return sorted(names)


def test_architecture_doc_paths_exist() -> None:
    missing = []
    for path, name in _path_spans():
        found = _resolve(path)
        if found is None:
            missing.append(f"{path} (neither in detectra/ nor in the repository)")
        elif name and not _defines(found.read_text(), name):
            missing.append(f"{path}: {name} (the file does not define it)")
    assert not missing, "docs/ARCHITECTURE.md names what the code no longer has: " + "; ".join(missing)


def test_architecture_doc_names_exist() -> None:
    missing = []
    for name in _name_spans():
        if name[0].isupper():  # a class: defined somewhere in the package
            ok = _defines(_ALL_SOURCE, name)
        else:  # a function, a module, an attribute or a dict key (`sem_seg`, `last_eval_results`): still used
            ok = any(PACKAGE.rglob(f"{name}.py")) or re.search(rf"\b{name}\b", _ALL_SOURCE) is not None
        if not ok:
            missing.append(name)
    assert not missing, f"docs/ARCHITECTURE.md names what detectra no longer defines or uses: {missing}"


def test_architecture_doc_checks_see_its_names() -> None:
    """The patterns above must keep finding the doc's references (an empty list would pass vacuously)."""
    assert ("engine/trainer.py", "Trainer") in _path_spans()
    assert {"TrainSettings", "DatasetMapper", "build_detection_train_loader"} <= set(_name_spans())
