"""`ImageList`: a batch of differently sized images padded into one tensor."""
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

__all__ = ["ImageList"]


class ImageList:
    """Images of possibly different sizes, padded into one Tensor[N, ..., H, W].

    Attributes:
        tensor (Tensor[N, ..., H, W]): the padded batch.
        image_sizes (list[tuple[int, int]]): the (h, w) of each image before padding.
    """

    def __init__(self, tensor: torch.Tensor, image_sizes: List[Tuple[int, int]]):
        self.tensor = tensor
        self.image_sizes = image_sizes

    def __len__(self) -> int:
        return len(self.image_sizes)

    def __getitem__(self, idx: int) -> torch.Tensor:
        """Returns image `idx` without its padding, Tensor[..., h, w]."""
        size = self.image_sizes[idx]
        return self.tensor[idx, ..., : size[0], : size[1]]

    @torch.jit.unused
    def to(self, *args: Any, **kwargs: Any) -> "ImageList":
        return ImageList(self.tensor.to(*args, **kwargs), self.image_sizes)

    @property
    def device(self) -> torch.device:
        return self.tensor.device

    @staticmethod
    def padded_size(
        height: Any, width: Any, size_divisibility: int = 0, padding_constraints: Optional[Dict[str, int]] = None
    ) -> Tuple[Any, Any]:
        """The (H, W) that `from_tensors` pads a batch whose largest image is ``height`` x ``width`` to, with the
        same ``size_divisibility`` and ``padding_constraints``. Images whose padded sizes are equal get the same
        batch tensor alone or together."""
        if padding_constraints is not None:
            square_size = padding_constraints.get("square_size", 0)
            if square_size > 0:
                height = width = square_size
            size_divisibility = padding_constraints.get("size_divisibility", size_divisibility)
        if size_divisibility > 1:
            height = (height + size_divisibility - 1) // size_divisibility * size_divisibility
            width = (width + size_divisibility - 1) // size_divisibility * size_divisibility
        return height, width

    @staticmethod
    def from_tensors(
        tensors: List[torch.Tensor],
        size_divisibility: int = 0,
        pad_value: float = 0.0,
        padding_constraints: Optional[Dict[str, int]] = None,
    ) -> "ImageList":
        """Pad a list of Tensor[..., Hi, Wi] (same leading dims) at the bottom/right into one batch.

        Args:
            tensors: the images.
            size_divisibility: if > 1, the padded H and W are rounded up to a multiple of it (FPN needs this).
            pad_value: value of the padding.
            padding_constraints: optional ``{"square_size": s}`` to pad every image to s x s (when s > 0) and/or
                ``{"size_divisibility": d}`` overriding `size_divisibility`.

        Returns:
            ImageList.
        """
        if len(tensors) == 0:
            raise ValueError("ImageList.from_tensors got an empty list of images.")
        if not isinstance(tensors, (tuple, list)):
            raise TypeError(f"ImageList.from_tensors expects a list of tensors, got {type(tensors).__name__}.")
        for t in tensors:
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"ImageList.from_tensors: got a {type(t).__name__} among the images; expected Tensors.")
            if t.shape[:-2] != tensors[0].shape[:-2]:
                raise ValueError(
                    f"ImageList.from_tensors: images must share their leading dims, got {tuple(t.shape)} and "
                    f"{tuple(tensors[0].shape)}."
                )

        from detectra.layers.wrappers import is_exporting

        image_sizes = [(im.shape[-2], im.shape[-1]) for im in tensors]
        # while exporting, sizes are traced tensors or symbolic ints: keep them so the padding follows the input
        if not is_exporting():
            image_sizes = [(int(h), int(w)) for h, w in image_sizes]
        max_h, max_w = ImageList.padded_size(
            max(s[0] for s in image_sizes), max(s[1] for s in image_sizes), size_divisibility, padding_constraints
        )

        if len(tensors) == 1:
            h, w = image_sizes[0]
            padding = [0, max_w - w, 0, max_h - h]
            batched = F.pad(tensors[0], padding, value=pad_value).unsqueeze_(0)
        else:
            batch_shape = [len(tensors)] + list(tensors[0].shape[:-2]) + [max_h, max_w]
            batched = tensors[0].new_full(batch_shape, pad_value)
            for img, pad_img in zip(tensors, batched):
                pad_img[..., : img.shape[-2], : img.shape[-1]].copy_(img)
        return ImageList(batched.contiguous(), image_sizes)
