"""`edge detect`: technicians get one JSON line per image with what the real models
find; unreadable images and bad configs get clear errors and distinct exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import skimage.data

from edge.exit_codes import ExitCode
from models.demo.make_video import render_demo_video

CONFIG = """
device: {id: cam-0001, role: intersection_camera}
mqtt: {host: 127.0.0.1, port: 1883, allow_insecure: true}
storage: {path: %s}
cameras:
  - {id: north, kind: rtsp, url: "rtsp://127.0.0.1/stream", detect: [plates, faces]}
vision:
  faces: {type: blazeface}
"""


def edge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_detect_prints_plates_and_faces_per_image(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a_face.png"), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    clip = render_demo_video(tmp_path / "clip.avi", seconds=2.0, fps=10)
    cap = cv2.VideoCapture(str(clip.path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, clip.plate_frames.start + len(clip.plate_frames) // 2)
    ok, frame = cap.read()
    cap.release()
    assert ok
    cv2.imwrite(str(images / "b_plate.png"), frame)
    (images / "c_broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG % (tmp_path / "outbox.db"))
    result = edge("detect", "--image", str(images), "--config", str(config))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(r["image"]).name: r for r in lines}
    assert len(by_name["a_face.png"]["faces"]) == 1 and by_name["a_face.png"]["plates"] == []
    assert [p["text"] for p in by_name["b_plate.png"]["plates"]] == [clip.text]
    assert by_name["b_plate.png"]["faces"] == []
    assert by_name["c_broken.jpg"]["error"] == "not a readable image"


def test_detect_refuses_bad_config_and_missing_images(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("blazeface", "blazefase") % (tmp_path / "outbox.db"))
    bad = edge("detect", "--image", str(tmp_path), "--config", str(config))
    assert bad.returncode == ExitCode.CONFIG and "vision.faces" in bad.stderr
    config.write_text(CONFIG % (tmp_path / "outbox.db"))
    missing = edge("detect", "--image", str(tmp_path / "nothing.png"), "--config", str(config))
    assert missing.returncode == ExitCode.INPUT and "no image" in missing.stderr
