"""``detectra predict``: run a trained model on images, folders of images, or video files; write annotated
images and the detections as a COCO-format json (``predictions.json``: images, annotations with "score",
categories).

Example::

    detectra predict --run output/shapes datasets/shapes/v1/val/images --output output/shapes/predict
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Iterator

import numpy as np
from tqdm import tqdm

from detectra.cli._classes import prediction_metadata
from detectra.cli._common import (
    CLIError,
    count,
    is_terminal,
    load_config,
    output_dir_or_die,
    setup_quiet_logging,
    split_trailing_overrides,
    weights_or_die,
)
from detectra.cli._outputs import AnnotatedNames, draw_predictions, predictions_to_coco
from detectra.cli._run_dir import load_weights_checked
from detectra.cli._video import AnnotatedVideo, video_frame_rate
from detectra.cli.export import exported_predictor
from detectra.cli.parsers import predict_parser as build_parser
from detectra.data.detection_utils import read_image
from detectra.engine.predictor import IMAGE_EXTENSIONS, BatchPredictor
from detectra.tracking import TRACKER_HEADS_REGISTRY

__all__ = ["PROG", "VIDEO_EXTENSIONS", "build_parser", "detections_line", "read_video_frames", "run"]

PROG = "detectra predict"
_READ_CHUNK = 32  # images decoded ahead of the model (memory: 32 decoded images)
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


def _collect(inputs: list[str]) -> tuple[list[str], list[str]]:
    """(image files, video files) of the inputs; a folder contributes its images, sorted by name."""
    images, videos = [], []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted(os.path.join(item, f) for f in os.listdir(item) if f.lower().endswith(IMAGE_EXTENSIONS))
            if not found:
                raise CLIError(f"folder '{item}' has no images ({', '.join(IMAGE_EXTENSIONS)}).")
            images += found
        elif not os.path.isfile(item):
            raise CLIError(f"input '{item}' does not exist.")
        elif item.lower().endswith(VIDEO_EXTENSIONS):
            videos.append(item)
        elif item.lower().endswith(IMAGE_EXTENSIONS):
            images.append(item)
        else:
            raise CLIError(f"input '{item}' is neither an image ({', '.join(IMAGE_EXTENSIONS)}) nor a video "
                           f"({', '.join(VIDEO_EXTENSIONS)}).")  # fmt: skip
    return images, videos


def read_video_frames(path: str, stride: int = 1, max_frames: int = 0) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index, RGB HxWx3 uint8) of a video, decoded with torchcodec or PyAV, whichever is installed.

    Raises:
        CLIError: when no video decoder is installed (torchvision no longer decodes video).
    """
    stride = max(stride, 1)
    try:
        from torchcodec.decoders import VideoDecoder  # type: ignore[import-not-found]
    except ImportError:
        VideoDecoder = None
    if VideoDecoder is not None:
        decoder = VideoDecoder(path)
        indices = range(0, len(decoder), stride)
        for n, i in enumerate(indices):
            if max_frames and n >= max_frames:
                return
            yield i, decoder[i].permute(1, 2, 0).numpy()
        return
    try:
        import av  # type: ignore[import-not-found]
    except ImportError:
        raise CLIError(
            f"cannot read video '{path}': no video decoder is installed (torchvision no longer decodes video). "
            "Install one with 'pip install av' (or torchcodec), or extract the frames to images first."
        ) from None
    n = 0
    with av.open(path) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % stride:
                continue
            if max_frames and n >= max_frames:
                return
            n += 1
            yield i, frame.to_ndarray(format="rgb24")


