"""CfgNode: yacs semantics for merges, type checks, freezing, dumping, and the errors users see."""
from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest
import yaml

from detectra.config import CfgNode, get_cfg, global_cfg, set_global_cfg


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


# ---------------------------------------------------------------- access
def test_attribute_and_item_access() -> None:
    cfg = CfgNode({"A": {"B": 1, "C": [1, 2]}, "D": "x"})
    assert isinstance(cfg.A, CfgNode)
    assert cfg.A.B == 1 and cfg["A"]["B"] == 1 and cfg.A["C"] == [1, 2]
    cfg.A.B = 5
    cfg["D"] = "y"
    assert cfg["A"].B == 5 and cfg.D == "y"
    with pytest.raises(AttributeError, match="MISSING"):
        cfg.MISSING
    assert "A" in cfg and "MISSING" not in cfg


def test_leaf_values_must_be_plain_types() -> None:
    cfg = CfgNode()
    with pytest.raises(TypeError, match="OBJ.*object.*LazyConfig"):
        cfg.OBJ = object()


# ---------------------------------------------------------------- freezing
def test_frozen_config_refuses_every_modification() -> None:
    cfg = get_cfg()
    cfg.freeze()
    assert cfg.is_frozen() and cfg.MODEL.RPN.is_frozen()
    with pytest.raises(AttributeError, match="immutable"):
        cfg.MODEL.DEVICE = "cpu"
    with pytest.raises(AttributeError, match="immutable"):
        cfg.SOLVER["BASE_LR"] = 1.0
    with pytest.raises(AttributeError, match="immutable"):
        cfg.merge_from_list(["SEED", "3"])
    with pytest.raises(AttributeError, match="immutable"):
        del cfg.SEED
    assert cfg.MODEL.DEVICE == "cuda" and cfg.SEED == -1
    cfg.defrost()
    assert not cfg.MODEL.RPN.is_frozen()
    cfg.MODEL.DEVICE = "cpu"
    assert cfg.MODEL.DEVICE == "cpu"


def test_clone_and_pickle_are_deep_and_keep_frozen_state() -> None:
    cfg = get_cfg()
    cfg.freeze()
    for other in (cfg.clone(), copy.deepcopy(cfg), pickle.loads(pickle.dumps(cfg))):
        assert other == cfg and other.is_frozen() and other.MODEL.is_frozen()
        assert type(other.MODEL) is CfgNode
        other.defrost()
        other.MODEL.WEIGHTS = "x.pth"
        assert cfg.MODEL.WEIGHTS == ""


def test_computed_keys_can_be_set_once() -> None:
    cfg = get_cfg()
    cfg.freeze()
    cfg.COMPUTED_SIZE = 3  # allowed on a frozen config, as in Detectron2
    cfg.COMPUTED_SIZE = 3
    with pytest.raises(KeyError, match="different value"):
        cfg.COMPUTED_SIZE = 4


# ---------------------------------------------------------------- merge_from_list
def test_merge_from_list_parses_python_literals() -> None:
    cfg = get_cfg()
    cfg.merge_from_list([
        "SOLVER.BASE_LR", "0.01",
        "INPUT.MIN_SIZE_TRAIN", "(640, 800)",
        "MODEL.RPN.IN_FEATURES", "['p2', 'p3']",
        "MODEL.RESNETS.NORM", "SyncBN",
        "MODEL.ROI_HEADS.NUM_CLASSES", "3",
        "MODEL.MASK_ON", "True",
        "SOLVER.WEIGHT_DECAY_BIAS", "0.0",
        "DATASETS.TRAIN", "('a', 'b')",
        "OUTPUT_DIR", "/tmp/out dir",
    ])
    assert cfg.SOLVER.BASE_LR == 0.01
    assert cfg.INPUT.MIN_SIZE_TRAIN == (640, 800)
    assert cfg.MODEL.RPN.IN_FEATURES == ["p2", "p3"]
    assert cfg.MODEL.RESNETS.NORM == "SyncBN"
    assert cfg.MODEL.ROI_HEADS.NUM_CLASSES == 3
    assert cfg.MODEL.MASK_ON is True
    assert cfg.SOLVER.WEIGHT_DECAY_BIAS == 0.0  # None default accepts any leaf type
    assert cfg.DATASETS.TRAIN == ("a", "b")
    assert cfg.OUTPUT_DIR == "/tmp/out dir"


