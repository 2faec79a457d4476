"""docs/ARCHITECTURE.md names files, functions and classes of the code: each one must still exist."""
from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from detectra.data import build_detection_train_loader
from detectra.engine import Trainer, TrainSettings

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


def _documented_checkpoint_entries() -> set[str]:
    text = DOC.read_text()
    table = text[text.index("What a checkpoint carries") :].split("\n\n")[1]
    entries = set()
    for row in table.splitlines()[2:]:
        entries.update(re.findall(r"`([\w.]+)`", row.split("|")[1]))
    return entries


def test_architecture_doc_checkpoint_table_is_what_a_trainer_saves(tmp_path) -> None:
    """Train a tiny model 2 iterations through `Trainer`, and compare the saved file's keys with the table."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(1))

    class _Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model

        def forward(self, batch: list[dict]) -> dict[str, torch.Tensor]:
            return {"loss_reg": self.net(torch.stack([d["image"] for d in batch])).pow(2).mean()}

    net = _Model()
    net([{"image": torch.rand(3, 8, 8)}])  # materialise the lazy layer before the optimizer sees it
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    loader = build_detection_train_loader(
        [{"image_id": i} for i in range(4)], mapper=lambda d: {"image": torch.rand(3, 8, 8)}, total_batch_size=2,
        aspect_ratio_grouping=False, num_workers=0,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: 1.0)
    settings = TrainSettings(output_dir=str(tmp_path), max_iter=2, checkpoint_period=1)
    Trainer(model=net, optimizer=optimizer, data_loader=loader, scheduler=scheduler, settings=settings).train()
    saved = torch.load(tmp_path / "model_final.pth", weights_only=False)
    actual = {"model", "iteration", *(f"trainer.{k}" for k in saved["trainer"])}
    actual |= {f"data_loader.{k}" for k in saved.get("data_loader", {})}
    assert _documented_checkpoint_entries() == actual
