"""Checkpointer / PeriodicCheckpointer: round trips, resume semantics, atomic saves, safe loads, key reports."""
import logging
import os
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

from detectra.checkpoint import (
    Checkpointer,
    DetectionCheckpointer,
    PeriodicCheckpointer,
    UnsafeCheckpointError,
    get_rng_states,
    set_rng_states,
)


def _net(seed=0, num_classes=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, num_classes))


def _train_parts(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 3, 3)).sum().backward()
    opt.step()
    sched = torch.optim.lr_scheduler.StepLR(opt, 2)
    opt.step()
    sched.step()
    return opt, sched


def _assert_same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        torch.testing.assert_close(sa[k], sb[k], rtol=0, atol=0)


def test_save_load_round_trip_with_checkpointables(tmp_path):
    model = _net(0)
    opt, sched = _train_parts(model)
    ckpt = Checkpointer(model, str(tmp_path), optimizer=opt, scheduler=sched)
    ckpt.save("model_0000009", iteration=9, note="hello")
    assert (tmp_path / "model_0000009.pth").is_file()
    assert (tmp_path / "last_checkpoint").read_text() == "model_0000009.pth"
    assert ckpt.has_checkpoint() and ckpt.get_checkpoint_file() == str(tmp_path / "model_0000009.pth")
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]

    model2 = _net(1)
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5, momentum=0.9)
    sched2 = torch.optim.lr_scheduler.StepLR(opt2, 2)
    extra = Checkpointer(model2, str(tmp_path), optimizer=opt2, scheduler=sched2).resume_or_load("", resume=True)
    assert extra == {"iteration": 9, "note": "hello"}
    _assert_same_weights(model, model2)
    assert opt2.state_dict()["param_groups"][0]["lr"] == 0.1
    torch.testing.assert_close(opt2.state_dict()["state"][0]["momentum_buffer"], opt.state_dict()["state"][0]["momentum_buffer"])
    assert sched2.last_epoch == 1


def test_resume_false_loads_weights_only(tmp_path):
    model = _net(0)
    opt, _ = _train_parts(model)
    Checkpointer(model, str(tmp_path), optimizer=opt).save("model_final", iteration=99)
    weights = str(tmp_path / "model_final.pth")

    out = tmp_path / "fresh"
    model2 = _net(1)
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.5)
    ckpt2 = DetectionCheckpointer(model2, str(out), optimizer=opt2)
    extra = ckpt2.resume_or_load(weights, resume=True)  # no checkpoint in `out`: falls back to loading weights only
    _assert_same_weights(model, model2)
    assert opt2.param_groups[0]["lr"] == 0.5 and not opt2.state_dict()["state"]
    assert extra["iteration"] == 99 and "optimizer" in extra  # unconsumed entries are returned

    # with a checkpoint in save_dir, resume=True ignores `path` and restores everything
    ckpt2.save("model_0000004", iteration=4)
    model3 = _net(2)
    opt3 = torch.optim.SGD(model3.parameters(), lr=0.7)
    ckpt3 = DetectionCheckpointer(model3, str(out), optimizer=opt3)
    assert ckpt3.resume_or_load(weights, resume=True) == {"iteration": 4}
    assert opt3.param_groups[0]["lr"] == 0.5
    assert ckpt3.resume_or_load(weights, resume=False)["iteration"] == 99
    assert ckpt3.get_all_checkpoint_files() == [str(out / "model_0000004.pth")]


def test_load_empty_path_and_missing_file(tmp_path):
    ckpt = Checkpointer(_net(), str(tmp_path))
    assert ckpt.load("") == {}
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        ckpt.load(str(tmp_path / "nope.pth"))
    assert not ckpt.has_checkpoint() and ckpt.get_checkpoint_file() == ""


def test_no_save_without_dir_or_off_main(tmp_path):
    Checkpointer(_net(), "").save("x")
    Checkpointer(_net(), str(tmp_path), save_to_disk=False).save("x")
    assert os.listdir(tmp_path) == []


