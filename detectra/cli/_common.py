"""What the sub-commands share: the argument parser, config loading (file or model-zoo name), the COCO-json
dataset shortcut, checks that name the user's mistake, and logging / terminal helpers."""
from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import re
import sys
from typing import Any, Optional, Sequence

import torch
import yaml

from detectra.checkpoint.safe_io import atomic_write
from detectra.checkpoint.torchvision_loading import apply_torchvision_preprocessing
from detectra.cli._errors import CLIError, describe_error
from detectra.cli._formats import format_sources, register_format_entry
from detectra.cli._keypoints import KEYPOINT_FIELDS, check_keypoint_data, keypoint_fields, set_keypoint_metadata
from detectra.cli._num_classes import config_num_classes, lazy_num_classes_key, set_num_classes
from detectra.config import LazyConfig, get_cfg
from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data.datasets import register_coco_instances
from detectra.model_zoo import get_config_file, list_configs
from detectra.modeling import META_ARCH_REGISTRY
from detectra.utils.device import resolve_device
from detectra.utils.logger import setup_logger

__all__ = [
    "CLIError",
    "check_datasets",
    "check_training_classes",
    "count",
    "describe_error",
    "is_lazy_config_file",
    "load_config",
    "register_shortcut_datasets",
    "resolve_config_file",
    "setup_quiet_logging",
]

logger = logging.getLogger("detectra.cli")

# The datasets a run registered from the command line; `--run DIR` registers them again from this file.
DATASETS_FILE = "datasets.json"


# A config key of a KEY VALUE override: upper-case dotted words (MODEL.ROI_HEADS.NUM_CLASSES).
_CONFIG_KEY = re.compile(r"^[A-Z][A-Z0-9_]*(\.[A-Za-z0-9_]+)+$")


def output_dir_or_die(args: argparse.Namespace) -> str:
    if not args.output:
        raise CLIError("no output folder: pass --output-dir DIR (or -o DIR).")
    return args.output


def split_trailing_overrides(words: list[str]) -> tuple[list[str], list[str]]:
    """(positional arguments, KEY VALUE overrides): the overrides start at the first word that looks like a config
    key (``MODEL.WEIGHTS``, ``SOLVER.BASE_LR``) and is not an existing path."""
    for i, w in enumerate(words):
        if _CONFIG_KEY.match(w) and not os.path.exists(w):
            return words[:i], words[i:]
    return words, []


def setup_quiet_logging(verbose: bool = False) -> None:
    """Warnings only (or INFO with ``verbose``), for the commands that print their own results."""
    setup_logger(name="detectra")
    logging.getLogger("detectra").setLevel(logging.INFO if verbose else logging.WARNING)


def is_terminal() -> bool:
    return sys.stderr.isatty()


# ------------------------------------------------------------------------------------------ config
def _zoo_names() -> list[str]:
    return [os.path.splitext(n)[0] for n in list_configs()]


