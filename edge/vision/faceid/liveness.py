"""Active liveness: a challenge drawn at random (blink, turn the head left or right),
checked from landmarks over consecutive frames within a time limit.

A still photo held up to the camera cannot blink, and cannot turn its head: turning
a flat picture (or tilting a phone) moves the nose exactly as much as the eyes and
mouth, so the affine-invariant nose offset of `quality.pose_of` does not change,
whereas a real head turn moves the nose tip, which stands out of the face plane,
sideways against the eyes and mouth.

Blink: YuNet's 5 landmarks have no eyelids, so eye opening is measured from pixels:
on the face aligned to the 112x112 template (eyes always at the same place), the share
of pixels clearly darker than the person's own cheek in the darkest iris-sized box
near each eye (iris, pupil and the dark gap between open lids). Closing the lids covers them with skin and the
share drops. A blink is a drop below `blink_closed_ratio` of the person's reference,
measured on the first frames, for at most `blink_max_closed_frames` frames, followed
by reopening; the head must stay put meanwhile. What this does not stop is written in
docs/face.md."""

from __future__ import annotations

import enum
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.vision.faceid.align import ARCFACE_112, align_face
from edge.vision.faceid.quality import main_face, pose_of
from edge.vision.plugins import Detection
from firmware_config.faceid import LivenessConfig

EYE_SEARCH = (16, 10)  # half width, half height of the search window around each eye (112x112 crop)
IRIS_BOX = (10, 8)  # width, height of the iris-sized box
CHEEK_DROP = 20  # cheek window centre this many pixels below each eye
DARK = 0.6  # an eye pixel darker than this fraction of the cheek's median counts


class Challenge(str, enum.Enum):
    """`turn_left` / `turn_right` are the person's own left and right (the nose moves
    towards the image's right / left in a camera picture that is not mirrored)."""

    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"

    @property
    def guidance(self) -> str:
        """The kiosk screen's guidance key for this challenge."""
        return f"face.{self.value}"


def choose_challenge(options: Sequence[str], rng: random.Random | None = None) -> Challenge:
    """A challenge from `options`, drawn with the OS's secure generator unless a seeded
    `rng` is passed (tests): a replayed video cannot know in advance which one comes."""
    return Challenge((rng or random.SystemRandom()).choice(list(options)))


def eye_openness(image_bgr: np.ndarray, landmarks: Sequence[tuple[float, float]]) -> float:
    """Eye opening of a face, 0-1, averaged over both eyes.

    In the face aligned to the 112x112 template, each eye is searched in a window
    around its template position for the iris-sized box with the largest share of
    pixels clearly darker than the cheek below (iris, pupil, the gap between open
    lids). Taking the best box rather than a fixed one makes the measure indifferent
    to the few pixels the landmarks jitter by from frame to frame (a still photo
    varied by up to 20 % of its reference, a fixed window by up to 80 %)."""
    grey = cv2.cvtColor(align_face(image_bgr, landmarks), cv2.COLOR_BGR2GRAY).astype(np.float32)
    sw, sh = EYE_SEARCH
    shares = []
    for ex, ey in ARCFACE_112[:2]:
        x, y = round(float(ex)), round(float(ey))
        window = grey[y - sh : y + sh, x - sw : x + sw]
        cheek = grey[y + CHEEK_DROP - 6 : y + CHEEK_DROP + 6, x - 6 : x + 6]
        reference = float(np.median(cheek))
        if reference <= 1:
            shares.append(0.0)
            continue
        dark = (window < DARK * reference).astype(np.float32)
        boxed = cv2.boxFilter(dark, -1, IRIS_BOX, normalize=True, borderType=cv2.BORDER_CONSTANT)
        shares.append(float(boxed.max()))
    return float(np.mean(shares))


@dataclass(frozen=True)
class FaceSample:
    """What liveness needs from one frame (no pixels)."""

    t: float
    faces: int
    box: tuple[float, float, float, float] | None = None
    landmarks: tuple[tuple[float, float], ...] | None = None
    openness: float | None = None


def sample_frame(image_bgr: np.ndarray, faces: Sequence[Detection], t: float) -> FaceSample:
    face = main_face(faces)
    if face is None or len(face.keypoints) < 5:
        return FaceSample(t, len(faces))
    pts = tuple(face.keypoints[:5])
    return FaceSample(t, len(faces), face.box, pts, eye_openness(image_bgr, pts))


def jumped(a: Sequence[float], b: Sequence[float], max_jump: float) -> bool:
    """True when box `b` is too far from box `a` to be the same face one frame later
    (a photo swapped in, another person stepping in)."""
    ax, ay = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    bx, by = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return float(np.hypot(bx - ax, by - ay)) / max(a[2] - a[0], 1.0) > max_jump