def test_periodic_checkpointer(tmp_path):
    ckpt = Checkpointer(_net(), str(tmp_path))
    periodic = PeriodicCheckpointer(ckpt, period=3, max_iter=10, max_to_keep=2)
    for it in range(10):
        periodic.step(it, extra=it * 2)
    files = sorted(f for f in os.listdir(tmp_path) if f.endswith(".pth"))
    # saved at 2, 5, 8 (+1 % 3 == 0); only the 2 newest kept; final at 9
    assert files == ["model_0000005.pth", "model_0000008.pth", "model_final.pth"]
    assert (tmp_path / "last_checkpoint").read_text() == "model_final.pth"
    data = torch.load(tmp_path / "model_final.pth", weights_only=True)
    assert data["iteration"] == 9 and data["extra"] == 18
    with pytest.raises(ValueError, match="period"):
        PeriodicCheckpointer(ckpt, period=0)


def test_failed_save_leaves_previous_checkpoint(tmp_path, monkeypatch):
    model = _net(0)
    ckpt = Checkpointer(model, str(tmp_path))
    ckpt.save("model_0000000", iteration=0)
    good = {k: v.clone() for k, v in model.state_dict().items()}

    real_save = torch.save

    def crashing_save(obj, f, *a, **k):
        f.write(b"PARTIAL" * 100)  # half a file on disk, then the process "dies"
        raise KeyboardInterrupt("killed mid-save")

    with torch.no_grad():
        model[0].weight.add_(1.0)
    monkeypatch.setattr(torch, "save", crashing_save)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save("model_0000000", iteration=1)  # overwrite attempt of the same file
    with pytest.raises(KeyboardInterrupt):
        ckpt.save("model_0000001", iteration=1)
    monkeypatch.setattr(torch, "save", real_save)

    assert sorted(os.listdir(tmp_path)) == ["last_checkpoint", "model_0000000.pth"]  # no temp files left
    model2 = _net(3)
    assert Checkpointer(model2, str(tmp_path)).resume_or_load("", resume=True) == {"iteration": 0}
    for k, v in model2.state_dict().items():
        torch.testing.assert_close(v, good[k])


