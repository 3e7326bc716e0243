"""Replay of recorded video files and folders of still images.

Used for demos, benchmarks, tests and for tuning a camera from footage a technician
brought back from site. Replays run at real time (the recorded rate times `speed`)
or, with speed 0, as fast as the consumer takes frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from drivers.camera.pool import FramePool
from drivers.camera.source_base import (
    CorruptFrame,
    Pacer,
    SourceUnavailable,
    StreamEnded,
    check_frame,
    decoder_params,
    read_into_pool,
)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


class VideoFileSource:
    """A video file decoded by OpenCV/FFmpeg, paced at the file's own frame rate."""

    def __init__(
        self,
        path: Path,
        *,
        speed: float = 1.0,
        loop: bool = False,
        decode_threads: int = 1,
        pool_size: int = 4,
    ) -> None:
        self.path = path
        self.loop = loop
        self._pool = FramePool(pool_size)
        self._cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, decoder_params(decode_threads))
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceUnavailable(f"cannot open video {path}")
        fps = self._cap.get(cv2.CAP_PROP_FPS) or 25.0
        self.fps = fps if 0 < fps < 1000 else 25.0
        self._pacer = Pacer(self.fps, speed)
        self._shape: tuple[int, ...] | None = None

    def read(self) -> np.ndarray:
        ok, image = read_into_pool(self._cap, self._pool)
        if not ok and self.loop:
            self._restart()
            ok, image = read_into_pool(self._cap, self._pool)
        if not ok:
            raise StreamEnded(f"end of {self.path.name}")
        self._pacer.wait()
        image = check_frame(image, self._shape)
        self._shape = image.shape
        return image

    def skip(self) -> None:
        """Advance one frame without converting it to BGR (see `OpenCVStream.skip`)."""
        ok = self._cap.grab()
        if not ok and self.loop:
            self._restart()
            ok = self._cap.grab()
        if not ok:
            raise StreamEnded(f"end of {self.path.name}")
        self._pacer.wait()

    def _restart(self) -> None:
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._pacer.restart()

    def close(self) -> None:
        self._cap.release()


class ImageDirectorySource:
    """Still images of a folder in name order, one per frame at `fps`. An unreadable
    or damaged file is reported as a corrupt frame and skipped, like a bad packet."""

    def __init__(self, folder: Path, *, fps: float = 10.0, speed: float = 1.0, loop: bool = False) -> None:
        self.files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceUnavailable(f"no images in {folder}")
        self.loop = loop
        self._pacer = Pacer(fps, speed)
        self._next = 0

    def read(self) -> np.ndarray:
        if self._next >= len(self.files):
            if not self.loop:
                raise StreamEnded("end of image folder")
            self._next = 0
            self._pacer.restart()
        path = self.files[self._next]
        self._next += 1
        self._pacer.wait()
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        try:
            return check_frame(image, None)
        except CorruptFrame as exc:
            raise CorruptFrame(f"{path.name}: {exc}") from None

    def close(self) -> None:
        self._next = len(self.files)
