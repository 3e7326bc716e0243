"""Frame sources: one small class per way of getting images, behind `FrameSource`.

Errors are typed so the capture thread can react correctly: a corrupt frame is
counted and skipped, a stalled or dropped stream is reconnected with backoff, and the
end of a replayed file either finishes the camera or loops it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from drivers.camera.mjpeg import MjpegHttpSource
from drivers.camera.opencv_stream import OpenCVStream
from drivers.camera.replay import ImageDirectorySource, VideoFileSource
from drivers.camera.source_base import FrameSource, SourceUnavailable

SourceKind = Literal["rtsp", "mjpeg", "usb", "file"]


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
