"""The command line's other dataset formats: Pascal VOC folders, a YOLO data.yaml and VIA json, registered for
the run as NAME_train / NAME_val like the COCO json shortcut, and written to datasets.json so ``--run`` finds them
again."""
from __future__ import annotations

import argparse
import os
from typing import Any, Optional

from detectra.cli._errors import CLIError
from detectra.data.datasets import formats

__all__ = ["format_sources", "register_format_entry"]


def format_sources(args: argparse.Namespace, split: str) -> Optional[dict[str, Any]]:
    """The non-COCO source given for ``split`` ("train" / "val"), as a datasets.json entry, or None."""
    sources = []
    voc = getattr(args, f"{split}_voc", "")
    if voc:
        voc_split = args.voc_split if split == "train" else args.val_voc_split
        sources.append({"format": "voc", "dirname": os.path.abspath(voc), "split": voc_split})
    via = getattr(args, f"{split}_via", "")
    if via:
        images = getattr(args, f"{split}_images", "") or os.path.dirname(os.path.abspath(via))
        sources.append({"format": "via", "json_file": os.path.abspath(via), "image_root": os.path.abspath(images),
                        "default_class": getattr(args, "dataset_name", None) or "object"})  # fmt: skip
    yolo = getattr(args, "yolo_data", "")
    if yolo and (split == "val" or hasattr(args, "train_json")):
        sources.append({"format": "yolo", "data_yaml": os.path.abspath(yolo), "split": split})
    if len(sources) > 1:
        raise CLIError(f"several datasets given for {split} ({', '.join(s['format'] for s in sources)}); pass one.")
    if sources and getattr(args, f"{split}_json", ""):
        raise CLIError(f"--{split}-json and --{split}-{sources[0]['format']} both given; pass one.")
    return sources[0] if sources else None


def register_format_entry(name: str, entry: dict[str, Any]) -> list[str]:
    """Register a datasets.json entry of a non-COCO format under ``name``; returns its class names."""
    kind = entry["format"]
    try:
        if kind == "voc":
            names = formats.voc_class_names(entry["dirname"], entry["split"])
            formats.register_dicts(name, lambda: formats.load_voc_folder(entry["dirname"], entry["split"], names)[0],
                                   names)  # fmt: skip
        elif kind == "yolo":
            if not os.path.isfile(entry["data_yaml"]):
                raise CLIError(f"--yolo-data '{entry['data_yaml']}' does not exist.")
            names = formats.yolo_class_names(entry["data_yaml"])
            formats.register_dicts(name, lambda: formats.load_yolo_dataset(entry["data_yaml"], entry["split"])[0],
                                   names)  # fmt: skip
        elif kind == "via":
            if not os.path.isfile(entry["json_file"]):
                raise CLIError(f"VIA json '{entry['json_file']}' does not exist.")
            dicts, names = formats.load_via_json(entry["json_file"], entry["image_root"],
                                                 default_class=entry["default_class"])  # fmt: skip
            formats.register_dicts(name, lambda: dicts, names)
        else:
            raise CLIError(f"datasets.json: unknown dataset format '{kind}' for '{name}'.")
    except (ValueError, KeyError, FileNotFoundError) as e:
        raise CLIError(str(e.args[0] if isinstance(e, KeyError) and e.args else e)) from None
    return names