class State(str, enum.Enum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


@dataclass
class LivenessResult:
    challenge: Challenge
    state: State = State.PENDING
    reason: str | None = None
    frames: int = 0
    duration_s: float = 0.0
    measure: float | None = None
    """Strongest response seen: nose-offset change (turns) or lowest openness ratio (blink)."""

    @property
    def passed(self) -> bool:
        return self.state is State.PASSED

    def to_dict(self) -> dict:
        return {
            "challenge": self.challenge.value,
            "result": self.state.value,
            "reason": self.reason,
            "frames": self.frames,
            "duration_s": round(self.duration_s, 2),
            "measure": None if self.measure is None else round(self.measure, 3),
        }


@dataclass
class LivenessCheck:
    """Feed it one `FaceSample` per camera frame until it is no longer pending."""

    challenge: Challenge
    config: LivenessConfig
    started_at: float
    result: LivenessResult = field(init=False)
    _baseline: list[FaceSample] = field(default_factory=list, init=False)
    _last: FaceSample | None = field(default=None, init=False)
    _gap: int = 0
    _run: int = 0

    def __post_init__(self) -> None:
        self.result = LivenessResult(self.challenge)

    def seconds_left(self, now: float) -> float:
        """Time the person still has for the challenge (shown on the screen)."""
        return max(0.0, self.config.timeout_s - (now - self.started_at))

    def _end(self, state: State, reason: str | None, t: float) -> State:
        self.result.state, self.result.reason = state, reason
        self.result.duration_s = t - self.started_at
        return state

    def feed(self, sample: FaceSample) -> State:
        if self.result.state is not State.PENDING:
            return self.result.state
        cfg = self.config
        self.result.frames += 1
        self.result.duration_s = sample.t - self.started_at
        if sample.t - self.started_at > cfg.timeout_s:
            return self._end(State.FAILED, "timeout", sample.t)
        if sample.faces != 1 or sample.landmarks is None or sample.box is None:
            self._gap += 1
            if self._gap > cfg.max_gap_frames:
                return self._end(State.FAILED, "several_faces" if sample.faces > 1 else "face_lost", sample.t)
            return State.PENDING
        self._gap = 0
        if self._last is not None and self._jumped(self._last, sample):
            return self._end(State.FAILED, "face_changed", sample.t)
        self._last = sample
        if len(self._baseline) < cfg.baseline_frames:
            self._baseline.append(sample)
            return State.PENDING
        if self.challenge is Challenge.BLINK:
            return self._blink(sample)
        return self._turn(sample)

    def _jumped(self, a: FaceSample, b: FaceSample) -> bool:
        return jumped(a.box, b.box, self.config.max_jump)  # type: ignore[arg-type]

    def _base_yaw(self) -> float:
        return statistics.median(pose_of(s.landmarks).yaw for s in self._baseline)  # type: ignore[arg-type]

    def _turn(self, sample: FaceSample) -> State:
        delta = pose_of(sample.landmarks).yaw - self._base_yaw()  # type: ignore[arg-type]
        wanted = delta if self.challenge is Challenge.TURN_LEFT else -delta
        self.result.measure = max(self.result.measure or 0.0, wanted)
        self._run = self._run + 1 if wanted >= self.config.turn_offset else 0
        if self._run >= self.config.turn_hold_frames:
            return self._end(State.PASSED, None, sample.t)
        return State.PENDING

    def _blink(self, sample: FaceSample) -> State:
        cfg = self.config
        reference = statistics.median(s.openness or 0.0 for s in self._baseline)
        if reference < cfg.min_eye_openness:
            return self._end(State.FAILED, "eyes_not_measurable", sample.t)
        ratio = (sample.openness or 0.0) / reference
        self.result.measure = min(self.result.measure if self.result.measure is not None else 1.0, ratio)
        still = abs(pose_of(sample.landmarks).yaw - self._base_yaw()) < cfg.turn_offset / 2  # type: ignore[arg-type]
        if ratio < cfg.blink_closed_ratio and still:
            self._run += 1
            if self._run > cfg.blink_max_closed_frames:
                self._run = -1_000_000  # held shut: not a blink; wait for the eyes to open again
            return State.PENDING
        if self._run > 0 and ratio >= (1 + cfg.blink_closed_ratio) / 2:
            return self._end(State.PASSED, None, sample.t)
        if ratio >= (1 + cfg.blink_closed_ratio) / 2:
            self._run = 0
        return State.PENDING
