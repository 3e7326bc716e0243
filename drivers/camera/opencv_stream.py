"""Live streams (RTSP, USB/V4L2) through OpenCV's FFmpeg and V4L2 backends."""

from __future__ import annotations

import cv2
import numpy as np

from drivers.camera.pool import FramePool
from drivers.camera.source_base import (
    SourceUnavailable,
    StreamEnded,
    check_frame,
    decoder_params,
    describe_url,
    read_into_pool,
)


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
