"""Event builders: `plate` events carry the voted text, candidates, direction, camera,
first/last seen and a JPEG crop; the snapshot only when configured. `presence` events
fire on a stable change of the face count per zone, `presence_summary` periodically,
and face pixels are attached only when the config asks. Every body validates against
the published contract."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np
import pytest
import skimage.data

from edge.contract import validate_payload
from edge.events import StoredEvent
from edge.vision.events import PlateEventBuilder, PresenceMonitor
from edge.vision.plugins import Detection
from edge.vision.tracker import PlateObservation, PlateTracker
from firmware_config.vision import PlateEventConfig, PresenceConfig, TrackerConfig

T0 = datetime(2026, 3, 1, 7, 30, tzinfo=timezone.utc)


def check_contract(draft) -> dict:
    payload = json.loads(StoredEvent(row_id=1, device_id="cam-1", seq=1, draft=draft).to_json())
    validate_payload(payload)
    return payload


def plate_pass(frame: np.ndarray):
    tracker = PlateTracker(TrackerConfig(max_missed_frames=1))
    out = []
    for i, text in enumerate(["51F-123.45", "51F-123.45", "51F-128.45"]):
        x, y = 500, 200 + 60 * i
        out += tracker.update(
            [
                PlateObservation(
                    box=(x, y, x + 160, y + 40),
                    text=text,
                    confidence=0.95 - 0.1 * (text != "51F-123.45"),
                    captured_at=T0 + timedelta(milliseconds=100 * i),
                    monotonic=10 + 0.1 * i,
                    frame=frame,
                    layout="one_line",
                )
            ],
            (1280, 720),
        )
    out += tracker.update([], (1280, 720)) + tracker.update([], (1280, 720))
    assert len(out) == 1
    return out[0]


@pytest.fixture
def frame() -> np.ndarray:
    img = np.full((720, 1280, 3), 60, np.uint8)
    for i in range(3):
        cv2.rectangle(img, (500, 200 + 60 * i), (660, 240 + 60 * i), (255, 255, 255), -1)
    return img


def test_plate_event_has_best_read_crop_and_no_snapshot_by_default(frame) -> None:
    draft = PlateEventBuilder(PlateEventConfig(), clock_synced=lambda: True).build("north", plate_pass(frame))
    payload = check_contract(draft)
    body = payload["body"]
    assert payload["type"] == "plate" and payload["clock_synced"] is True
    assert body["camera_id"] == "north" and body["text"] == "51F-123.45"
    assert body["confidence"] == 0.95 and body["frames"] == 3
    assert body["candidates"] == [{"text": "51F-128.45", "confidence": 0.85}]
    assert body["direction"] == "approaching"
    assert body["first_seen"] == "2026-03-01T07:30:00Z" and body["last_seen"] == "2026-03-01T07:30:00.200000Z"
    assert body["snapshot_attachment_id"] is None
    assert len(draft.attachments) == 1
    att = draft.attachments[0]
    assert att.id == body["crop_attachment_id"] and att.content_type == "image/jpeg"
    crop = cv2.imdecode(np.frombuffer(att.data, np.uint8), cv2.IMREAD_COLOR)
    # a 160x40 box plus 15 % margin on each side, mostly the white plate
    assert crop.shape[:2] == (52, 208) and crop.mean() > 150


def test_detached_reads_keep_only_the_plate_area_and_give_the_same_event(frame) -> None:
    builder = PlateEventBuilder(PlateEventConfig())
    obs = PlateObservation(
        box=(500, 200, 660, 240),
        text="51F-123.45",
        confidence=0.9,
        captured_at=T0,
        monotonic=1.0,
        frame=frame,
    )
    kept = builder.detach(obs)
    assert kept.frame is None and kept.crop is not None
    assert kept.crop.base is None and kept.crop.shape == (52, 208, 3)  # a copy, not a view of the frame
    frame[:] = 0  # the camera may decode the next frame into this buffer
    assert kept.crop.mean() > 150
    with_snapshot = PlateEventBuilder(PlateEventConfig(full_frame_snapshot=True)).detach(obs)
    assert with_snapshot.frame is frame


def test_full_frame_snapshot_only_when_configured(frame) -> None:
    draft = PlateEventBuilder(PlateEventConfig(full_frame_snapshot=True)).build("north", plate_pass(frame))
    body = check_contract(draft)["body"]
    assert len(draft.attachments) == 2
    snap = next(a for a in draft.attachments if a.id == body["snapshot_attachment_id"])
    assert cv2.imdecode(np.frombuffer(snap.data, np.uint8), cv2.IMREAD_COLOR).shape == (720, 1280, 3)


def face(x: float, y: float) -> Detection:
    return Detection(box=(x, y, x + 60, y + 60), score=0.9, label="face")


def feed(mon: PresenceMonitor, counts: list[list[Detection] | None], start: float = 0.0):
    image = np.zeros((720, 1280, 3), np.uint8)
    events = []
    for i, faces in enumerate(counts):
        events += mon.update(faces, image, T0 + timedelta(seconds=start + i), start + i)
    return events


def test_presence_change_reported_after_it_holds_and_blips_ignored() -> None:
    mon = PresenceMonitor("kiosk", [], PresenceConfig(stable_frames=3))
    one, two = [face(100, 100)], [face(100, 100), face(600, 300)]
    events = feed(mon, [[], one, [], one, one, one, None, None, two, two, two, [], [], []])
    bodies = [check_contract(e)["body"] for e in events]
    assert [(b["zone"], b["previous_count"], b["count"]) for b in bodies] == [
        ("full", 0, 1),
        ("full", 1, 2),
        ("full", 2, 0),
    ]
    assert all(e.type == "presence" and e.attachments == () for e in events)


def test_faces_are_counted_per_zone() -> None:
    left = ("door", [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)])
    right = ("desk", [(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)])
    mon = PresenceMonitor("kiosk", [left, right], PresenceConfig(stable_frames=1))
    events = feed(mon, [[face(100, 100), face(200, 400), face(900, 300)]])
    assert {e.body["zone"]: e.body["count"] for e in events} == {"door": 2, "desk": 1}


def test_periodic_summary_per_zone() -> None:
    mon = PresenceMonitor("kiosk", [], PresenceConfig(stable_frames=1, summary_interval_s=10))
    one = [face(100, 100)]
    events = feed(mon, [[], one, one, [face(1, 1), face(300, 300)], [], [], [], [], [], [], [], []])
    summaries = [e for e in events if e.type == "presence_summary"]
    assert len(summaries) == 1
    body = check_contract(summaries[0])["body"]
    assert (
        body["max_count"] == 2
        and body["samples"] == 11
        and body["mean_count"] == pytest.approx(4 / 11, abs=1e-3)
    )
    assert summaries[0].priority.name == "LOW"


def test_face_pixels_leave_only_when_asked() -> None:
    image = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
    f = Detection(box=(178, 81, 272, 175), score=0.9, label="face")
    quiet = PresenceMonitor("kiosk", [], PresenceConfig(stable_frames=1))
    assert quiet.update([f], image, T0, 0.0)[0].attachments == ()
    asked = PresenceMonitor("kiosk", [], PresenceConfig(stable_frames=1, include_face_crops=True))
    (event,) = asked.update([f], image, T0, 0.0)
    assert len(event.attachments) == 1 and event.attachments[0].data[:2] == b"\xff\xd8"
