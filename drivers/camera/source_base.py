"""What every frame source shares: the typed errors, the `FrameSource` protocol,
the checks on a decoded image, pacing and URL descriptions without credentials.

Kept apart from `sources.open_source` (which picks a source class) so that the
source classes can import these without importing the module that imports them."""

from __future__ import annotations

import time
from typing import Protocol

import cv2
import numpy as np

from drivers.camera.pool import FramePool


class SourceError(Exception):
    """Base class for everything a frame source can report."""


class SourceUnavailable(SourceError):
    """The source could not be opened (host down, device missing, file absent)."""


class StreamStalled(SourceError):
    """No frame arrived within the read timeout."""


class StreamEnded(SourceError):
    """The stream closed (camera rebooted, connection reset) or a replay reached its end."""


class CorruptFrame(SourceError):
    """A frame arrived but could not be decoded or is not a valid image."""


class FrameSource(Protocol):
    """Yields decoded BGR frames until it raises a `SourceError`."""

    def read(self) -> np.ndarray:
        """Next frame; raises CorruptFrame (skip it), StreamStalled/StreamEnded (reopen)."""
        ...

    def close(self) -> None: ...


class SkippableSource(FrameSource, Protocol):
    """A source that can pass over a frame more cheaply than reading it: video must
    still be decoded (later frames refer to it) but not converted to BGR or copied."""

    def skip(self) -> None:
        """Consume the next frame without returning it; raises like `read`."""
        ...


def check_frame(image: np.ndarray | None, expected_shape: tuple[int, ...] | None) -> np.ndarray:
    """Reject what a decoder may hand back for damaged data: nothing, an empty or
    oddly shaped array, or a size that differs from the stream's established size."""
    if image is None or not isinstance(image, np.ndarray) or image.size == 0:
        raise CorruptFrame("decoder returned no image")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise CorruptFrame(f"unexpected frame layout {image.shape} {image.dtype}")
    if expected_shape is not None and image.shape != expected_shape:
        raise CorruptFrame(f"frame size changed from {expected_shape} to {image.shape}")
    return image


def read_into_pool(cap: cv2.VideoCapture, pool: FramePool) -> tuple[bool, np.ndarray | None]:
    """`cap.read()` into a recycled buffer when one is free (no fresh 2.7 MB array and
    page faults per 720p frame); a newly allocated frame is offered to the pool."""
    buffer = pool.free_buffer()
    if buffer is not None:
        ok, image = cap.read(buffer)
    else:
        ok, image = cap.read()
    if ok and image is not None and image is not buffer:
        pool.adopt(image)
    return ok, image


def decoder_params(threads: int) -> list[int]:
    """FFmpeg decoder threads for one camera. One thread by default: inference already
    uses every core, and frame-threaded decoding only adds contention, memory and a
    few frames of latency. 0 lets FFmpeg choose."""
    return [cv2.CAP_PROP_N_THREADS, threads] if threads > 0 else []


def describe_url(url: str | int) -> str:
    """The URL without credentials, for logs and stats (cameras often embed a password)."""
    if isinstance(url, int):
        return f"/dev/video{url}"
    if "@" in url and "://" in url:
        # Up to the last '@': a password may itself hold '@' (or '/'); masking a
        # rare '@' in a path as well is the safe way to be wrong.
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


class Pacer:
    """Sleeps so that frame n is released at start + n / (fps * speed); speed 0 means
    no pacing. Pacing from the start time (not per frame) keeps replays from drifting."""

    def __init__(self, fps: float, speed: float) -> None:
        self.period = 0.0 if speed <= 0 or fps <= 0 else 1.0 / (fps * speed)
        self._start = time.monotonic()
        self._n = 0

    def wait(self) -> None:
        if self.period:
            due = self._start + self._n * self.period
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self._n += 1

    def restart(self) -> None:
        self._start = time.monotonic()
        self._n = 0