def test_process_killed_mid_save_leaves_previous_checkpoint(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal, torch
        from torch import nn
        from detectra.checkpoint import Checkpointer
        model = nn.Linear(64, 64)
        ckpt = Checkpointer(model, {str(tmp_path)!r})
        ckpt.save("model_0000000", iteration=0)
        real = torch.save
        def dying_save(obj, f, *a, **k):
            f.write(b"x" * 4096)
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        torch.save = dying_save
        ckpt.save("model_0000001", iteration=1)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    assert (tmp_path / "last_checkpoint").read_text() == "model_0000000.pth"
    assert not (tmp_path / "model_0000001.pth").exists()
    model = nn.Linear(64, 64)
    assert Checkpointer(model, str(tmp_path)).resume_or_load("", resume=True) == {"iteration": 0}


def test_rng_states_round_trip_under_weights_only(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    np.random.randn()  # leaves a cached gaussian in numpy's state
    ckpt = Checkpointer(_net(), str(tmp_path))
    ckpt.save("m", rng=get_rng_states(), np_array=np.arange(4, dtype=np.float32), np_scalar=np.float64(2.5),
              plain={"a": [1, 2.0, "s", None, (3, 4), {5, 6}], "dtype": torch.float16})
    expected = (random.random(), np.random.rand(), np.random.randn(), torch.rand(3))

    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    data = torch.load(tmp_path / "m.pth", weights_only=True)  # plain torch, no detectra allow-listing
    set_rng_states(data["rng"])
    got = (random.random(), np.random.rand(), np.random.randn(), torch.rand(3))
    assert got[:3] == expected[:3]
    torch.testing.assert_close(got[3], expected[3])
    torch.testing.assert_close(data["np_array"], torch.arange(4, dtype=torch.float32))
    assert data["np_scalar"] == 2.5 and data["plain"] == {"a": [1, 2.0, "s", None, (3, 4), {5, 6}], "dtype": torch.float16}


def test_unsaveable_object_fails_before_writing(tmp_path):
    ckpt = Checkpointer(_net(), str(tmp_path))
    ckpt.save("ok")

    class Custom:
        pass

    with pytest.raises(TypeError, match=r"checkpoint 'bad.pth'\['state'\]\[0\].*Custom"):
        ckpt.save("bad", state=[Custom()])
    assert sorted(os.listdir(tmp_path)) == ["last_checkpoint", "ok.pth"]
    assert (tmp_path / "last_checkpoint").read_text() == "ok.pth"


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED_BY_CHECKPOINT",))


def test_malicious_torch_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pth"
    torch.save({"model": {}, "payload": _Evil()}, path)
    with pytest.raises(UnsafeCheckpointError) as e:
        DetectionCheckpointer(_net()).load(str(path))
    msg = str(e.value)
    assert str(path) in msg and "arbitrary code" in msg and "weights_only=False" in msg
    assert not (tmp_path / "PWNED_BY_CHECKPOINT").exists()


def test_incompatible_keys_table_and_shape_skip(tmp_path, caplog):
    src = _net(0, num_classes=3)
    state = src.state_dict()
    state["extra_head.weight"] = torch.zeros(2)
    del state["1.running_var"]
    torch.save({"model": {"module." + k: v for k, v in state.items()}}, tmp_path / "w.pth")  # DDP-style keys

    dst = _net(1, num_classes=5)  # classifier shape differs
    fc_before = dst[3].weight.detach().clone()
    with caplog.at_level(logging.WARNING):
        DetectionCheckpointer(dst).load(str(tmp_path / "w.pth"))
    torch.testing.assert_close(dst[0].weight, src[0].weight)  # "module." prefix stripped
    torch.testing.assert_close(dst[3].weight, fc_before)  # wrong shape: skipped, kept initial values
    text = caplog.text
    assert "| status" in text
    assert "wrong shape (skipped) | 3.{bias, weight}" not in text  # shapes listed per key
    assert "3.weight" in text and "(3, 4)" in text and "(5, 4)" in text
    assert "missing in checkpoint" in text and "1.running_var" in text
    missing_rows = [line for line in text.splitlines() if line.startswith("| missing in checkpoint")]
    assert not any("3." in r for r in missing_rows), missing_rows  # a wrong-shape key is in the checkpoint: one row
    assert "unused from checkpoint" in text and "extra_head.weight" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len({len(r) for r in rows}) == 1  # aligned columns


def test_non_dict_checkpoint_is_rejected(tmp_path):
    torch.save([torch.zeros(1)], tmp_path / "list.pth")
    with pytest.raises(ValueError, match="not a dict"):
        Checkpointer(_net()).load(str(tmp_path / "list.pth"))
    torch.save({"optimizer": {}, "iteration": 3}, tmp_path / "nomodel.pth")
    with pytest.raises(ValueError, match="no 'model' entry"):
        Checkpointer(_net()).load(str(tmp_path / "nomodel.pth"))


def test_bare_state_dict_loads_with_plain_checkpointer(tmp_path):
    src = _net(0)
    torch.save(src.state_dict(), tmp_path / "bare.pth")
    dst = _net(1)
    assert Checkpointer(dst).load(str(tmp_path / "bare.pth")) == {}
    _assert_same_weights(src, dst)


@pytest.mark.parametrize(
    "build, config_key",
    [
        (lambda k: _retinanet_like(k), "MODEL.RETINANET.NUM_CLASSES"),
        (lambda k: _rcnn_like(k), "MODEL.ROI_HEADS.NUM_CLASSES"),
        (lambda k: _fcos_like(k), "model.num_classes of the FCOS LazyConfig"),
    ],
    ids=["retinanet", "rcnn", "fcos"],
)
def test_class_count_mismatch_names_the_config_key(tmp_path, build, config_key):
    Checkpointer(build(80), str(tmp_path)).save("model_final")
    with pytest.raises(ValueError) as err:
        Checkpointer(build(3), str(tmp_path)).load(str(tmp_path / "model_final.pth"), strict=True)
    assert f"the checkpoint has 80 classes, the model 3 ({config_key})" in str(err.value)


def _retinanet_like(num_classes):
    from detectra.layers import ShapeSpec
    from detectra.modeling.meta_arch.retinanet import RetinaNetHead

    model = nn.Module()
    model.head = RetinaNetHead(input_shape=[ShapeSpec(channels=8)], num_classes=num_classes, num_anchors=9,
                               conv_dims=[8])  # fmt: skip
    return model


def _rcnn_like(num_classes):
    model = nn.Module()
    model.roi_heads = nn.Module()
    model.roi_heads.box_predictor = nn.Module()
    model.roi_heads.box_predictor.cls_score = nn.Linear(8, num_classes + 1)
    return model


def _fcos_like(num_classes):
    from detectra.layers import ShapeSpec
    from detectra.modeling.meta_arch.fcos import FCOSHead

    model = nn.Module()
    model.head = FCOSHead(input_shape=[ShapeSpec(channels=8)], num_classes=num_classes, conv_dims=[8])
    return model
