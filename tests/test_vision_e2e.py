"""End to end: `edge run` in its own process replays a rendered 720p clip of one car
with a known plate; the real models read it, the tracker makes one pass of it, the
outbox stores it and the publisher sends it to a real Mosquitto, where an
independent subscriber receives exactly one `plate` event with the right text and
its JPEG crop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from models.demo.make_video import render_demo_video
from tests.broker import wait_until

pytestmark = pytest.mark.broker

DEVICE = "cam-e2e-0001"


def write_config(path: Path, broker, clip: Path) -> Path:
    path.write_text(
        f"""
device: {{id: {DEVICE}, role: intersection_camera}}
mqtt:
  host: {broker.host}
  port: {broker.port}
  allow_insecure: true
  keepalive_s: 5
storage: {{path: {path.parent / "outbox.db"}}}
cameras:
  - id: north
    kind: file
    url: {clip}
    replay_speed: 0
vision: {{enabled: true}}
logging: {{level: info, format: json}}
"""
    )
    return path


def test_replayed_clip_gives_exactly_one_plate_event_at_the_subscriber(
    tmp_path: Path, plain_broker, subscriber_factory
) -> None:
    clip = render_demo_video(tmp_path / "demo.mp4", text="51F-123.45", seconds=4.0, fps=12.5)
    central = subscriber_factory(plain_broker, f"devices/{DEVICE}/#")
    config = write_config(tmp_path / "config.yaml", plain_broker, clip.path)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def plate_events() -> dict[str, dict]:
        out = {}
        for topic, payload, _, _ in central.received():
            if topic.endswith("/events/plate"):
                event = json.loads(payload)
                out[event["event_id"]] = event
        return out

    try:
        assert wait_until(lambda: plate_events() or daemon.poll() is not None, 180), "no plate event arrived"
        assert daemon.poll() is None, daemon.communicate()[1][-3000:]
        time.sleep(2.0)  # a second pass of the same car would arrive by now
        events = plate_events()
        assert len(events) == 1, [e["body"]["text"] for e in events.values()]
        (event,) = events.values()
        body = event["body"]
        assert event["device_id"] == DEVICE and event["type"] == "plate"
        assert body["text"] == clip.text and body["camera_id"] == "north"
        assert body["direction"] == "approaching"
        crop_topic = f"devices/{DEVICE}/attachments/{body['crop_attachment_id']}"
        assert wait_until(lambda: any(t == crop_topic for t, *_ in central.received()), 10)
        crop = next(p for t, p, *_ in central.received() if t == crop_topic)
        image = cv2.imdecode(np.frombuffer(crop, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None and image.shape[1] > image.shape[0]  # a plate-shaped JPEG
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            _, err = daemon.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            _, err = daemon.communicate()
    assert daemon.returncode == 0, err[-3000:]
