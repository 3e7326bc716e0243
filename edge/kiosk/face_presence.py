"""Person check by face presence: exactly one face, close enough, for a few frames.

The stand-in until face verification against the chip portrait lands (it keeps
the :class:`~edge.kiosk.person_check.PersonCheck` interface): it proves someone
is in front of the kiosk, not who. The event says so (``method`` is
``face_presence``) so the central side never mistakes it for a match."""

from __future__ import annotations

import time

import cv2
import numpy as np

from edge.kiosk.person_check import (
    GUIDANCE_CLOSER,
    GUIDANCE_DONE,
    GUIDANCE_HOLD,
    GUIDANCE_LOOK,
    GUIDANCE_ONE_PERSON,
    FrameFeed,
    Guide,
    PersonCheckResult,
    PersonCheckStatus,
)
from edge.vision.plugins import Detector

MIN_FACE_HEIGHT = 0.12  # of the frame height: further away, the face is too small to verify later
JPEG_QUALITY = 85


class FacePresenceCheck:
    method = "face_presence"

    def __init__(self, detector: Detector, frames_needed: int = 3) -> None:
        self._detector = detector
        self._needed = frames_needed

    def check(
        self,
        portrait: bytes | None,
        frames: FrameFeed,
        guide: Guide,
        deadline_s: float,
    ) -> PersonCheckResult:
        end = time.monotonic() + deadline_s
        streak, seen, best_score = 0, 0, 0.0
        last_face: np.ndarray | None = None
        guidance = None
        while time.monotonic() < end:
            image = frames.next_frame(min(1.0, max(0.01, end - time.monotonic())))
            if image is None:
                continue
            seen += 1
            faces = self._detector.detect(image)
            height = image.shape[0]
            big = [f for f in faces if (f.box[3] - f.box[1]) >= MIN_FACE_HEIGHT * height]
            if len(big) == 1:
                streak += 1
                best_score = max(best_score, float(big[0].score))
                last_face = _crop(image, big[0].box)
                new = GUIDANCE_HOLD
            else:
                streak = 0
                new = GUIDANCE_ONE_PERSON if len(big) > 1 else GUIDANCE_CLOSER if faces else GUIDANCE_LOOK
            if new != guidance:
                guidance = new
                guide(new)
            if streak >= self._needed:
                guide(GUIDANCE_DONE)
                ok, jpeg = cv2.imencode(".jpg", last_face, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                return PersonCheckResult(
                    PersonCheckStatus.PASSED,
                    self.method,
                    {"frames": seen, "face_score": round(best_score, 3), "portrait_compared": False},
                    jpeg.tobytes() if ok else None,
                )
        return PersonCheckResult(
            PersonCheckStatus.TIMEOUT, self.method, {"frames": seen, "portrait_compared": False}
        )


def _crop(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The face with a margin, copied (the camera reuses its frame buffers)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * 0.25, (y2 - y1) * 0.25
    left, top = max(0, int(x1 - mx)), max(0, int(y1 - my))
    right, bottom = min(w, int(x2 + mx)), min(h, int(y2 + my))
    return image[top : max(bottom, top + 1), left : max(right, left + 1)].copy()
