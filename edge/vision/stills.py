"""Stills on request (the remote snapshot command): the caller waits for the next frame
the inference thread takes from that camera, which encodes it as JPEG while it still
owns the frame buffer (buffers are recycled, so nothing is kept for later). When
nobody asks, `offer()` costs one dictionary lookup per frame."""

from __future__ import annotations

import threading

import cv2
import numpy as np

JPEG_QUALITY = 85


class StillRequests:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, list[tuple[threading.Event, list[bytes]]]] = {}

    def offer(self, camera_id: str, image: np.ndarray) -> None:
        """Inference thread: a frame of `camera_id` is at hand."""
        if camera_id not in self._waiting:
            return
        with self._lock:
            waiters = self._waiting.pop(camera_id, [])
        if not waiters:
            return
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        data = buf.tobytes() if ok else b""
        for event, box in waiters:
            box.append(data)
            event.set()

    def take(self, camera_id: str, timeout_s: float) -> bytes:
        """The next frame of `camera_id` as JPEG; TimeoutError when none came in time."""
        event, box = threading.Event(), []
        with self._lock:
            self._waiting.setdefault(camera_id, []).append((event, box))
        if not event.wait(timeout_s) or not box or not box[0]:
            with self._lock:
                waiters = self._waiting.get(camera_id, [])
                if (event, box) in waiters:
                    waiters.remove((event, box))
            raise TimeoutError(f"no frame from camera {camera_id!r} within {timeout_s:g} s")
        return box[0]
