"""The annotated video of ``detectra predict``: the drawn frames of one input video encoded into ``<name>.mp4`` with
PyAV (the optional ``video`` extra, which also decodes the input), or, where no encoder can be opened, PNG files in a
``<name>/`` folder with one log line saying why."""
from __future__ import annotations

import logging
import os
from fractions import Fraction
from typing import Any, Optional

import numpy as np
from PIL import Image

try:  # optional: the `video` extra (FFmpeg's encoders and decoders)
    import av  # type: ignore[import-not-found]
except ImportError:
    av = None

__all__ = ["AnnotatedVideo", "video_frame_rate"]

logger = logging.getLogger("detectra.cli")

# H.264 plays everywhere; MPEG-4 part 2 where the FFmpeg build lacks an H.264 encoder
_CODECS = ("libx264", "h264", "mpeg4")
_DEFAULT_FPS = Fraction(25)


def video_frame_rate(path: str) -> Fraction:
    """The average frame rate of the first video stream of ``path`` (25 where the container does not say, or PyAV is
    missing or cannot open it)."""
    if av is None:
        return _DEFAULT_FPS
    try:
        with av.open(path) as container:
            rate = container.streams.video[0].average_rate if container.streams.video else None
    except (OSError, av.FFmpegError):
        return _DEFAULT_FPS
    return Fraction(rate) if rate else _DEFAULT_FPS


class AnnotatedVideo:
    """Writes annotated frames (RGB uint8, all of one size) to ``<stem>.mp4``, or to ``<stem>/frame_<index>.png``
    files when no video encoder is available.

    Args:
        stem: the output path without extension (``OUTPUT/clip`` for input ``clip.avi``).
        fps: frames per second of the written video (the input's rate divided by ``--video-stride``).
    """

    def __init__(self, stem: str, fps: Fraction) -> None:
        self.stem = stem
        self.fps = fps
        self.path = stem + ".mp4"
        self._container: Any = None
        self._stream: Any = None
        self.fallback_reason: Optional[str] = None
        if av is None:
            self._fall_back("PyAV is not installed (pip install 'detectra[video]')")

    @property
    def is_video(self) -> bool:
        """Whether the frames go to one video file (else to PNG files)."""
        return self.fallback_reason is None

    @property
    def location(self) -> str:
        """The video file, or the folder of PNG frames."""
        return self.path if self.is_video else self.stem + os.sep

    def write(self, index: int, frame: np.ndarray) -> None:
        """Add the drawn frame ``index`` (of the input video) as the next frame."""
        if self.is_video and self._stream is None:
            self._open(frame.shape[1], frame.shape[0])
        if not self.is_video:
            os.makedirs(self.stem, exist_ok=True)
            Image.fromarray(frame).save(os.path.join(self.stem, f"frame_{index:06d}.png"))
            return
        # yuv420p halves the chroma resolution: odd sizes are padded by repeating the last row / column
        frame = np.pad(frame, ((0, frame.shape[0] % 2), (0, frame.shape[1] % 2), (0, 0)), mode="edge")
        packets = self._stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24"))
        self._container.mux(packets)

    def close(self) -> None:
        """Flush the encoder and close the file."""
        if self._container is not None:
            self._container.mux(self._stream.encode(None))
            self._container.close()
            self._container = None

    def __enter__(self) -> "AnnotatedVideo":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _open(self, width: int, height: int) -> None:
        errors = []
        for codec in _CODECS:
            container = av.open(self.path, mode="w")
            try:
                stream = container.add_stream(codec, rate=self.fps)
                stream.width, stream.height = width + width % 2, height + height % 2
                stream.pix_fmt = "yuv420p"
                stream.codec_context.open()  # fails here, not at the first frame, when the codec is unusable
            except Exception as e:  # noqa: BLE001  (FFmpeg's errors differ by build: any of them means "next codec")
                errors.append(f"{codec}: {e}")
                container.close()
                continue
            self._container, self._stream = container, stream
            return
        if os.path.exists(self.path):
            os.remove(self.path)
        self._fall_back(f"no H.264 or MPEG-4 encoder could be opened ({'; '.join(errors)})")

    def _fall_back(self, reason: str) -> None:
        self.fallback_reason = reason
        logger.warning(f"writing the annotated frames of {os.path.basename(self.stem)} as PNG files in "
                       f"{self.stem}{os.sep} instead of a video: {reason}.")  # fmt: skip