def test_merge_from_list_casts_like_yacs() -> None:
    cfg = get_cfg()
    cfg.merge_from_list(
        ["INPUT.MIN_SIZE_TRAIN", "[1, 2]", "MODEL.PIXEL_MEAN", "(1.0, 2.0, 3.0)", "SOLVER.BASE_LR", "1"]
    )
    assert cfg.INPUT.MIN_SIZE_TRAIN == (1, 2)  # list -> tuple: keeps the default's type
    assert cfg.MODEL.PIXEL_MEAN == [1.0, 2.0, 3.0]  # tuple -> list
    assert cfg.SOLVER.BASE_LR == 1.0 and type(cfg.SOLVER.BASE_LR) is float  # int -> float


@pytest.mark.parametrize(
    "key, value, types",
    [
        ("MODEL.ROI_HEADS.NUM_CLASSES", "abc", "int vs. str"),
        ("SOLVER.MAX_ITER", "1.5", "int vs. float"),  # float -> int would lose information
        ("MODEL.MASK_ON", "'yes'", "bool vs. str"),
        ("MODEL.DEVICE", "[1]", "str vs. list"),
    ],
)
def test_merge_from_list_type_mismatch(key: str, value: str, types: str) -> None:
    cfg = get_cfg()
    with pytest.raises(ValueError, match=rf"Type mismatch \({types}\).*config key: {key}"):
        cfg.merge_from_list([key, value])


def test_merge_from_list_unknown_key_lists_close_matches() -> None:
    cfg = get_cfg()
    with pytest.raises(KeyError) as info:
        cfg.merge_from_list(["MODEL.ROI_HEADS.NUM_CLASES", "3"])
    message = str(info.value)
    assert message.startswith("Non-existent config key: MODEL.ROI_HEADS.NUM_CLASES (in command-line overrides).")
    assert "Did you mean: MODEL.ROI_HEADS.NUM_CLASSES" in message
    with pytest.raises(KeyError, match="Non-existent config key: MODELS.DEVICE"):
        cfg.merge_from_list(["MODELS.DEVICE", "cpu"])
    with pytest.raises(KeyError, match="Non-existent config key: SEED.X"):
        cfg.merge_from_list(["SEED.X", "1"])  # walking below a leaf


def test_merge_from_list_needs_pairs() -> None:
    with pytest.raises(ValueError, match="odd length"):
        get_cfg().merge_from_list(["SEED", "1", "OUTPUT_DIR"])


# ---------------------------------------------------------------- merge_from_file
def test_merge_from_file_with_two_level_base_chain(tmp_path: Path) -> None:
    # grand.yaml <- configs/parent.yaml <- configs/exp/child.yaml; _BASE_ is relative to the file that names it.
    _write(tmp_path / "grand.yaml", "MODEL:\n  MASK_ON: true\n  DEVICE: cpu\nSOLVER:\n  BASE_LR: 0.1\n  MAX_ITER: 10\n")
    _write(
        tmp_path / "configs/parent.yaml",
        "_BASE_: ../grand.yaml\nSOLVER:\n  BASE_LR: 0.2\n  STEPS: [5, 8]\nINPUT:\n  MIN_SIZE_TRAIN: [600]\n",
    )
    child = _write(tmp_path / "configs/exp/child.yaml", "_BASE_: ../parent.yaml\nSOLVER:\n  BASE_LR: 0.3\n")
    cfg = get_cfg()
    cfg.merge_from_file(child)
    assert cfg.SOLVER.BASE_LR == 0.3  # child wins over parent and grandparent
    assert cfg.SOLVER.STEPS == (5, 8) and cfg.INPUT.MIN_SIZE_TRAIN == (600,)  # from parent
    assert cfg.SOLVER.MAX_ITER == 10 and cfg.MODEL.MASK_ON is True and cfg.MODEL.DEVICE == "cpu"  # grandparent
    assert cfg.SOLVER.MOMENTUM == 0.9  # untouched default
    assert "_BASE_" not in cfg