def run(args: argparse.Namespace) -> int:
    setup_quiet_logging(args.verbose)
    args.inputs, overrides = split_trailing_overrides(args.inputs)
    args.opts = list(args.opts or []) + overrides
    if not args.inputs:
        raise CLIError("no input: pass image files, folders of images or videos before the KEY VALUE overrides.")
    output_dir_or_die(args)
    if args.video_stride < 1 or args.max_frames < 0:
        raise CLIError(f"--video-stride must be >= 1 and --max-frames >= 0 (0: no limit); got {args.video_stride} "
                       f"and {args.max_frames}.")  # fmt: skip
    images, videos = _collect(args.inputs)
    tracker_cls = _tracker_class(args.track) if args.track else None
    if args.batch_size < 1:
        raise CLIError("--batch-size must be >= 1.")
    if args.model:  # an exported model carries its input format, resize rule and classes: no config

        predictor, metadata = exported_predictor(args.model, args.batch_size, is_terminal())
    else:
        cfg = load_config(args)
        weights_or_die(cfg)
        if args.precision:
            cfg.TEST.PRECISION = args.precision
        no_weights = cfg.clone()
        no_weights.MODEL.WEIGHTS = ""  # loaded below, refusing weights trained with another config
        predictor = BatchPredictor(no_weights, batch_size=args.batch_size, num_workers=0, show_progress=is_terminal())
        load_weights_checked(predictor.model, cfg.MODEL.WEIGHTS, args._config_path)
        metadata = prediction_metadata(cfg, getattr(args, "run", ""))
    os.makedirs(args.output, exist_ok=True)
    records: list[tuple[dict, dict]] = []
    names = AnnotatedNames()  # two inputs with one file name (from different folders) get two files
    unreadable: list[str] = []
    show_progress = getattr(predictor, "show_progress", False)
    if show_progress:
        predictor.show_progress = False  # one bar over all the images below, not one per chunk
    with tqdm(total=len(images), desc="predict", unit="img", disable=not (show_progress and images)) as bar:
        for start in range(0, len(images), _READ_CHUNK):
            # Read here, once, so that a broken image is reported and skipped instead of stopping the others.
            paths, rgb = [], []
            for path in images[start : start + _READ_CHUNK]:
                try:
                    rgb.append(read_image(path, format="RGB"))
                    paths.append(path)
                except OSError as e:
                    unreadable.append(str(e).split(". ")[0])
            bgr_images = [np.ascontiguousarray(x[:, :, ::-1]) for x in rgb]
            for (_, outputs), path, image in zip(predictor(bgr_images), paths, rgb):
                info = {"id": len(records) + 1, "file_name": os.path.abspath(path), "height": image.shape[0],
                        "width": image.shape[1]}  # fmt: skip
                records.append((info, outputs))
                if not args.no_images:
                    draw_predictions(image, outputs, metadata, os.path.join(args.output, names(path)), args.threshold)
            bar.update(len(images[start : start + _READ_CHUNK]))
    if show_progress:
        predictor.show_progress = True
    annotated_videos: list[str] = []
    for video in videos:
        stem = names.stem(video)
        frames = list(read_video_frames(video, args.video_stride, args.max_frames))
        bgr = [np.ascontiguousarray(f[:, :, ::-1]) for _, f in frames]
        height, width = frames[0][1].shape[:2] if frames else (0, 0)
        tracker = tracker_cls(video_height=height, video_width=width) if tracker_cls else None  # one per video
        writer = None if args.no_images else AnnotatedVideo(os.path.join(args.output, stem),
                                                            video_frame_rate(video) / args.video_stride)  # fmt: skip
        for (k, outputs), (index, frame) in zip(predictor(bgr), frames):
            if tracker is not None and "instances" in outputs:
                instances = outputs["instances"].to("cpu")
                outputs = {**outputs, "instances": tracker.update(instances[instances.scores >= args.threshold])}
            info = {"id": len(records) + 1, "file_name": f"{os.path.abspath(video)}#frame={index}",
                    "height": frame.shape[0], "width": frame.shape[1], "frame": index}  # fmt: skip
            records.append((info, outputs))
            if writer is not None:
                writer.write(index, draw_predictions(frame, outputs, metadata, None, args.threshold))
        if writer is not None:
            writer.close()
            annotated_videos.append(writer.location)
    coco = predictions_to_coco(records, metadata)
    json_path = os.path.join(args.output, "predictions.json")
    with open(json_path, "w") as f:
        json.dump(coco, f)
    print(detections_line(coco, None if args.no_images else args.threshold))
    if not args.no_images:
        print(f"Annotated images: {os.path.abspath(args.output)}/")
    for location in annotated_videos:
        print(f"Annotated video: {os.path.abspath(location)}")
    print(f"COCO-format predictions: {os.path.abspath(json_path)}")
    if unreadable:
        for message in unreadable:
            print(f"{PROG}: error: {message}", file=sys.stderr)
        print(f"{PROG}: error: {len(unreadable)} of {len(images)} images could not be read (listed above); the "
              "others were predicted. Re-export or remove the broken files.", file=sys.stderr)  # fmt: skip
        return 1
    return 0


def detections_line(coco: dict, threshold: float | None) -> str:
    """How many images and detections predictions.json holds (every detection the model keeps) and, when
    ``threshold`` is given, how many of them the annotated images show (score >= threshold)."""
    scores = [a["score"] for a in coco["annotations"]]
    images, detections = len(coco["images"]), len(scores)
    line = f"{count(images, 'image')}, {count(detections, 'detection')} in predictions.json"
    if threshold is None:
        return line + "."
    drawn = sum(score >= threshold for score in scores)
    return line + f"; {drawn} of them drawn (score >= {threshold:g}, --threshold)."


def _tracker_class(name: str) -> type:
    """The tracker class registered as ``name`` (checked before any frame is read)."""
    try:
        return TRACKER_HEADS_REGISTRY.get(name)
    except KeyError as e:
        raise CLIError(f"--track: {e.args[0]}") from e
