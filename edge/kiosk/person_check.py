"""The person check: is the person at the kiosk the one the card belongs to?

This is the seam where face verification (a match against the chip portrait plus
a liveness check) plugs in: the kiosk service only knows :class:`PersonCheck`.
It hands over the chip portrait (DG2, JPEG or JPEG 2000 bytes, or None when the
chip has none or it was not read) and a feed of the kiosk camera's frames; the
check tells the screen what the citizen should do through guidance keys and
returns a :class:`PersonCheckResult` whose ``to_event`` dict goes into the event.

:class:`edge.kiosk.face_verification.FaceVerificationPersonCheck` compares the
person with the chip portrait after a liveness challenge
(``kiosk.person_check_method: face_verification``, docs/face.md);
:class:`edge.kiosk.face_presence.FacePresenceCheck` only checks that exactly one
face is in front of the camera.

Guidance keys the screen translates (listed in ``kiosk.screen.protocol.MESSAGE_KEYS``;
an implementation may add its own under ``face.``, which the page shows with the
family's general text until translated): ``face.look_at_camera`` (no face),
``face.move_closer`` (face too small), ``face.one_person`` (several faces),
``face.hold_still`` (progressing), ``face.done``; face verification adds
``face.look_straight``, ``face.blurred``, ``face.more_light``, ``face.ok`` and, as
the challenge beside the guidance, ``face.blink``, ``face.turn_left`` and
``face.turn_right``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

GUIDANCE_LOOK = "face.look_at_camera"
GUIDANCE_CLOSER = "face.move_closer"
GUIDANCE_ONE_PERSON = "face.one_person"
GUIDANCE_HOLD = "face.hold_still"
GUIDANCE_DONE = "face.done"


class PersonCheckStatus(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"  # the check ran and said no (e.g. faces do not match, spoof)
    TIMEOUT = "timeout"  # nothing conclusive before the deadline
    CAMERA_MISSING = "camera_missing"
    NOT_RUN = "not_run"  # switched off in the configuration


@dataclass(frozen=True)
class PersonCheckResult:
    status: PersonCheckStatus
    method: str
    """What was checked, e.g. "face_presence" or "face_match+liveness"."""
    details: dict[str, Any] = field(default_factory=dict)
    """Scores and counts for the event (numbers and short codes only, no images)."""
    live_image: bytes | None = field(default=None, repr=False)
    """JPEG of the face as the camera saw it; leaves the device only when configured."""

    @property
    def passed(self) -> bool:
        return self.status is PersonCheckStatus.PASSED

    def to_event(self) -> dict[str, Any]:
        return {"status": self.status.value, "method": self.method, "details": dict(self.details)}


class FrameFeed(Protocol):
    """The kiosk camera as the check sees it."""

    def next_frame(self, timeout_s: float) -> np.ndarray | None:
        """The next BGR frame, or None if none came within the timeout."""
        ...


class Guide(Protocol):
    """How a check tells the screen what the citizen should do: a guidance key (None:
    nothing to fix), the liveness challenge being asked for, if any, and the seconds
    left for it (or for the whole check), which the page counts down."""

    def __call__(
        self, key: str | None, /, *, challenge: str | None = None, seconds_left: float | None = None
    ) -> None: ...


class PersonCheck(Protocol):
    """One person check. Implementations must return (not raise) on bad frames or
    portraits, keep no frame after returning, and honour the deadline."""

    method: str

    def check(
        self,
        portrait: bytes | None,
        frames: FrameFeed,
        guide: Guide,
        deadline_s: float,
    ) -> PersonCheckResult:
        """Run until a verdict or ``deadline_s`` (seconds from now); call ``guide``
        whenever what the citizen should do changes (guidance key, challenge, time left)."""
        ...
