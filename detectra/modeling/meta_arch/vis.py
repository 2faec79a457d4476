"""Training-time visualisation of boxes on the input image, with plain tensor ops (no drawing library)."""
import numpy as np
import torch

__all__ = ["image_to_rgb", "draw_boxes"]


def image_to_rgb(image: torch.Tensor, input_format: str) -> np.ndarray:
    """Args: image: Tensor[C, H, W] as fed to the model. Returns: uint8 array[H, W, 3], RGB."""
    img = image.detach().cpu().permute(1, 2, 0).float().numpy()
    if input_format == "BGR":
        img = img[:, :, ::-1]
    elif input_format != "RGB":
        from detectra.data.detection_utils import convert_image_to_rgb

        img = convert_image_to_rgb(img, input_format)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))


def draw_boxes(img: np.ndarray, boxes: torch.Tensor, color=(0, 255, 0), thickness: int = 2) -> np.ndarray:
    """Draw box outlines on a copy of ``img``.

    Args:
        img: uint8 array[H, W, 3].
        boxes: Tensor[R, 4] XYXY in pixels.
        color: RGB color.

    Returns:
        uint8 array[H, W, 3].
    """
    out = img.copy()
    h, w = out.shape[:2]
    for x0, y0, x1, y1 in boxes.detach().cpu().round().long().tolist():  # few boxes (<= 20): a loop is fine
        x0, x1 = max(0, min(x0, w - 1)), max(0, min(x1, w - 1))
        y0, y1 = max(0, min(y0, h - 1)), max(0, min(y1, h - 1))
        out[y0 : y0 + thickness, x0 : x1 + 1] = color
        out[max(y1 - thickness + 1, 0) : y1 + 1, x0 : x1 + 1] = color
        out[y0 : y1 + 1, x0 : x0 + thickness] = color
        out[y0 : y1 + 1, max(x1 - thickness + 1, 0) : x1 + 1] = color
    return out
