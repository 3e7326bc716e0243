"""One person check at the kiosk: the chip portrait against the person at the
counter, with the quality gate and a liveness challenge, as one attempt.

It has the shape of the kiosk's person-check interface (`check(portrait, frames,
guide, deadline_s)`): the screen is guided with `face.*` keys, the verdict comes back
as an `Outcome` (status, numbers for the event, and face images only when
`include_face_images` is set). Frames are used while the call runs and none is kept
afterwards. The same face must be followed from the first gated frame through the
challenge to the last compared frame (`liveness.jumped`), so a person cannot pass the
challenge and then hold up someone else's photo for the comparison."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

from edge.vision.faceid.align import align_face
from edge.vision.faceid.liveness import (
    Challenge,
    LivenessCheck,
    State,
    choose_challenge,
    jumped,
    sample_frame,
)
from edge.vision.faceid.portrait import PortraitError, decode_image, image_format
from edge.vision.faceid.quality import Guidance, assess
from edge.vision.faceid.verifier import FaceVerifier

log = logging.getLogger(__name__)

GUIDANCE_DONE = "face.done"
METHOD = "face_match+liveness"


class Frames(Protocol):
    def next_frame(self, timeout_s: float) -> np.ndarray | None: ...


class Guide(Protocol):
    """What the screen shows during the check (the kiosk's `person_check.Guide`)."""

    def __call__(
        self, key: str | None, /, *, challenge: str | None = None, seconds_left: float | None = None
    ) -> None: ...


#: Problems still worth telling the person while a challenge runs. Not "look straight"
#: (a head turn is what was asked) nor "blurred" (moving is): those wait for the gate.
DURING_CHALLENGE = frozenset(
    {Guidance.NO_FACE, Guidance.SEVERAL_FACES, Guidance.TOO_SMALL, Guidance.TOO_DARK}
)


@dataclass(frozen=True)
class Outcome:
    status: str
    """'passed', 'failed' or 'timeout' (the kiosk's PersonCheckStatus values)."""
    method: str
    details: dict[str, Any] = field(default_factory=dict)
    live_image: bytes | None = field(default=None, repr=False)
    portrait_image: bytes | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _usable(image: np.ndarray | None) -> bool:
    return image is not None and image.ndim == 3 and image.shape[2] == 3 and min(image.shape[:2]) >= 32


def _jpeg(crop: np.ndarray) -> bytes | None:
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return buf.tobytes() if ok else None


class FaceVerificationCheck:
    method = METHOD

    def __init__(
        self,
        verifier: FaceVerifier,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.verifier = verifier
        self.config = verifier.config
        self.rng = rng
        self.clock = clock

    def _fail(self, reason: str, details: dict[str, Any], status: str = "failed") -> Outcome:
        log.info("face verification %s: %s", status, reason)
        return Outcome(status, self.method, {**details, "reason": reason})

    def check(self, portrait: bytes | None, frames: Frames, guide: Guide, deadline_s: float) -> Outcome:
        cfg = self.config
        details: dict[str, Any] = {"threshold": cfg.threshold, "models": self.verifier.models()}
        if not portrait:
            return self._fail("no_portrait", details)
        details["portrait_format"] = image_format(portrait)
        try:
            portrait_bgr = decode_image(portrait)
        except PortraitError:
            return self._fail("portrait_unreadable", details)
        found = self.verifier.find(portrait_bgr)
        if found is None:
            return self._fail("no_face_in_portrait", details)
        end = self.clock() + deadline_s
        challenge = choose_challenge(cfg.liveness.challenges, self.rng) if cfg.liveness.enabled else None
        liveness: LivenessCheck | None = None
        live: list[np.ndarray] = []
        best_crop: np.ndarray | None = None
        last_box = None
        shown: tuple[str | None, str | None] | None = None
        seen = 0

        def show(key: str | None, challenge_key: str | None, seconds_left: float) -> None:
            """Tell the screen when what the person should do changes; the time left
            is sent with each change and counted down by the page."""
            nonlocal shown
            if (key, challenge_key) != shown:
                shown = (key, challenge_key)
                guide(key, challenge=challenge_key, seconds_left=round(seconds_left, 1))

        while (now := self.clock()) < end:
            image = frames.next_frame(min(1.0, max(0.01, end - now)))
            if not _usable(image):
                continue  # no frame in time, or a corrupt one: the camera's problem, not a verdict
            seen += 1
            t = self.clock()
            faces = self.verifier.detect(image)
            report = assess(image, faces, cfg.quality)
            face = report.face if len(faces) == 1 else None
            if (
                face is not None
                and last_box is not None
                and live
                and jumped(last_box, face.box, cfg.liveness.max_jump)
            ):
                return self._fail("face_changed", {**details, "frames": seen})
            if face is not None:
                last_box = face.box
            if liveness is not None:
                if liveness.feed(sample_frame(image, faces, t)) is State.FAILED:
                    details["liveness"] = liveness.result.to_dict()
                    return self._fail(f"liveness_{liveness.result.reason}", {**details, "frames": seen})
            elif challenge is not None and report.ok:
                liveness = LivenessCheck(challenge, cfg.liveness, t)
                liveness.feed(sample_frame(image, faces, t))
            if report.ok and len(live) < cfg.live_frames:
                assert report.face is not None
                live.append(self.verifier.embed(image, report.face))
                if cfg.include_face_images and best_crop is None:
                    best_crop = align_face(image, report.face.keypoints[:5])
            live_done = liveness is None or liveness.result.passed
            if len(live) >= cfg.live_frames and (challenge is None or live_done):
                show(GUIDANCE_DONE, None, end - t)
                return self._decide(
                    found.embedding, live, liveness, details, seen, best_crop, portrait_bgr, found
                )
            if liveness is not None and not live_done:
                problem = report.guidance.value if report.guidance in DURING_CHALLENGE else None
                show(problem, challenge.guidance, liveness.seconds_left(t))  # type: ignore[union-attr]
            elif liveness is None or not report.ok:
                show(report.guidance.value, None, end - t)  # the gate: what to change
        if liveness is not None:
            details["liveness"] = liveness.result.to_dict()
        return self._fail("deadline", {**details, "frames": seen, "live_frames": len(live)}, status="timeout")

    def _decide(self, portrait_emb, live, liveness, details, seen, best_crop, portrait_bgr, found) -> Outcome:
        similarity = self.verifier.similarity(portrait_emb, self.verifier.average(live))
        match = self.verifier.decide(similarity)
        details = {
            **details,
            "similarity": round(similarity, 4),
            "decision": "match" if match else "no_match",
            "liveness": liveness.result.to_dict()
            if liveness is not None
            else {"challenge": None, "result": "off"},
            "frames": seen,
            "live_frames": len(live),
        }
        live_image = portrait_image = None
        if self.config.include_face_images:
            live_image = _jpeg(best_crop) if best_crop is not None else None
            portrait_image = _jpeg(align_face(portrait_bgr, found.face.keypoints[:5]))
        status = "passed" if match else "failed"
        log.info(
            "face verification %s: similarity %.3f (threshold %.2f)",
            status,
            similarity,
            self.config.threshold,
        )
        return Outcome(
            status,
            self.method,
            details if match else {**details, "reason": "no_match"},
            live_image,
            portrait_image,
        )


__all__ = ["Challenge", "FaceVerificationCheck", "Outcome"]
