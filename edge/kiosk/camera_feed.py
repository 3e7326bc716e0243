"""The kiosk camera as a frame feed for the QR reader and the person check.

Runs the same capture thread the intersection cameras use (reconnects, stall
detection), so a camera unplugged and plugged back recovers by itself; frames are
pulled only while a step needs them and are never stored."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from drivers.camera import Camera
from firmware_config.cameras import CameraConfig


class KioskCamera(Protocol):
    """What the check-in needs of the kiosk camera (CameraFeed, or a bench's own feed)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def next_frame(self, timeout_s: float) -> np.ndarray | None: ...
    def drain(self) -> None: ...
    def streaming(self) -> bool: ...


class CameraFeed:
    def __init__(self, cfg: CameraConfig) -> None:
        from edge.vision.pipeline import build_camera

        self.camera: Camera = build_camera(cfg)

    def start(self) -> None:
        self.camera.start()

    def stop(self) -> None:
        self.camera.stop()

    def next_frame(self, timeout_s: float) -> np.ndarray | None:
        frame = self.camera.get(timeout_s)
        return None if frame is None else frame.image

    def drain(self) -> None:
        """Drop queued frames, so a step starts from what the camera sees now."""
        while self.camera.get(0) is not None:
            pass

    def streaming(self) -> bool:
        return self.camera.stats().state == "streaming"
