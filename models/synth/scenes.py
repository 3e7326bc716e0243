"""Composite plates into background frames for detector training.

A plate (rendered, or a real crop) is warped with a random mild perspective and
pasted at a random position and size into a background frame; the axis-aligned box
of the warped quadrilateral becomes its label. Backgrounds are real frames (the
training split of the dev scenes, which keep their own labelled plate, and natural
images from scikit-image) so the detector learns what is *not* a plate."""

from __future__ import annotations

import random

import cv2
import numpy as np


def paste_plate(
    rng: random.Random, canvas: np.ndarray, plate: np.ndarray, width: float, avoid: list[np.ndarray]
) -> np.ndarray | None:
    """Paste `plate` scaled to about `width` px into `canvas` (in place) away from boxes
    in `avoid`; return its box [x1,y1,x2,y2] or None if it did not fit."""
    H, W = canvas.shape[:2]
    ph, pw = plate.shape[:2]
    scale = width / pw
    w, h = pw * scale, ph * scale
    if w >= W - 4 or h >= H - 4 or w < 8:
        return None
    for _ in range(10):
        x0, y0 = rng.uniform(2, W - w - 2), rng.uniform(2, H - h - 2)
        jitter = 0.08
        src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
        dst = np.float32([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]])
        dst += np.float32(
            [[rng.uniform(-jitter, jitter) * w, rng.uniform(-jitter, jitter) * h] for _ in range(4)]
        )
        box = np.array([dst[:, 0].min(), dst[:, 1].min(), dst[:, 0].max(), dst[:, 1].max()], np.float32)
        box = np.clip(box, 0, [W - 1, H - 1, W - 1, H - 1])
        if any(_iou(box, b) > 0.0 for b in avoid):
            continue
        m = cv2.getPerspectiveTransform(src, dst)
        warped = cv2.warpPerspective(plate, m, (W, H), flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), m, (W, H))
        mask = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32)[..., None] / 255.0
        canvas[:] = (canvas * (1 - mask) + warped * mask).astype(np.uint8)
        return box
    return None


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def photometric(rng: random.Random, img: np.ndarray) -> np.ndarray:
    """Camera-like degradations: exposure, blur, sensor noise, JPEG artefacts."""
    out = img.astype(np.float32) * rng.uniform(0.55, 1.35) + rng.uniform(-30, 30)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.6))
    if rng.random() < 0.4:
        out += np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 9), out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(35, 90)])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out
