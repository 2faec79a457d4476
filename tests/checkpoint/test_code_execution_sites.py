"""Every place in the package that could run code from data (unpickling, eval / exec, dynamic imports, YAML
object tags) is listed here with the reason it is safe. A new one fails this test until it is reviewed."""
import ast
from pathlib import Path

import detectra

PACKAGE = Path(detectra.__file__).resolve().parent

# (file relative to detectra/, enclosing function, call) -> why it cannot run code from a file a user was given.
REVIEWED = {
    ("checkpoint/safe_io.py", "load_torch_file", "torch.load"):
        "weights_only=True: tensors and plain containers only",
    ("checkpoint/safe_io.py", "RestrictedUnpickler", "pickle.Unpickler"):
        "the restricted unpickler itself: find_class allows numpy arrays and containers only",
    ("data/common.py", "NumpySerializedList.__getitem__", "pickle.loads"):
        "reads back records this process serialized itself into an in-memory buffer",
    ("data/resumable.py", "_WorkerItem.__reduce__", "pickle.loads"):
        "a sample a loader worker of this run pickled for the main process; never a file",
    ("utils/serialize.py", "PicklableWrapper.__reduce__", "pickle.loads"):
        "names pickle.loads as the reconstructor of the wrapper's own bytes; it runs only inside an unpickling "
        "that the caller started (a pickle is code already), so it adds no new way in",
    ("config/lazy.py", "_exec_config_file", "compile"):
        "a LazyConfig .py file is Python by design (as in Detectron2); YAML configs are never executed",
    ("config/lazy.py", "_exec_config_file", "exec"):
        "a LazyConfig .py file is Python by design (as in Detectron2); YAML configs are never executed",
    ("config/lazy.py", "_patch_import", "builtins.__import__"):
        "lets .py LazyConfig files import other config files relatively, only while one is executed",
    ("utils/plots.py", "pr_curves", "np.load"):
        "np.load's allow_pickle is False by default: arrays only",
    ("cli/_classes.py", "_checkpoint_classes", "torch.load"):
        "weights_only=True (memory-mapped, to read only the 'classes' entry): tensors and plain containers only",
}

# Calls that execute code or unpickle: bare names, and attribute calls on these modules.
_NAMES = {"eval", "exec", "compile", "__import__"}
_ATTRS = {
    "pickle": {"load", "loads", "Unpickler"},
    "torch": {"load"},
    "yaml": {"load", "unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all", "UnsafeLoader",
             "FullLoader", "Loader"},
    "np": {"load"},
    "numpy": {"load"},
    "marshal": {"load", "loads"},
    "dill": {"load", "loads"},
    "builtins": {"__import__", "eval", "exec"},
}


def _sites(path: Path):
    """(enclosing qualname, call) for every risky name used in ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    found = []

    def visit(node, scope):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = scope + [node.name]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr in _ATTRS.get(node.value.id, ()):
                found.append((".".join(scope), f"{node.value.id}.{node.attr}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _NAMES:
            found.append((".".join(scope), node.func.id))
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(tree, [])
    return found


def test_every_code_running_call_is_reviewed():
    seen = set()
    unreviewed = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for scope, call in _sites(path):
            key = (rel, scope, call)
            seen.add(key)
            if key not in REVIEWED:
                unreviewed.append(f"{rel}: {call} in {scope or '<module>'}")
    assert not unreviewed, (
        "New calls that can run code from data; use detectra.checkpoint.safe_io (load_pickle_file, load_torch_file) "
        "or yaml.safe_load, or review the call and add it to REVIEWED with the reason it is safe:\n"
        + "\n".join(unreviewed)
    )
    stale = sorted(set(REVIEWED) - seen)
    assert not stale, f"REVIEWED lists calls that no longer exist; remove them: {stale}"


def test_the_scanner_finds_what_it_should(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import pickle, yaml, torch\n"
        "def f(p):\n"
        "    x = pickle.load(open(p, 'rb'))\n"
        "    y = yaml.load(open(p), Loader=yaml.Loader)\n"
        "    model.eval()\n"  # a module's eval() is not the builtin
        "    return eval(p), torch.load(p)\n"
    )
    assert sorted(_sites(sample)) == [("f", "eval"), ("f", "pickle.load"), ("f", "torch.load"), ("f", "yaml.Loader"),
                                      ("f", "yaml.load")]  # fmt: skip
