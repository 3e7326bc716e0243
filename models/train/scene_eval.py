"""Scene-set helpers shared by the accuracy benchmark and the threshold selection
scripts: frames are scored the way the benchmark scores them (upscaled into a
1280x720 frame, boxes matched at IoU 0.5)."""

from __future__ import annotations

import cv2
import numpy as np


def iou(a, b) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def to_720p(img: np.ndarray) -> tuple[np.ndarray, float]:
    """Upscale a dev frame into a 1280x720 frame (what a camera delivers); returns the
    frame and the scale from dev-frame to 720p pixels."""
    h, w = img.shape[:2]
    r = min(1280 / w, 720 / h)
    canvas = np.zeros((720, 1280, 3), np.uint8)
    resized = cv2.resize(img, (round(w * r), round(h * r)))
    canvas[: resized.shape[0], : resized.shape[1]] = resized
    return canvas, r
