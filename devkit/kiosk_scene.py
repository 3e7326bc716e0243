"""Frames for the kiosk camera in tests and the demo: the citizen shows the card
front (its QR) to the camera, then looks at it. Written as an image folder that
the camera's file replay loops through, like a live camera would show it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from devkit.cccd.card_front import photographed, render_front
from devkit.cccd.testcard import TestPerson, default_portrait

FRAME = (960, 540)


def face_frame(seed: int = 0) -> np.ndarray:
    """The test portrait as a person in front of the kiosk (face ~40 % of the height)."""
    rng = np.random.default_rng(seed)
    w, h = FRAME
    frame = np.full((h, w, 3), (120, 110, 100), np.uint8)
    portrait = cv2.imdecode(np.frombuffer(default_portrait(), np.uint8), cv2.IMREAD_COLOR)
    person = cv2.resize(portrait, (300, 400))
    x, y = (w - 300) // 2 + int(rng.integers(-8, 8)), 70 + int(rng.integers(-5, 5))
    frame[y : y + 400, x : x + 300] = person
    return np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)


def write_scene(folder: Path, person: TestPerson, *, card_frames: int = 4, face_frames: int = 12) -> Path:
    """Card-front frames then face frames, as numbered JPEGs in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    card = render_front(person, module_px=4)
    frames = [photographed(card, frame_size=FRAME, scale=0.9, tilt_deg=6, seed=i) for i in range(card_frames)]
    frames += [face_frame(i) for i in range(face_frames)]
    for i, image in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:04d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return folder
