"""Scene-set helpers shared by the accuracy benchmark and the threshold selection
scripts: frames are scored the way the benchmark scores them (upscaled into a
1280x720 frame, boxes matched at IoU 0.5)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from edge.vision.plates.plate_format import compact


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


class BoxRead(NamedTuple):
    """One box the reader returned on a scene, scored against the labels."""

    is_plate: bool  # matches a labelled plate at IoU 0.5
    read_right: bool  # ... and its text is exact
    detection_score: float
    confidence: float  # weakest glyph
    text: str


def scene_reads(
    reader,
    scenes_dir: Path,
    labels: dict,
    files: Iterable[str],
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[tuple[str, BoxRead]]:
    """(file, box read) for every box `reader.read` returns on each scene in `files`,
    the scene (optionally passed through `transform` first) upscaled to 720p."""
    out = []
    for f in files:
        img = cv2.imread(str(scenes_dir / f))
        frame, r = to_720p(transform(img) if transform else img)
        for p in reader.read(frame):
            lab = [lb for lb in labels[f] if iou(tuple(v / r for v in p.box), lb.box) >= 0.5]
            ok = bool(lab) and compact(lab[0].text) == compact(p.text)
            out.append((f, BoxRead(bool(lab), ok, p.detection_score, p.confidence, p.text)))
    return out
