"""Person check by face verification: the person at the kiosk against the chip
portrait, after a liveness challenge (edge.vision.faceid, docs/face.md), behind the
kiosk's `PersonCheck` interface. Selected by `kiosk.person_check_method:
face_verification`; the event's `person_check.details` then carries the similarity,
threshold, decision, liveness result and model versions, never face pixels unless
`kiosk.face_verification.include_face_images` is set."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from edge.kiosk.person_check import FrameFeed, Guide, PersonCheckResult, PersonCheckStatus
from edge.vision.faceid.check import METHOD, FaceVerificationCheck
from edge.vision.faceid.verifier import FaceVerifier
from firmware_config.faceid import FaceVerifierConfig

_STATUS = {
    "passed": PersonCheckStatus.PASSED,
    "failed": PersonCheckStatus.FAILED,
    "timeout": PersonCheckStatus.TIMEOUT,
}


class FaceVerificationPersonCheck:
    method = METHOD

    def __init__(self, check: FaceVerificationCheck) -> None:
        self._check = check

    @classmethod
    def from_config(
        cls,
        config: FaceVerifierConfig,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> FaceVerificationPersonCheck:
        """Load the models now (a missing file stops the daemon at start, not at a citizen)."""
        return cls(FaceVerificationCheck(FaceVerifier.from_config(config), rng=rng, clock=clock))

    def check(
        self, portrait: bytes | None, frames: FrameFeed, guide: Guide, deadline_s: float
    ) -> PersonCheckResult:
        outcome = self._check.check(portrait, frames, guide, deadline_s)
        return PersonCheckResult(_STATUS[outcome.status], outcome.method, outcome.details, outcome.live_image)
