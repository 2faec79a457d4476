"""Files a user is given (proposals, weights) never run code, broken ones name themselves, and what we write is
complete, readable by others (0644 under umask 0022) and leaves no litter after a kill."""
import os
import pickle
import stat

import numpy as np
import pytest
import torch
from torch import nn

from detectra.checkpoint import Checkpointer, DetectionCheckpointer, UnsafeCheckpointError
from detectra.checkpoint.safe_io import (
    UnreadableCheckpointError,
    atomic_torch_save,
    load_pickle_file,
    remove_stale_temp_files,
)
from detectra.data import DatasetCatalog, MetadataCatalog, get_detection_dataset_dicts


class _Payload:
    """Unpickling it creates a folder: the proof that a file ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


@pytest.fixture
def one_image_dataset():
    name = "safe_files_one_image"
    DatasetCatalog.register(name, lambda: [{"file_name": "a.jpg", "image_id": 7, "height": 10, "width": 10,
                                            "annotations": [{"bbox": [1, 1, 5, 5], "bbox_mode": 1,
                                                             "category_id": 0}]}])  # fmt: skip
    MetadataCatalog.get(name).thing_classes = ["a"]
    yield name
    DatasetCatalog.remove(name)
    MetadataCatalog.remove(name)


def test_proposal_file_cannot_run_code(tmp_path, one_image_dataset):
    marker = tmp_path / "pwned"
    bad = tmp_path / "proposals.pkl"
    with open(bad, "wb") as f:
        pickle.dump({"ids": [7], "boxes": [_Payload(marker)], "objectness_logits": [np.zeros(1)]}, f)
    with pytest.raises(UnsafeCheckpointError) as e:
        get_detection_dataset_dicts([one_image_dataset], proposal_files=[str(bad)])
    assert not marker.exists()
    msg = str(e.value)
    assert str(bad) in msg and "posix.mkdir" in msg and "re-save it as a dict of plain lists" in msg


def test_proposal_file_with_the_boxmode_enum_and_numpy_loads(tmp_path, one_image_dataset):
    from detectra.structures import BoxMode

    good = tmp_path / "proposals.pkl"
    boxes = np.array([[0, 0, 4, 4], [1, 1, 2, 2]], np.float32)
    with open(good, "wb") as f:
        pickle.dump({"ids": np.array([7]), "boxes": [boxes], "objectness_logits": [np.array([0.1, 0.9])],
                     "bbox_mode": BoxMode.XYXY_ABS}, f)  # fmt: skip
    (d,) = get_detection_dataset_dicts([one_image_dataset], proposal_files=[str(good)])
    np.testing.assert_array_equal(d["proposal_boxes"], boxes[::-1])
    assert d["proposal_bbox_mode"] == BoxMode.XYXY_ABS


@pytest.mark.parametrize("content", [b"", b"\x80\x02}q\x00(X\x01\x00\x00\x00a", b"\x80\x02\x82\xf0.", b"PK\x03\x04zip"],
                         ids=["empty", "truncated", "extension_opcode", "not_a_pickle"])  # fmt: skip
def test_broken_pkl_names_the_file(tmp_path, content):
    path = tmp_path / "weights.pkl"
    path.write_bytes(content)
    with pytest.raises(ValueError) as e:
        load_pickle_file(str(path))
    msg = str(e.value)
    assert str(path) in msg and f"({len(content)} bytes)" in msg and "write it again" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("cut", [0, 0.5], ids=["zero_bytes", "truncated"])
def test_broken_pth_names_the_file_also_on_resume(tmp_path, cut):
    model = nn.Linear(2, 2)
    ckpt = Checkpointer(model, str(tmp_path))
    ckpt.save("model_0000009")
    path = tmp_path / "model_0000009.pth"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    for load in (lambda: ckpt.load(str(path)), lambda: Checkpointer(model, str(tmp_path)).resume_or_load("", resume=True)):
        with pytest.raises(ValueError) as e:
            load()
        msg = str(e.value)
        assert str(path) in msg and "empty, truncated or not a PyTorch file" in msg and "last_checkpoint" in msg


def test_zero_dim_arrays_in_pkl_stay_zero_dim(tmp_path, caplog):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    state = {k: np.asarray(v.numpy() + (7 if k.endswith("num_batches_tracked") else 0))
             for k, v in model.state_dict().items()}  # fmt: skip
    assert state["1.num_batches_tracked"].shape == ()
    path = tmp_path / "zoo.pkl"
    with open(path, "wb") as f:
        pickle.dump({"model": state, "__author__": "test"}, f)
    fresh = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    DetectionCheckpointer(fresh).load(str(path))
    assert "wrong shape" not in caplog.text
    assert fresh[1].num_batches_tracked.shape == () and int(fresh[1].num_batches_tracked) == 7


def test_checkpoints_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        Checkpointer(nn.Linear(2, 2), str(tmp_path)).save("model_final")
        atomic_torch_save({"a": torch.zeros(1)}, str(tmp_path / "other.pth"))
    finally:
        os.umask(old)
    for name in ("model_final.pth", "last_checkpoint", "other.pth"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o644, name


def test_stale_temp_files_are_removed_on_start_and_resume(tmp_path):
    model = nn.Linear(2, 2)
    ckpt = Checkpointer(model, str(tmp_path))
    ckpt.save("model_0000003")
    litter = [tmp_path / ".model_0000007.pth.k3j9x_2a.tmp", tmp_path / ".last_checkpoint.abcdefgh.tmp"]
    keep = [tmp_path / "notes.tmp", tmp_path / ".model.pth.short.tmp", tmp_path / "model_0000003.pth"]
    for p in litter + keep[:2]:
        p.write_bytes(b"x" * 10)
    assert remove_stale_temp_files(str(tmp_path)) == sorted(map(str, litter))
    for p in litter:
        p.write_bytes(b"x")
    for resume in (True, False):
        Checkpointer(model, str(tmp_path)).resume_or_load("", resume=resume)
        assert not any(p.exists() for p in litter) and all(p.exists() for p in keep)
        litter[0].write_bytes(b"x")


def test_a_run_folder_its_pointer_or_a_text_file_given_as_weights_say_what_to_load(tmp_path):
    model = nn.Linear(2, 2)
    ckpt = Checkpointer(model, str(tmp_path))
    ckpt.save("model_final")
    (tmp_path / "metrics.json").write_text('{"iteration": 19}\n')
    with pytest.raises(IsADirectoryError, match=r"is a folder: pass one checkpoint file in it \(.*model_final\.pth"):
        ckpt.load(str(tmp_path))
    with pytest.raises(UnreadableCheckpointError, match=r"names a folder's latest checkpoint.*load '.*model_final\.pth' instead"):
        ckpt.load(str(tmp_path / "last_checkpoint"))
    # a json used to be refused as "unsafe, could execute arbitrary code"
    with pytest.raises(UnreadableCheckpointError, match=r"metrics\.json' \(18 bytes\): it is not a PyTorch file \(it starts with b'"):
        ckpt.load(str(tmp_path / "metrics.json"))
    torch.save({"model": model.state_dict()}, tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    assert "model" not in ckpt.load(str(tmp_path / "legacy.pth"))  # the legacy pickle format still loads


def test_command_line_says_unreadable_weights_are_unreadable_not_a_config_mismatch(tmp_path):
    from detectra.cli._common import CLIError
    from detectra.cli._run_dir import load_weights_checked

    (tmp_path / "model_final.pth").write_text("not weights\n")
    with pytest.raises(CLIError) as e:
        load_weights_checked(nn.Linear(2, 2), str(tmp_path / "model_final.pth"), "config.yaml")
    assert "not a PyTorch file" in str(e.value) and "disagree" not in str(e.value)
