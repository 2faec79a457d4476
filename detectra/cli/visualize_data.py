"""``detectra visualize-data``: draw a dataset's ground truth, or what the training loader yields after
augmentation, as images.

Examples::

    detectra visualize-data --config-file shapes/faster_rcnn_R_18_FPN --source annotation -o vis/ --num 8
    detectra visualize-data --config-file shapes/faster_rcnn_R_18_FPN --source dataloader -o vis/
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from detectra.cli._common import (
    CLIError,
    count,
    check_datasets,
    load_config,
    output_dir_or_die,
    setup_quiet_logging,
)
from detectra.cli._keypoints import check_keypoint_data
from detectra.cli._outputs import AnnotatedNames, annotated_name
from detectra.cli.parsers import visualize_data_parser as build_parser
from detectra.data import DatasetCatalog, MetadataCatalog, build_detection_train_loader
from detectra.data import detection_utils as utils
from detectra.utils.visualizer import Visualizer

__all__ = ["build_parser", "run", "written_line"]


def run(args: argparse.Namespace) -> int:
    setup_quiet_logging()
    if not (args.config_file or args.run):
        args.config_file = "shapes/faster_rcnn_R_18_FPN"  # input size / format / augmentations of a sane default
    cfg = load_config(args)
    os.makedirs(output_dir_or_die(args), exist_ok=True)
    names: list[str] = []  # the files written, in the input's format (JPEG in, JPEG out)
    registered = getattr(args, "_registered", [])  # by --train-json / --val-json (or another format's flags)
    if args.source == "annotation":
        # the dataset the command line registered (its train split first), else --dataset-name or the config's
        chosen = registered[0] if registered else args.dataset_name
        name = chosen or (cfg.DATASETS.TRAIN[0] if len(cfg.DATASETS.TRAIN) else "")
        if not name:
            raise CLIError("no dataset: pass --dataset-name NAME, --train-json/--train-images, or a config with one.")
        if name not in DatasetCatalog.list():
            raise CLIError(f"dataset '{name}' is not registered.")
        metadata, unique = MetadataCatalog.get(name), AnnotatedNames()
        for d in DatasetCatalog.get(name)[: args.num]:
            img = utils.read_image(d["file_name"], format="RGB")
            vis = Visualizer(img, metadata).draw_dataset_dict(d)
            names.append(unique(d["file_name"]))
            vis.save(os.path.join(args.output, names[-1]))
    else:
        if registered and not any(n.endswith("_train") for n in registered):
            raise CLIError("--source dataloader draws the training loader's inputs: pass the training data "
                           "(--train-json / --train-images, or --train-voc, --train-via, --yolo-data); for the "
                           "validation data's ground truth use --source annotation.")  # fmt: skip
        check_datasets(cfg, ("TRAIN",))
        check_keypoint_data(cfg, args, evaluates=False)  # the loader's mapper reads the flip pairs
        cfg.defrost()
        cfg.DATALOADER.NUM_WORKERS = 0
        metadata = MetadataCatalog.get(cfg.DATASETS.TRAIN[0])
        for batch in build_detection_train_loader(cfg):
            for d in batch:
                img = utils.convert_image_to_rgb(d["image"].permute(1, 2, 0), cfg.INPUT.FORMAT)
                vis = Visualizer(np.asarray(img), metadata)
                inst = d.get("instances")
                if inst is not None:
                    target_fields = inst.get_fields()
                    classes = metadata.get("thing_classes", None)
                    labels = [classes[i] for i in target_fields["gt_classes"]] if classes else None
                    vis = vis.overlay_instances(
                        labels=labels,
                        boxes=target_fields.get("gt_boxes", None),
                        masks=target_fields.get("gt_masks", None),
                        keypoints=target_fields.get("gt_keypoints", None),
                    )
                else:
                    vis = vis.get_output()
                names.append(f"{len(names):04d}_{annotated_name(d['file_name'])}")
                vis.save(os.path.join(args.output, names[-1]))
                if len(names) >= args.num:
                    break
            if len(names) >= args.num:
                break
    print(written_line(names, args.output))
    return 0


def written_line(names: list[str], folder: str, shown: int = 4) -> str:
    """'3 images written to /abs/folder/: a.jpg, b.jpg, c.jpg' (the first ``shown`` names, then '...')."""
    listed = ", ".join(names[:shown]) + (", ..." if len(names) > shown else "")
    images = count(len(names), "image")
    return f"{images} written to {os.path.abspath(folder)}/" + (f": {listed}" if names else "")
