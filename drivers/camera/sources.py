"""Frame sources: one small class per way of getting images, behind `FrameSource`.

Errors are typed so the capture thread can react correctly: a corrupt frame is
counted and skipped, a stalled or dropped stream is reconnected with backoff, and the
end of a replayed file either finishes the camera or loops it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np

from drivers.camera.pool import FramePool

SourceKind = Literal["rtsp", "mjpeg", "usb", "file"]


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


class OpenCVStream:
    """RTSP, USB/V4L2 and other live streams through OpenCV's FFmpeg/V4L2 backends,
    with open and read timeouts so a silent camera is detected instead of hanging."""

    def __init__(
        self,
        url: str | int,
        *,
        open_timeout_s: float,
        read_timeout_s: float,
        decode_threads: int = 1,
        pool_size: int = 4,
    ) -> None:
        self.url = url
        self._pool = FramePool(pool_size)
        if isinstance(url, int):
            api, params = cv2.CAP_V4L2, []
        else:
            api = cv2.CAP_FFMPEG
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                int(open_timeout_s * 1000),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                int(read_timeout_s * 1000),
                *decoder_params(decode_threads),
            ]
        self._cap = cv2.VideoCapture(url, api, params)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceUnavailable(f"cannot open {describe_url(url)}")
        self._shape: tuple[int, ...] | None = None

    def read(self) -> np.ndarray:
        ok, image = read_into_pool(self._cap, self._pool)
        if not ok:
            raise StreamEnded(f"no frame from {describe_url(self.url)} (timeout or disconnect)")
        image = check_frame(image, self._shape)
        self._shape = image.shape
        return image

    def skip(self) -> None:
        """Take the next frame off the stream without retrieving it: FFmpeg decodes it
        (later frames refer to it) but the YUV->BGR conversion and the copy into a
        2.7 MB array, a third of a 720p frame's capture cost, are not done."""
        if not self._cap.grab():
            raise StreamEnded(f"no frame from {describe_url(self.url)} (timeout or disconnect)")

    def close(self) -> None:
        self._cap.release()


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
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def open_source(
    kind: SourceKind,
    url: str,
    *,
    fps: float | None = None,
    replay_speed: float = 1.0,
    loop: bool = False,
    open_timeout_s: float = 10.0,
    read_timeout_s: float = 5.0,
    decode_threads: int = 1,
    pool_size: int = 4,
) -> FrameSource:
    """Open a source of the given kind. `fps` paces image-directory replays (video
    files carry their own rate); `replay_speed` 1.0 is real time, 0 as fast as possible.
    `pool_size` frame buffers are recycled by OpenCV-decoded sources (`FramePool`):
    the camera's queue size plus the frame being analysed and the one being decoded."""
    from drivers.camera.mjpeg import MjpegHttpSource
    from drivers.camera.replay import ImageDirectorySource, VideoFileSource

    if kind == "mjpeg":
        return MjpegHttpSource(url, open_timeout_s=open_timeout_s, read_timeout_s=read_timeout_s)
    if kind == "rtsp":
        return OpenCVStream(
            url,
            open_timeout_s=open_timeout_s,
            read_timeout_s=read_timeout_s,
            decode_threads=decode_threads,
            pool_size=pool_size,
        )
    if kind == "usb":
        device: str | int = int(url) if url.isdigit() else url
        return OpenCVStream(
            device, open_timeout_s=open_timeout_s, read_timeout_s=read_timeout_s, pool_size=pool_size
        )
    if kind == "file":
        path = Path(url)
        if path.is_dir():
            return ImageDirectorySource(path, fps=fps or 10.0, speed=replay_speed, loop=loop)
        if path.is_file():
            return VideoFileSource(
                path, speed=replay_speed, loop=loop, decode_threads=decode_threads, pool_size=pool_size
            )
        raise SourceUnavailable(f"replay path {path} does not exist")
    raise ValueError(f"unknown camera kind {kind!r}")


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
