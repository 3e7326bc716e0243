"""Camera capture: OpenCV and HTTP-MJPEG sources, each read on its own thread into a
bounded drop-oldest queue, with reconnect, backoff and per-camera statistics.

Cameras take plain arguments (an id, a source opener, queue size, backoff) and hand
out `Frame`s; they know nothing of events, config files or MQTT."""

from drivers.backoff import Backoff
from drivers.camera.camera import Camera, CameraState, CameraStats
from drivers.camera.frame import Frame, FrameQueue
from drivers.camera.source_base import (
    CorruptFrame,
    FrameSource,
    SourceError,
    SourceUnavailable,
    StreamEnded,
    StreamStalled,
)
from drivers.camera.sources import open_source

__all__ = [
    "Backoff",
    "Camera",
    "CameraState",
    "CameraStats",
    "CorruptFrame",
    "Frame",
    "FrameQueue",
    "FrameSource",
    "SourceError",
    "SourceUnavailable",
    "StreamEnded",
    "StreamStalled",
    "open_source",
]