def test_base_with_absolute_path_and_missing_base(tmp_path: Path) -> None:
    base = _write(tmp_path / "a/base.yaml", "SEED: 7\n")
    child = _write(tmp_path / "b/child.yaml", f"_BASE_: {base}\nOUTPUT_DIR: out\n")
    cfg = get_cfg()
    cfg.merge_from_file(child)
    assert (cfg.SEED, cfg.OUTPUT_DIR) == (7, "out")
    bad = _write(tmp_path / "bad.yaml", "_BASE_: nope.yaml\n")
    with pytest.raises(FileNotFoundError, match=r"_BASE_ of .*bad.yaml points to .*nope.yaml"):
        get_cfg().merge_from_file(bad)
    with pytest.raises(FileNotFoundError, match="not found"):
        get_cfg().merge_from_file(str(tmp_path / "absent.yaml"))


def test_cyclic_base_is_reported(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "_BASE_: b.yaml\n")
    _write(tmp_path / "b.yaml", "_BASE_: a.yaml\n")
    with pytest.raises(ValueError, match="Cyclic _BASE_"):
        get_cfg().merge_from_file(str(tmp_path / "a.yaml"))


def test_merge_from_file_unknown_key_names_file_and_close_keys(tmp_path: Path) -> None:
    path = _write(tmp_path / "typo.yaml", "MODEL:\n  ROI_HEADS:\n    NUM_CLASS: 3\n")
    with pytest.raises(KeyError) as info:
        get_cfg().merge_from_file(path)
    message = str(info.value)
    assert "Non-existent config key: MODEL.ROI_HEADS.NUM_CLASS" in message
    assert f"(in {path})" in message
    assert "Did you mean: MODEL.ROI_HEADS.NUM_CLASSES" in message


def test_merge_from_file_type_error_names_key_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.yaml", "SOLVER:\n  MAX_ITER: lots\n")
    with pytest.raises(ValueError, match=rf"int vs\. str.*SOLVER\.MAX_ITER \(in {path}\)"):
        get_cfg().merge_from_file(path)


