"""Render the demo clip: a 720p road scene where one car with a known plate drives
towards the camera, framed by a few seconds of empty road.

Used by the README demo (replayed as a `file` camera), the end-to-end test and
`bench/vision.py`. It is rendered, not recorded, so it carries no personal data, is
reproducible bit for bit from the seed, and costs nothing in the repository: it is
written at demo/test time (a few seconds of CPU). The plate is a white one-line car
plate with black text drawn with OpenCV's Hershey font; the empty-road stretches
exercise motion gating, and the sensor noise keeps the "static" scene realistic.

    python -m models.demo.make_video OUT.mp4 [--text 51F-123.45] [--seconds 6]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 1280, 720


@dataclass(frozen=True)
class DemoClip:
    path: Path
    text: str
    fps: float
    frames: int
    plate_frames: range
    """Indices of the frames in which the plate is fully visible."""


def road_background(rng: np.random.Generator) -> np.ndarray:
    """Asphalt with lane markings, kerbs and a building line: texture for the motion
    gate to ignore and for the plate detector to reject."""
    img = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    img[:] = (88, 90, 92)
    img[:] = np.clip(img + rng.normal(0, 6, (HEIGHT, WIDTH, 1)), 0, 255).astype(np.uint8)
    cv2.rectangle(img, (0, 0), (WIDTH, 150), (150, 160, 170), -1)  # buildings
    for x in range(40, WIDTH, 180):
        cv2.rectangle(img, (x, 30), (x + 110, 120), (90, 110, 130), -1)  # windows
    cv2.line(img, (0, 150), (WIDTH, 150), (60, 60, 60), 3)
    for y in range(170, HEIGHT, 90):
        cv2.rectangle(img, (WIDTH // 2 - 6, y), (WIDTH // 2 + 6, y + 45), (230, 230, 230), -1)  # dashes
    cv2.line(img, (160, HEIGHT), (420, 150), (220, 220, 220), 6)
    cv2.line(img, (WIDTH - 160, HEIGHT), (WIDTH - 420, 150), (220, 220, 220), 6)
    return img


def draw_plate(text: str, height: int) -> np.ndarray:
    """A one-line car plate (520 x 110 mm proportions): white, black border, black text."""
    width = int(height * 520 / 110)
    plate = np.full((height, width, 3), 238, np.uint8)
    border = max(2, height // 22)
    cv2.rectangle(plate, (border, border), (width - border - 1, height - border - 1), (20, 20, 20), border)
    font, thickness = cv2.FONT_HERSHEY_DUPLEX, max(2, height // 12)
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, thickness)
    scale = min((width - 8 * border) / tw, (height * 0.62) / th)
    (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
    cv2.putText(
        plate,
        text,
        ((width - tw) // 2, (height + th) // 2),
        font,
        scale,
        (15, 15, 15),
        thickness,
        cv2.LINE_AA,
    )
    return plate


def draw_car(frame: np.ndarray, cx: float, bottom: float, scale: float, plate: np.ndarray) -> None:
    """A car seen from the front: body, windscreen, lights and the plate."""
    w, h = 520 * scale, 300 * scale
    x1, y1, x2, y2 = int(cx - w / 2), int(bottom - h), int(cx + w / 2), int(bottom)
    cv2.rectangle(frame, (x1, y1), (x2, y2), (40, 40, 150), -1)
    cv2.rectangle(frame, (int(x1 + 0.12 * w), y1 - int(0.35 * h)), (int(x2 - 0.12 * w), y1), (70, 60, 60), -1)
    for lx in (x1 + int(0.05 * w), x2 - int(0.2 * w)):
        cv2.rectangle(
            frame, (lx, y1 + int(0.15 * h)), (lx + int(0.15 * w), y1 + int(0.3 * h)), (200, 230, 240), -1
        )
    pw = int(0.5 * w)
    ph = max(8, int(pw * 110 / 520))
    small = cv2.resize(plate, (pw, ph), interpolation=cv2.INTER_AREA)
    px, py = int(cx - pw / 2), int(y2 - 0.12 * h - ph)
    frame[py : py + ph, px : px + pw] = small


def render_demo_video(
    path: Path,
    *,
    text: str = "51F-123.45",
    fps: float = 25.0,
    seconds: float = 6.0,
    seed: int = 7,
    car: bool = True,
) -> DemoClip:
    """Write the clip to `path` (.mp4 or .avi); returns what it contains. With
    `car=False` the road stays empty: a static scene for measuring motion gating."""
    rng = np.random.default_rng(seed)
    background = road_background(rng)
    plate = draw_plate(text, 220)
    n = round(fps * seconds)
    enter, leave = int(n * 0.25), int(n * 0.75)  # empty road before and after the pass
    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix == ".mp4" else "MJPG"))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), fourcc, fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path}")
    visible = []
    try:
        for i in range(n):
            frame = background.copy()
            if car and enter <= i < leave:
                t = (i - enter) / max(1, leave - enter - 1)
                scale = 0.55 + 0.45 * t  # grows as it approaches
                bottom = 330 + 360 * t
                draw_car(frame, WIDTH / 2 + 60 * np.sin(t * 2), bottom, scale, plate)
                if bottom <= HEIGHT:
                    visible.append(i)
            noise = rng.normal(0, 2.0, (*frame.shape[:2], 1))
            writer.write(np.clip(frame + noise, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    return DemoClip(path, text, fps, n, range(visible[0], visible[-1] + 1) if visible else range(0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the synthetic 720p demo clip.")
    parser.add_argument("out", type=Path, help="output file (.mp4 or .avi)")
    parser.add_argument("--text", default="51F-123.45", help="plate text (label style)")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--fps", type=float, default=25.0)
    args = parser.parse_args(argv)
    clip = render_demo_video(args.out, text=args.text, fps=args.fps, seconds=args.seconds)
    print(
        f"{clip.path}: {clip.frames} frames at {clip.fps:g} fps, plate {clip.text!r} in frames "
        f"{clip.plate_frames.start}-{clip.plate_frames.stop - 1}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
