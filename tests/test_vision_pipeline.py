"""The vision service end to end inside one process: camera replay -> motion gate ->
real ONNX models -> tracker -> events -> a real SQLite outbox. Also: a dead camera
next to a working one does not stop the service or make it unhealthy."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from edge.outbox import Outbox
from edge.vision.pipeline import VisionService
from firmware_config.cameras import CameraConfig
from firmware_config.storage import StorageConfig
from firmware_config.vision import VisionConfig
from models.demo.make_video import render_demo_video


@pytest.fixture
def outbox(tmp_path: Path):
    box = Outbox(StorageConfig(path=tmp_path / "outbox.db"), "cam-test-01")
    yield box
    box.close()


def events(outbox: Outbox) -> list[dict]:
    out = []
    for m in outbox.pending(10_000):
        if m.kind == "event":
            out.append(json.loads(m.payload))
    return out


@pytest.fixture(scope="module")
def demo_clip(tmp_path_factory):
    return render_demo_video(tmp_path_factory.mktemp("demo") / "demo.mp4", seconds=4.0, fps=12.5)


def run_service(service: VisionService, timeout: float = 120) -> None:
    service.start()
    try:
        assert service.wait_finished(timeout), f"replay not finished in {timeout}s: {service.stats()}"
    finally:
        service.stop()


def test_kiosk_camera_reports_a_face_arriving_and_leaving(tmp_path: Path, outbox: Outbox) -> None:
    face = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
    empty = np.full_like(face, 120)
    for i, img in enumerate([empty] * 4 + [face] * 6 + [empty] * 6):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), img)
    cam = CameraConfig(
        id="counter",
        kind="file",
        url=str(tmp_path),
        detect=["faces"],
        fps=50,
        replay_speed=0,
        motion={"hold_frames": 1},
    )
    vision = VisionConfig(faces={"type": "blazeface"}, presence={"stable_frames": 2})
    service = VisionService(vision, [cam], outbox)
    run_service(service)
    got = [(e["type"], e["body"]["previous_count"], e["body"]["count"]) for e in events(outbox)]
    assert got == [("presence", 0, 1), ("presence", 1, 0)]
    assert all(e["attachments"] == [] for e in events(outbox))  # no face pixels leave
    stats = service.stats()["cameras"]["counter"]
    assert stats["frames_captured"] == 16 and stats["failed"] == 0
    assert stats["gated"] > 0  # identical frames in a row were not re-analysed


def test_replayed_clip_gives_one_plate_event(demo_clip, outbox: Outbox) -> None:
    cam = CameraConfig(id="north", kind="file", url=str(demo_clip.path), replay_speed=0)
    service = VisionService(VisionConfig(), [cam], outbox)
    run_service(service)
    plates = [e for e in events(outbox) if e["type"] == "plate"]
    assert len(plates) == 1, plates
    body = plates[0]["body"]
    assert body["text"] == demo_clip.text and body["camera_id"] == "north"
    assert body["direction"] == "approaching" and body["layout"] == "one_line"
    assert body["frames"] >= 3 and body["first_seen"] < body["last_seen"]
    assert [a["id"] for a in plates[0]["attachments"]] == [body["crop_attachment_id"]]
    stats = service.stats()["cameras"]["north"]
    assert stats["gated"] > 0 and stats["analysed"] > 0  # the empty road was skipped
    # while the road was still, every other frame was only decoded (still_stride 2)
    assert stats["frames_skipped"] > 0
    assert stats["frames_captured"] == demo_clip.frames
    assert stats["analysed"] + stats["gated"] + stats["frames_skipped"] == demo_clip.frames


def test_dead_camera_does_not_stop_the_others(tmp_path: Path, demo_clip, outbox: Outbox) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    dead = CameraConfig(
        id="dead",
        kind="mjpeg",
        url=f"http://127.0.0.1:{port}/",
        reconnect_initial_s=0.05,
        reconnect_max_s=0.2,
    )
    live = CameraConfig(id="north", kind="file", url=str(demo_clip.path), replay_speed=0)
    service = VisionService(VisionConfig(), [dead, live], outbox)
    service.start()
    try:
        lane = service.lanes[1]
        end = time.monotonic() + 120
        while not (lane.camera.finished and lane.flushed) and time.monotonic() < end:
            assert service.healthy()
            time.sleep(0.1)
        stats = service.stats()["cameras"]
        assert stats["dead"]["open_failures"] >= 2 and stats["dead"]["state"] in ("backoff", "connecting")
        assert "open failed" in stats["dead"]["last_error"]
        assert service.healthy()
    finally:
        service.stop()
    assert [e["body"]["text"] for e in events(outbox) if e["type"] == "plate"] == [demo_clip.text]


def test_missing_weights_refuse_to_start_with_the_file_named(tmp_path: Path, outbox: Outbox) -> None:
    from edge.daemon import StartupError

    cam = CameraConfig(id="north", kind="file", url=str(tmp_path))
    missing = tmp_path / "no-such-detector.onnx"
    with pytest.raises(StartupError, match=r"no-such-detector\.onnx"):
        VisionService(
            VisionConfig(plates={"detector": {"type": "yolo", "model": str(missing)}}), [cam], outbox
        )


def test_unknown_model_name_refuses_to_start(tmp_path: Path, outbox: Outbox) -> None:
    from edge.daemon import StartupError

    cam = CameraConfig(id="door", kind="file", url=str(tmp_path), detect=["faces"])
    with pytest.raises(StartupError, match="blazeface_front_64"):
        VisionService(VisionConfig(faces={"type": "blazeface", "model": "blazeface_front_64"}), [cam], outbox)
