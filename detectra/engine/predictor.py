"""Run a trained model on raw images: one at a time (`DefaultPredictor`) or in batches (`BatchPredictor`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import torch
from omegaconf import DictConfig
from torch.utils.data import DataLoader, Dataset

from detectra.checkpoint import DetectionCheckpointer
from detectra.data import MetadataCatalog
from detectra.data import transforms as T
from detectra.data.detection_utils import read_image
from detectra.modeling import build_model
from detectra.structures import ImageList
from detectra.utils.device import resolve_device
from detectra.utils.precision import inference_autocast, outputs_to_float32, precision_dtype

__all__ = ["DefaultPredictor", "BatchPredictor", "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def _check_format(input_format: str) -> str:
    if input_format not in ("RGB", "BGR"):
        raise ValueError(f"cfg.INPUT.FORMAT is '{input_format}'; the predictors support 'BGR' and 'RGB'.")
    return input_format


def _check_image(image: Any) -> None:
    """Refuse, with the fix, an image the model cannot take: it needs (H, W, 3) BGR pixels."""
    expected = "Predictors take an (H, W, 3) BGR numpy image (as read by OpenCV)"
    if not isinstance(image, np.ndarray):
        fix = " (a torch tensor: image.numpy())" if isinstance(image, torch.Tensor) else ""
        raise TypeError(f"{expected}; got a {type(image).__module__}.{type(image).__qualname__}{fix}.")
    shape = tuple(image.shape)
    fix = ""
    if image.ndim == 2 or (image.ndim == 3 and shape[2] == 1):
        fix = " A grayscale image: repeat it, np.repeat(image.reshape(*image.shape[:2], 1), 3, axis=2)."
    elif image.ndim == 3 and shape[2] == 4:
        fix = " An image with alpha: drop it, image[:, :, :3]."
    elif image.ndim == 3 and shape[0] in (1, 3) and shape[2] != 3:
        fix = " A channels-first (C, H, W) array: image.transpose(1, 2, 0)."
    if image.ndim != 3 or shape[2] != 3:
        raise ValueError(f"{expected}; got shape {shape}.{fix}")
    if image.size == 0:
        raise ValueError(f"{expected}; got an empty image, shape {shape}.")


class _ModelRunner:
    """What both predictors share: model built from cfg, weights loaded, test-time resize."""

    def __init__(self, cfg: Any):
        if isinstance(cfg, DictConfig):  # a LazyConfig would fail on its first missing key
            raise TypeError(
                f"{type(self).__name__} takes a yacs CfgNode (get_cfg(), a .yaml config), not a LazyConfig."
                " For a LazyConfig (.py): model = instantiate(cfg.model); DetectionCheckpointer(model).load(path); "
                "model.eval(); then call model([{'image': chw_tensor, 'height': h, 'width': w}])."
            )
        self.input_format = _check_format(cfg.INPUT.FORMAT)
        self.cfg = cfg.clone()  # cfg may be modified by the caller afterwards
        self.model = build_model(self.cfg)
        self.model.eval()
        if len(cfg.DATASETS.TEST):
            self.metadata = MetadataCatalog.get(cfg.DATASETS.TEST[0])
        if cfg.MODEL.WEIGHTS:
            DetectionCheckpointer(self.model).load(cfg.MODEL.WEIGHTS)
        self.aug = T.ResizeShortestEdge([cfg.INPUT.MIN_SIZE_TEST, cfg.INPUT.MIN_SIZE_TEST], cfg.INPUT.MAX_SIZE_TEST)
        self.device = resolve_device(cfg.MODEL.DEVICE)
        self.precision = cfg.TEST.PRECISION
        precision_dtype(self.precision)  # a bad value fails here, not at the first image

    def _run_model(self, inputs: list[dict]) -> list[dict]:
        """The model on a batch, under `cfg.TEST.PRECISION`, with float32 outputs."""
        with torch.no_grad(), inference_autocast(self.precision, self.device):
            outputs = self.model(inputs)
        return outputs_to_float32(outputs)

    def _prepare(self, original_image: np.ndarray) -> dict[str, Any]:
        """BGR (H, W, C) uint8 -> the model's input dict, resized, in cfg.INPUT.FORMAT, on the model's device."""
        _check_image(original_image)
        if self.input_format == "RGB":
            original_image = original_image[:, :, ::-1]
        height, width = original_image.shape[:2]
        image = self.aug.get_transform(original_image).apply_image(original_image)
        image = torch.as_tensor(np.ascontiguousarray(image.astype("float32").transpose(2, 0, 1)))
        # Detectron2 calls `image.to(device)` and drops the result; keep it, so the copy happens here.
        image = image.to(self.device)
        return {"image": image, "height": height, "width": width}


class DefaultPredictor(_ModelRunner):
    """Build the model of `cfg`, load `cfg.MODEL.WEIGHTS`, and predict on single BGR images.

    The image is converted to `cfg.INPUT.FORMAT`, resized with `ResizeShortestEdge(MIN_SIZE_TEST,
    MAX_SIZE_TEST)`, and the outputs come back in the original image's coordinates. The model runs in
    `cfg.TEST.PRECISION` (autocast for bfloat16 / float16); outputs are float32 either way.

    Example:
        >>> predictor = DefaultPredictor(cfg)
        >>> outputs = predictor(cv2_style_bgr_image)
        >>> outputs["instances"].pred_boxes
    """

    def __init__(self, cfg: Any):
        super().__init__(cfg)

    def __call__(self, original_image: np.ndarray) -> dict:
        """
        Args:
            original_image: (H, W, 3) uint8 image in BGR order (as ``cv2.imread`` or
                ``read_image(path, format="BGR")`` return it).

        Returns:
            The model's output dict for this one image ("instances", "sem_seg", "panoptic_seg", ...).

        Raises:
            TypeError / ValueError: not a numpy array, or not (H, W, 3) (the message says how to convert it).
        """
        return self._run_model([self._prepare(original_image)])[0]


class _ImageSource(Dataset):
    """Images from paths (read in loader workers) or in-memory BGR arrays, resized for the model."""

    def __init__(self, items: Sequence[str | np.ndarray], runner: _ModelRunner):
        self.items = list(items)
        self.runner = runner

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, idx: int) -> tuple[Any, dict]:
        item = self.items[idx]
        if isinstance(item, np.ndarray):
            key, image = idx, item
        else:
            key, image = str(item), read_image(item, format="BGR")
        inputs = self.runner._prepare(image)
        inputs["image"] = inputs["image"].cpu()  # workers hand CPU tensors; moved to the device per batch
        return key, inputs


def _list_images(folder: Path) -> list[str]:
    files = sorted(str(p) for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not files:
        raise FileNotFoundError(f"No images ({', '.join(IMAGE_EXTENSIONS)}) found in folder '{folder}'.")
    return files


class BatchPredictor(_ModelRunner):
    """Predict on many images in batches; images are read and resized in DataLoader workers meanwhile.

    Example:
        >>> for path, outputs in BatchPredictor(cfg, batch_size=8)("images/"):
        ...     print(path, len(outputs["instances"]))
    """

    def __init__(self, cfg: Any, batch_size: int = 4, num_workers: int | None = None, show_progress: bool = True):
        """
        Args:
            cfg: as for `DefaultPredictor`.
            batch_size: images read per step; images padded to one size share a model call.
            num_workers: image-reading worker processes (default `cfg.DATALOADER.NUM_WORKERS`).
            show_progress: show a tqdm progress bar.
        """
        super().__init__(cfg)
        if batch_size < 1:
            raise ValueError(f"BatchPredictor batch_size must be >= 1, got {batch_size}.")
        self.batch_size = batch_size
        self.num_workers = cfg.DATALOADER.NUM_WORKERS if num_workers is None else num_workers
        self.show_progress = show_progress

    def _padded_size(self, image: torch.Tensor) -> tuple:
        """The size the model pads ``image`` to (`ImageList.from_tensors` with its backbone's padding); images of
        one padded size get the same detections together as alone. Models without a backbone: its own size."""
        backbone = getattr(self.model, "backbone", None)
        height, width = image.shape[-2:]
        if backbone is None:
            return (height, width)
        divisibility = getattr(backbone, "size_divisibility", 0)
        return ImageList.padded_size(height, width, divisibility, getattr(backbone, "padding_constraints", None))

    def __call__(self, images: str | os.PathLike | Iterable[str | os.PathLike | np.ndarray]) -> Iterator[tuple]:
        """
        Args:
            images: a folder (its image files, sorted by name), or a list of image paths and/or BGR arrays.

        Yields:
            (key, outputs) per image, in input order: key is the path for files, the list index for arrays.
        """
        if isinstance(images, (str, os.PathLike)):
            folder = Path(images)
            if not folder.is_dir():
                raise NotADirectoryError(f"BatchPredictor got '{folder}', which is not a folder of images.")
            items: list[Any] = _list_images(folder)
        else:
            items = [x if isinstance(x, np.ndarray) else str(x) for x in images]
        loader = DataLoader(
            _ImageSource(items, self),
            batch_size=self.batch_size,
            num_workers=self.num_workers,
            collate_fn=lambda batch: batch,
            pin_memory=self.device.type == "cuda",
        )
        from tqdm import tqdm

        with torch.no_grad(), tqdm(total=len(items), desc="predict", unit="img", disable=not self.show_progress) as bar:
            for batch in loader:
                # one model call per padded size: images padded to a larger neighbour's size would get other
                # detections than alone (as in `detectra eval` and exported models, which run one image a call)
                by_size: dict[tuple, list[int]] = {}
                for i, (_, x) in enumerate(batch):
                    by_size.setdefault(self._padded_size(x["image"]), []).append(i)
                outputs: list[Any] = [None] * len(batch)
                for indices in by_size.values():
                    inputs = [dict(batch[i][1], image=batch[i][1]["image"].to(self.device, non_blocking=True))
                              for i in indices]  # fmt: skip
                    for i, out in zip(indices, self._run_model(inputs)):
                        outputs[i] = out
                bar.update(len(batch))
                yield from zip((key for key, _ in batch), outputs)
