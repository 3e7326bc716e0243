"""Rendered camera sequences of a real face photo for the liveness tests and bench/kiosk.py.

There is no webcam here, so a blink and a head turn are rendered from a single
public-domain photo (scikit-image's astronaut; the devkit's CCCD portrait is cut
from it): closed lids are painted with the skin of the cheek and a dark lash line over
each eye, and a head turn is a smooth displacement that carries the nose tip (and,
less, the mouth) sideways while the eyes move little, which is how a face turning
about a vertical axis looks from the front. Each frame is JPEG-compressed like a
camera frame. The frames go through the real detector and the real measures."""

from __future__ import annotations

import cv2
import numpy as np


def _jpeg(frame: np.ndarray, quality: int = 90) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def close_eyes(image: np.ndarray, landmarks, amount: float = 1.0) -> np.ndarray:
    """The photo with both eyes closed (`amount` 1) or half closed (0.5)."""
    pts = np.asarray(landmarks, np.float64)
    dist = float(np.linalg.norm(pts[1] - pts[0]))
    out = image.copy()
    for ex, ey in pts[:2]:
        cheek = image[int(ey + 0.45 * dist) - 3 : int(ey + 0.45 * dist) + 3, int(ex) - 3 : int(ex) + 3]
        skin = np.median(cheek.reshape(-1, 3), axis=0)
        w, h = 0.24 * dist, 0.13 * dist
        top = ey - h
        bottom = top + 2 * h * amount
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.ellipse(mask, (round(ex), round(ey)), (round(w), round(h)), 0, 0, 360, 255, -1)
        mask[: max(0, int(top)), :] = 0
        mask[int(bottom) + 1 :, :] = 0
        lid = np.zeros_like(out)
        lid[:] = skin.astype(np.uint8)
        soft = cv2.GaussianBlur(mask, (0, 0), 1.0).astype(np.float32)[..., None] / 255.0
        out = (out * (1 - soft) + lid * soft).astype(np.uint8)
        if amount >= 1.0:
            cv2.ellipse(out, (round(ex), round(ey)), (round(w), round(0.35 * h)), 0, 10, 170, (40, 30, 30), 1)
    return out


def turn_head(image: np.ndarray, landmarks, amount: float) -> np.ndarray:
    """The face with its nose carried `amount` eye distances towards the image right
    (negative: left), the mouth half as much and the eyes a fifth, falling off smoothly."""
    pts = np.asarray(landmarks, np.float64)
    dist = float(np.linalg.norm(pts[1] - pts[0]))
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    shift = np.zeros((h, w), np.float32)
    for (cx, cy), weight, sigma in (
        (pts[2], 1.0, 0.35),
        ((pts[3] + pts[4]) / 2, 0.5, 0.45),
        ((pts[0] + pts[1]) / 2, 0.2, 0.8),
    ):
        bump = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * (sigma * dist) ** 2))
        shift = np.maximum(shift, weight * bump).astype(np.float32)
    map_x = (xs - amount * dist * shift).astype(np.float32)
    return cv2.remap(image, map_x, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def blink_sequence(image: np.ndarray, landmarks) -> list[np.ndarray]:
    """15 frames: open, half-closed, closed twice, half-closed, open."""
    steps = [0.0] * 5 + [0.5, 1.0, 1.0, 0.5] + [0.0] * 6
    return [_jpeg(close_eyes(image, landmarks, a) if a else image) for a in steps]


def turn_sequence(image: np.ndarray, landmarks, direction: int) -> list[np.ndarray]:
    """15 frames: frontal, then turning towards the image right (+1) or left (-1) and holding."""
    steps = [0.0] * 4 + [0.1, 0.2, 0.3, 0.4] + [0.45] * 7
    return [_jpeg(turn_head(image, landmarks, direction * a) if a else image) for a in steps]


def still_sequence(image: np.ndarray, count: int = 30, seed: int = 3) -> list[np.ndarray]:
    """A still photo held up to the camera: it drifts, tilts and is recompressed."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    frames = []
    for i in range(count):
        angle = 4 * np.sin(i / 5)
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0 + 0.03 * np.sin(i / 7))
        matrix[:, 2] += rng.uniform(-4, 4, 2)
        frame = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
        if i % 3 == 0:  # the photo is tilted away: horizontal foreshortening
            squeeze = np.float32([[0.85, 0, 0.075 * w], [0, 1, 0]])
            frame = cv2.warpAffine(frame, squeeze, (w, h), borderMode=cv2.BORDER_REFLECT)
        noisy = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
        frames.append(_jpeg(noisy, 80))
    return frames


def blinking_person(frames: list[np.ndarray], landmarks: list, every: int = 10) -> list[np.ndarray]:
    """A person in front of the camera who blinks once every `every` frames (eyes
    closed for one frame, a short blink at 10 frames a second), as a camera replaying on a loop would show
    them: a challenge that starts at any frame sees a blink within `every` frames of
    its reference frames, of which at most one has the eyes closed. `landmarks`: each
    frame's face landmarks (from the real detector)."""
    out = []
    for i, (frame, pts) in enumerate(zip(frames, landmarks, strict=True)):
        out.append(_jpeg(close_eyes(frame, pts) if i % every == every - 1 else frame))
    return out