def resolve_config_file(name: str) -> str:
    """A config path, or a model-zoo name with or without its extension -> a file that exists."""
    if not name:
        raise CLIError("no config given: pass --config-file (a YAML/.py file or a model-zoo name such as "
                       "shapes/faster_rcnn_R_18_FPN) or --run OUTPUT_DIR")  # fmt: skip
    if os.path.isfile(name):
        return name

    for candidate in (name, name + ".yaml", name + ".py"):
        try:
            return get_config_file(candidate)
        except RuntimeError:
            continue
    close = difflib.get_close_matches(os.path.splitext(name)[0], _zoo_names(), n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else " List them with: python -c 'from detectra import " \
        "model_zoo; print(model_zoo.list_configs())'"
    raise CLIError(f"config '{name}' is neither a file nor a model-zoo config.{hint}")


def _run_dir_files(run: str) -> tuple[str, str]:
    """(config.yaml, weights) of a training output folder."""
    if not os.path.isdir(run):
        raise CLIError(f"--run '{run}' is not a folder; pass the OUTPUT_DIR of a 'detectra train' run.")
    config = os.path.join(run, "config.yaml")
    if not os.path.isfile(config):
        raise CLIError(f"--run '{run}' has no config.yaml; pass the OUTPUT_DIR of a 'detectra train' run.")
    weights = os.path.join(run, "model_final.pth")
    if not os.path.isfile(weights):
        last = os.path.join(run, "last_checkpoint")
        if os.path.isfile(last):
            with open(last) as f:
                weights = os.path.join(run, f.read().strip())
    if not os.path.isfile(weights):
        raise CLIError(f"--run '{run}' has no model_final.pth (did the training finish?).")
    return config, weights


def is_lazy_config_file(path: str) -> bool:
    """A LazyConfig: a ``.py`` file, or a YAML file that ``LazyConfig.save`` wrote (the ``config.yaml`` of a ``.py``
    run: lower-case top-level nodes such as ``model`` / ``train``, where a yacs config has ``MODEL`` / ``SOLVER``)."""
    if path.endswith(".py"):
        return True
    try:
        with open(path) as f:
            root = yaml.compose(f)  # the node tree only: the Python tags of a saved LazyConfig are not run
    except (OSError, yaml.YAMLError):
        return False  # merge_from_file reports what is wrong with the file
    if not isinstance(root, yaml.MappingNode):
        return False
    return any(key.value in ("model", "train", "dataloader") for key, _ in root.value)


def _lazy_run_refused(run: str, config_file: str, weights: str) -> CLIError:
    start = (f"--run '{run}' is the folder of a LazyConfig (.py) run: its config.yaml is a LazyConfig, and this "
             f"command reads YAML configs only. Evaluate it with 'detectra eval --run {run}'")  # fmt: skip
    arch = _lazy_model_name(config_file)
    if arch and arch not in META_ARCH_REGISTRY:  # e.g. FCOS: no MODEL.META_ARCHITECTURE builds it
        return CLIError(f"{start}; its model ({arch}) has no YAML config, so run it from Python: "
                        f"model = instantiate(LazyConfig.load('{config_file}').model), then "
                        f"DetectionCheckpointer(model).load('{weights}').")  # fmt: skip
    return CLIError(f"{start}, or pass --config-file with a YAML config of the same model and MODEL.WEIGHTS "
                    f"{weights}.")  # fmt: skip


def _lazy_model_name(config_file: str) -> str:
    """The class name of a saved LazyConfig's ``model._target_`` (``FCOS``), or "" where it names none."""
    try:
        target = LazyConfig.load(config_file).model._target_
    except Exception:  # noqa: BLE001 - an unreadable config: the message without the model's name
        return ""
    name = target if isinstance(target, str) else getattr(target, "__name__", "")
    return name.rsplit(".", 1)[-1]


def load_config(args: argparse.Namespace, *, allow_lazy: bool = False) -> Any:
    """The config of ``args``: --run / --config-file, the dataset shortcut, then the KEY VALUE overrides.

    Returns:
        A ``CfgNode`` (not frozen), or an OmegaConf LazyConfig for a ``.py`` file when ``allow_lazy``.
    """
    opts = list(getattr(args, "opts", None) or [])
    if opts and opts[0] == "--":
        opts = opts[1:]
    lazy_style = bool(opts) and all("=" in o for o in opts)  # LazyConfig overrides: key=value words
    if len(opts) % 2 and not lazy_style:
        raise CLIError(f"config overrides must be KEY VALUE pairs; got an odd number of words: {' '.join(opts)}")
    weights = None
    if getattr(args, "run", ""):
        config_file, weights = _run_dir_files(args.run)
        register_saved_datasets(args.run)
    else:
        config_file = resolve_config_file(args.config_file)
    args._config_path = config_file
    if is_lazy_config_file(config_file):
        if not allow_lazy:
            if weights is not None:
                raise _lazy_run_refused(args.run, config_file, weights)
            raise CLIError(f"'{config_file}' is a LazyConfig; this command takes YAML configs only.")

        cfg = LazyConfig.load(config_file)
        _refuse_shortcut_for_lazy(args, config_file, cfg)
        if weights is not None:  # --run: the run's own weights, unless an override names others
            cfg.train.init_checkpoint = weights
        overrides = opts if lazy_style else [f"{k}={v}" for k, v in zip(opts[::2], opts[1::2])]
        cfg = LazyConfig.apply_overrides(cfg, overrides)
        return cfg

    cfg = get_cfg()
    cfg.merge_from_file(config_file)
    if weights is not None:
        cfg.MODEL.WEIGHTS = weights
    register_shortcut_datasets(cfg, args)
    cfg.merge_from_list(opts)
    _fix_device(cfg)
    if str(cfg.MODEL.WEIGHTS).startswith("torchvision://"):
        changed = apply_torchvision_preprocessing(cfg, keep=opts[::2])
        if changed:
            logger.warning(f"MODEL.WEIGHTS {cfg.MODEL.WEIGHTS}: set {', '.join(changed)} to what torchvision's "
                           "ImageNet weights expect (RGB input, torchvision's mean / std).")  # fmt: skip
    return cfg


def _refuse_shortcut_for_lazy(args: argparse.Namespace, config_file: str, cfg: Any) -> None:
    """The dataset flags fill a yacs config's DATASETS and NUM_CLASSES: refuse them with a LazyConfig, whose loaders
    would otherwise read the config's own datasets (a missing COCO) while the user's data is silently ignored."""
    given = [f"--{split}-{kind}" for split in ("train", "val") for kind in ("json", "voc", "via")
             if getattr(args, f"{split}_{kind}", "")]  # fmt: skip
    if getattr(args, "yolo_data", ""):
        given.append("--yolo-data")
    if given:
        verb = "fill" if len(given) > 1 else "fills"
        raise CLIError(f"{', '.join(given)} {verb} a YAML config's DATASETS and NUM_CLASSES; '{config_file}' is a "
                       "LazyConfig (.py). Register the data in Python (register_coco_instances) and set "
                       f"dataloader.train.dataset.names=NAME dataloader.test.dataset.names=NAME "
                       f"dataloader.evaluator.dataset_name=NAME {lazy_num_classes_key(cfg)}=N (after "
                       "--config-file), or train a YAML config (.yaml), which takes these flags.")  # fmt: skip


def _fix_device(cfg: Any) -> None:
    """Model-zoo configs say MODEL.DEVICE "cuda"; run them on the CPU where there is no GPU. "auto" becomes the
    device it picks (cuda, then mps, then cpu), so everything downstream sees a real device name."""
    if str(cfg.MODEL.DEVICE).startswith("cuda") and not torch.cuda.is_available():
        logger.warning(f"MODEL.DEVICE is '{cfg.MODEL.DEVICE}' but CUDA is not available: using the CPU.")
        cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.DEVICE = str(resolve_device(cfg.MODEL.DEVICE))


# ------------------------------------------------------------------------------------------ datasets
def _num_categories(json_file: str) -> list[dict]:
    try:
        with open(json_file) as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise CLIError(f"'{json_file}' is not valid json ({e}): the file is cut short or is not JSON; export or "
                       "download it again.") from None
    cats = data.get("categories") if isinstance(data, dict) else None
    if not cats:
        raise CLIError(f"'{json_file}' has no 'categories' list; it is not a COCO instances json.")
    return cats


def _run_class_names(run: str) -> Optional[list]:
    """The class names a ``--run`` folder was trained on (its classes.json), or None when it has none."""
    if not run:
        return None
    try:
        with open(os.path.join(run, "classes.json")) as f:
            return list(json.load(f)["thing_classes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def register_shortcut_datasets(cfg: Any, args: argparse.Namespace) -> list[str]:
    """Register --train-json/--train-images and --val-json/--val-images (or a VOC folder, YOLO data.yaml or VIA
    json) as NAME_train / NAME_val, point DATASETS.TRAIN / TEST at them and set the number of classes."""
    prefix = getattr(args, "dataset_name", None) or "custom"
    registered, num_classes, train_names = [], None, None
    args._format_entries = {}
    for split, key in (("train", "TRAIN"), ("val", "TEST")):
        json_file = getattr(args, f"{split}_json", "")
        image_root = getattr(args, f"{split}_images", "")
        source = format_sources(args, split)
        if source is not None:
            name = f"{prefix}_{split}"
            _unregister(name)
            names = register_format_entry(name, source)
            if num_classes is not None and len(names) != num_classes:
                raise CLIError(f"the train and val datasets have different classes ({num_classes} vs {len(names)}).")
            num_classes = len(names)
            args._format_entries[name] = source
            cfg.DATASETS[key] = (name,)
            registered.append(name)
            continue
        if not json_file and not image_root:
            continue
        if not (json_file and image_root):
            raise CLIError(f"--{split}-json and --{split}-images go together; pass both.")
        if not os.path.isfile(json_file):
            raise CLIError(f"--{split}-json '{json_file}' does not exist.")
        if not os.path.isdir(image_root):
            raise CLIError(f"--{split}-images '{image_root}' is not a folder.")
        cats = _num_categories(json_file)
        names = [c.get("name") for c in sorted(cats, key=lambda c: c.get("id", 0))]
        if num_classes is not None and len(cats) != num_classes:
            raise CLIError(f"the train and val datasets have different classes: {num_classes} in the training data, "
                           f"{len(cats)} in --val-json '{json_file}'. Use jsons with the same 'categories'.")
        if train_names is not None and names != train_names:
            # the evaluation maps the val json's ids onto the model's classes by rank: they must be the same list
            raise CLIError(f"the train and val jsons have different categories: {train_names[:8]} in --train-json, "
                           f"{names[:8]} in --val-json '{json_file}' (by id). Use jsons with the same 'categories'.")
        run_names = _run_class_names(getattr(args, "run", ""))
        if run_names is not None and names != run_names:
            raise CLIError(f"--{split}-json '{json_file}' has the categories {names[:8]}, but the run '{args.run}' was "
                           f"trained on {run_names[:8]} (its classes.json): evaluate it on a json with the same "
                           "categories.")  # fmt: skip
        num_classes, train_names = len(cats), names
        name = f"{prefix}_{split}"
        _unregister(name)
        register_coco_instances(name, {}, os.path.abspath(json_file), os.path.abspath(image_root))
        num_keypoints = set_keypoint_metadata(name, cats)
        if num_keypoints:
            cfg.MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS = num_keypoints
        cfg.DATASETS[key] = (name,)
        registered.append(name)
    args._config_num_classes = config_num_classes(cfg)  # what the config's own datasets have
    if num_classes is not None:
        set_num_classes(cfg, num_classes)
        if any(n.endswith("_train") for n in registered) and not any(n.endswith("_val") for n in registered):
            cfg.DATASETS.TEST = ()  # the config's own test set has other classes
    args._registered = registered
    return registered


def _unregister(name: str) -> None:
    if name in DatasetCatalog.list():
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)


def save_registered_datasets(args: argparse.Namespace, output_dir: str, also: Sequence[str] = ()) -> None:
    """Write the shortcut's datasets, and those of ``also`` registered from a COCO json (a LazyConfig's loaders'),
    to OUTPUT_DIR/datasets.json, so that `--run OUTPUT_DIR` registers them again in a new process."""
    formats = getattr(args, "_format_entries", {})
    entries = {}
    for name in dict.fromkeys([*getattr(args, "_registered", []), *also]):
        meta = MetadataCatalog.get(name)
        if name in formats:
            entries[name] = formats[name]
        elif meta.get("json_file") and meta.get("image_root"):
            entries[name] = {"json_file": meta.json_file, "image_root": meta.image_root, **keypoint_fields(name)}
    if entries:
        atomic_write(os.path.join(output_dir, DATASETS_FILE),
                     lambda f: f.write(json.dumps(entries, indent=2).encode()))  # fmt: skip


def register_saved_datasets(run_dir: str) -> None:
    """Register again the datasets a `detectra train` run registered from its command line."""
    path = os.path.join(run_dir, DATASETS_FILE)
    if not os.path.isfile(path):
        return

    with open(path) as f:
        entries = json.load(f)

    for name, entry in entries.items():
        if name in DatasetCatalog.list():
            continue
        if "format" in entry:
            register_format_entry(name, entry)
        else:
            keypoints = {key: entry[key] for key in KEYPOINT_FIELDS if key in entry}
            register_coco_instances(name, keypoints, entry["json_file"], entry["image_root"])


def check_datasets(cfg: Any, keys: tuple[str, ...] = ("TRAIN", "TEST")) -> None:
    """Every dataset the config names must be registered; say which one is not and what to do."""
    known = DatasetCatalog.list()
    for key in keys:
        for name in cfg.DATASETS[key]:
            if name in known:
                continue
            close = difflib.get_close_matches(name, known, n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise CLIError(
                f"dataset '{name}' (DATASETS.{key}) is not registered.{hint} Register it in Python with "
                "detectra.data.datasets.register_coco_instances, or pass --train-json/--train-images "
                "(--val-json/--val-images)."
            )


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number that fits: ``count(1, "image")`` is "1 image", ``count(0, "image")``
    "0 images"; ``plural`` where adding an "s" is wrong (``count(2, "class", "classes")``)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def check_training_classes(cfg: Any, args: argparse.Namespace) -> None:
    """Training with only the val data given on the command line (--val-json, --val-voc, --val-via) runs on the
    config's DATASETS.TRAIN with the val data's number of classes: refuse that where the config was made for
    another number of classes (its datasets' labels would fail deep in the loss with an IndexError)."""
    registered = getattr(args, "_registered", [])
    if not registered or any(name.endswith("_train") for name in registered) or not len(cfg.DATASETS.TRAIN):
        return
    num_classes, config_classes = config_num_classes(cfg), getattr(args, "_config_num_classes", None)
    if config_classes is not None and config_classes != num_classes:
        raise CLIError(f"only validation data was given ({', '.join(registered)}, {count(num_classes, 'class', 'classes')}), so "
                       f"training would run on the config's DATASETS.TRAIN {tuple(cfg.DATASETS.TRAIN)} (made for "
                       f"{count(config_classes, 'class', 'classes')}). Pass the training data too (--train-json / --train-images, "
                       "--train-voc or --train-via), or evaluate trained weights with 'detectra eval'.")  # fmt: skip


def check_training_data(cfg: Any, args: argparse.Namespace) -> None:
    """What the model trains on is in the data given on the command line: keypoints for a keypoint R-CNN, and no
    COCO / VOC / YOLO / VIA data (boxes and instance masks) for a model that learns per-pixel classes."""
    check_keypoint_data(cfg, args)
    arch = str(cfg.MODEL.META_ARCHITECTURE)
    trained = [n for n in getattr(args, "_registered", []) if n in cfg.DATASETS.TRAIN]
    if trained and arch in ("SemanticSegmentor", "PanopticFPN"):
        raise CLIError(f"{arch} trains on per-pixel ground truth (semantic label images, sem_seg_file_name), which "
                       f"the dataset flags do not give ('{trained[0]}' has boxes, and instance masks, only). Train a "
                       "detection or instance segmentation config on it (e.g. "
                       "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_1x), or register a dataset with sem_seg_file_name "
                       "in Python (e.g. register_coco_panoptic_separated) and name it in DATASETS.TRAIN.")  # fmt: skip


def weights_or_die(cfg: Any) -> None:
    """Commands that run a trained model need weights."""
    w = cfg.MODEL.WEIGHTS
    if not w:
        raise CLIError("no weights: pass --run OUTPUT_DIR, or MODEL.WEIGHTS path/to/model_final.pth")
    if "://" not in w and os.path.isdir(w):
        raise CLIError(
            f"MODEL.WEIGHTS '{w}' is a folder: pass --run {w} to use its model_final.pth, or name the .pth file."
        )
    if "://" not in w and not os.path.isfile(w):
        raise CLIError(f"MODEL.WEIGHTS '{w}' does not exist.")


def print_kv(title: str, items: list[tuple[str, str]], stream: Optional[Any] = None) -> None:
    """An aligned list: ``title`` then one ``name  description`` line per item."""
    stream = stream or sys.stdout
    width = max((len(k) for k, _ in items), default=0)
    print(title, file=stream)
    for k, v in items:
        print(f"  {k:<{width}}  {v}", file=stream)
