"""``detectra validate-data``: check datasets for missing or broken images and malformed annotations with
`detectra.data.validate`; prints a report and exits with status 1 when it finds problems.

Examples::

    detectra validate-data --json data/train.json --images data/images
    detectra validate-data --config-file shapes/faster_rcnn_R_18_FPN        # DATASETS.TRAIN and TEST
    detectra validate-data --dataset shapes_val
"""
from __future__ import annotations

import argparse
import os

from detectra.cli._common import (
    CLIError,
    count,
    load_config,
)
from detectra.cli.parsers import validate_data_parser as build_parser
from detectra.data import DatasetCatalog, MetadataCatalog
from detectra.data.validate import DatasetProblems, validate_dataset

__all__ = ["build_parser", "checked_line", "run"]


def checked_line(target: str, problems: DatasetProblems, decoded: bool = True, source: str | None = None) -> str:
    """What was checked in ``target`` (a json path, or a registered dataset name with the ``source`` file or folder
    it was read from) and what was found: 'Checked 6 images, 14 annotations in train.json: no problems.', or the
    same followed by the problems' report."""
    where = f"{target} ({source})" if source else target
    if problems and not problems.num_images:  # the file could not be read: nothing was checked
        return f"{where}: {problems.report()}"
    images, annotations = problems.num_images, problems.num_annotations
    checked = count(images, "image") + ("" if decoded else " (headers only: --no-decode)")
    checked += f", {count(annotations, 'annotation')}"
    found = problems.report() if problems else "no problems."
    return f"Checked {checked} in {where}: {found}"


def _source_of(name: str, args: argparse.Namespace) -> str | None:
    """The file or folder a registered dataset is read from: a format flag's json / yaml / VOC folder, or the COCO
    json in its metadata."""
    entry = getattr(args, "_format_entries", {}).get(name, {})
    found = [entry[k] for k in ("json_file", "data_yaml", "dirname") if entry.get(k)]
    if not found and name in DatasetCatalog.list():
        found = [MetadataCatalog.get(name).get("json_file")]
    return found[0] if found else None


def run(args: argparse.Namespace) -> int:
    targets: list[tuple[str, dict]] = []
    if args.json:
        if not args.images:
            raise CLIError("--json needs --images (the folder its file_name entries are relative to).")
        if not os.path.isfile(args.json):
            raise CLIError(f"--json '{args.json}' does not exist.")
        if not os.path.isdir(args.images):
            raise CLIError(f"--images '{args.images}' is not a folder; pass the folder the json's file_name entries "
                           "are relative to.")  # fmt: skip
        targets.append((args.json, {"image_root": args.images}))
    other_formats = args.train_voc or args.val_voc or args.train_via or args.val_via or args.yolo_data
    if args.config_file or args.run or args.train_json or args.val_json or other_formats:
        if not (args.config_file or args.run):
            args.config_file = "shapes/faster_rcnn_R_18_FPN"  # only to hold the shortcut's datasets
            args._shortcut_only = True
        cfg = load_config(args)
        names = list(getattr(args, "_registered", [])) if getattr(args, "_shortcut_only", False) else \
            list(dict.fromkeys(list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST)))
        # a mask model refuses instances without a mask: report them too
        masks = {"require_masks": True} if cfg.MODEL.MASK_ON else {}
        targets += [(n, dict(masks)) for n in names]
    targets += [(n, {}) for n in args.dataset]
    if args.dataset_name and not getattr(args, "_registered", []):
        targets.append((args.dataset_name, {}))
    if not targets:
        raise CLIError("nothing to check: pass --json/--images, --dataset-name NAME, --config-file, --train-json, "
                       "--train-voc, --train-via or --yolo-data.")

    total = 0
    for target, kwargs in targets:
        if not target.endswith(".json") and target not in DatasetCatalog.list():
            raise CLIError(f"dataset '{target}' is not registered.")
        problems = validate_dataset(target, decode=not args.no_decode, **kwargs)
        total += len(problems)
        print(checked_line(target, problems, decoded=not args.no_decode, source=_source_of(target, args)))
    return 1 if total else 0