def test_merge_from_file_uses_safe_loader(tmp_path: Path) -> None:
    path = _write(tmp_path / "evil.yaml", "OUTPUT_DIR: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        get_cfg().merge_from_file(path)


def test_string_values_in_yaml_are_decoded_as_literals(tmp_path: Path) -> None:
    # yacs evaluates string values from YAML too: a quoted tuple is a tuple.
    path = _write(
        tmp_path / "s.yaml", "INPUT:\n  MIN_SIZE_TRAIN: '(512, 640)'\n  FORMAT: RGB\nSOLVER:\n  BASE_LR: 1e-3\n"
    )
    cfg = get_cfg()
    cfg.merge_from_file(path)
    assert cfg.INPUT.MIN_SIZE_TRAIN == (512, 640) and cfg.INPUT.FORMAT == "RGB"
    assert cfg.SOLVER.BASE_LR == 0.001  # YAML 1.1 reads "1e-3" as a string; it is a float literal


def test_version_handling(tmp_path: Path) -> None:
    cfg = get_cfg()
    cfg.merge_from_file(_write(tmp_path / "v2.yaml", "VERSION: 2\nSEED: 1\n"))
    cfg.merge_from_file(_write(tmp_path / "none.yaml", "SEED: 2\n"))  # no VERSION: the current one
    assert cfg.SEED == 2
    with pytest.raises(ValueError, match="VERSION: 3.*newer release"):
        get_cfg().merge_from_file(_write(tmp_path / "v3.yaml", "VERSION: 3\nSEED: 1\n"))
    with pytest.raises(ValueError, match="VERSION: two"):
        get_cfg().merge_from_file(_write(tmp_path / "bad.yaml", "VERSION: two\nSEED: 1\n"))


# ---------------------------------------------------------------- new keys, other cfgs
def test_new_allowed_accepts_new_keys_only_where_set(tmp_path: Path) -> None:
    cfg = get_cfg()
    path = _write(tmp_path / "new.yaml", "MODEL:\n  MY_HEAD:\n    DIM: 3\n")
    with pytest.raises(KeyError, match="MODEL.MY_HEAD"):
        cfg.merge_from_file(path)
    cfg.MODEL.set_new_allowed(True)
    assert cfg.MODEL.RPN.is_new_allowed() and not cfg.is_new_allowed()
    cfg.merge_from_file(path)
    assert cfg.MODEL.MY_HEAD.DIM == 3 and isinstance(cfg.MODEL.MY_HEAD, CfgNode)
    with pytest.raises(KeyError, match="NEW_TOP"):
        cfg.merge_from_other_cfg(CfgNode({"NEW_TOP": 1}))
    node = CfgNode({"A": {"B": 1}}, new_allowed=True)
    assert node.A.is_new_allowed()


def test_merge_from_other_cfg() -> None:
    cfg = get_cfg()
    cfg.merge_from_other_cfg(CfgNode({"SOLVER": {"BASE_LR": 0.5, "STEPS": [1, 2]}, "MODEL": {"DEVICE": "cpu"}}))
    assert cfg.SOLVER.BASE_LR == 0.5 and cfg.SOLVER.STEPS == (1, 2) and cfg.MODEL.DEVICE == "cpu"
    with pytest.raises(ValueError, match="Type mismatch"):
        cfg.merge_from_other_cfg(CfgNode({"SOLVER": 1}))
    with pytest.raises(ValueError, match="_BASE_"):
        cfg.merge_from_other_cfg(CfgNode({"_BASE_": "x.yaml"}))


def test_deprecated_and_renamed_keys() -> None:
    cfg = get_cfg()
    cfg.register_deprecated_key("MODEL.OLD_FLAG")
    cfg.register_renamed_key("MODEL.OLD_NAME", "MODEL.META_ARCHITECTURE", "renamed in v2")
    cfg.merge_from_other_cfg(CfgNode({"MODEL": {"OLD_FLAG": True}}))  # silently ignored
    cfg.merge_from_list(["MODEL.OLD_FLAG", "1"])
    assert "OLD_FLAG" not in cfg.MODEL
    with pytest.raises(KeyError, match="MODEL.OLD_NAME was renamed to MODEL.META_ARCHITECTURE.*renamed in v2"):
        cfg.merge_from_list(["MODEL.OLD_NAME", "X"])


# ---------------------------------------------------------------- dump
def test_dump_round_trips_through_merge(tmp_path: Path) -> None:
    cfg = get_cfg()
    cfg.merge_from_list(["INPUT.MIN_SIZE_TRAIN", "(1, 2)", "SOLVER.BASE_LR", "0.25", "MODEL.WEIGHTS", "w.pth"])
    text = cfg.dump()
    assert "&id" not in text and "*id" not in text  # no YAML aliases for shared default objects
    assert "!!python" not in text  # tuples are dumped as lists
    assert yaml.safe_load(text)["INPUT"]["MIN_SIZE_TRAIN"] == [1, 2]
    path = _write(tmp_path / "dumped.yaml", text)
    again = get_cfg()
    again.merge_from_file(path)
    assert again.dump() == text
    assert again.INPUT.MIN_SIZE_TRAIN == (1, 2) and again.SOLVER.BASE_LR == 0.25 and again.MODEL.WEIGHTS == "w.pth"
    # As in yacs, only the outer sequence takes the default's type: nested tuples come back as lists.
    assert again.MODEL.ROI_BOX_CASCADE_HEAD.BBOX_REG_WEIGHTS[0] == [10.0, 10.0, 5.0, 5.0]
    assert CfgNode.load_cfg(text) == yaml.safe_load(text)
    with open(path) as f:
        assert CfgNode.load_cfg(f).SOLVER.BASE_LR == 0.25


def test_str_is_readable_yaml_like() -> None:
    cfg = CfgNode({"B": {"X": 1}, "A": "s"})
    assert str(cfg) == "A: s\nB:\n  X: 1"


def test_set_global_cfg_updates_the_shared_object() -> None:
    cfg = get_cfg()
    cfg.GLOBAL.HACK = 2.0
    holder = global_cfg
    set_global_cfg(cfg)
    try:
        assert holder is global_cfg and global_cfg.GLOBAL.HACK == 2.0
    finally:
        set_global_cfg(CfgNode())
