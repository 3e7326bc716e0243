"""Plate proposals from the PP-OCR DB text detector (no trained plate detector).

DB outputs a per-pixel text probability map; each connected text region becomes a
line box (expanded by the usual DB "unclip" margin), and lines stacked on top of each
other with similar width are merged, so a two-line motorbike plate is one proposal.
It finds nearly every plate but also every sign and logo; the reader's grammar check
removes most of those. Slower than a dedicated detector: kept as a fallback that
needs no training and as the benchmark's baseline."""

from __future__ import annotations

import cv2
import numpy as np

from edge.vision.plugins import Box, Detection, Detector
from edge.vision.runtime import SessionFactory
from firmware_config.plates import PpOcrDetectorConfig
from models.manifest import resolve_model

_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


class PpOcrDetector(Detector):
    type_key = "ppocr_det"

    def __init__(self, session, config: PpOcrDetectorConfig) -> None:
        self.session = session
        self.config = config
        self.input_name = session.get_inputs()[0].name

    @classmethod
    def from_config(cls, config: PpOcrDetectorConfig, sessions: SessionFactory) -> PpOcrDetector:
        return cls(sessions.create(resolve_model(config.model)), config)

    def text_lines(self, image_bgr: np.ndarray) -> list[tuple[Box, float]]:
        ih, iw = image_bgr.shape[:2]
        r = min(1.0, self.config.max_side / max(ih, iw))
        h, w = max(32, round(ih * r / 32) * 32), max(32, round(iw * r / 32) * 32)
        img = cv2.resize(image_bgr, (w, h)).astype(np.float32) / 255.0
        tensor = ((img - _MEAN) / _STD).transpose(2, 0, 1)[None]
        prob = self.session.run(None, {self.input_name: tensor})[0][0, 0]
        mask = (prob > self.config.threshold).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        sx, sy = iw / w, ih / h
        lines = []
        for c in contours:
            x, y, bw, bh = cv2.boundingRect(c)
            if bw < 4 or bh < 4:
                continue
            score = float(prob[y : y + bh, x : x + bw][mask[y : y + bh, x : x + bw] > 0].mean())
            if score < self.config.min_score:
                continue
            d = cv2.contourArea(c) * 1.5 / max(cv2.arcLength(c, True), 1.0)
            box = ((x - d) * sx, (y - d) * sy, (x + bw + d) * sx, (y + bh + d) * sy)
            lines.append((box, score))
        return lines

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        ih, iw = image_bgr.shape[:2]
        lo, hi = self.config.aspect_range
        dets = []
        for b, s in _stack_lines(self.text_lines(image_bgr)):
            box = (max(0.0, b[0]), max(0.0, b[1]), min(float(iw), b[2]), min(float(ih), b[3]))
            w, h = box[2] - box[0], box[3] - box[1]
            if h >= self.config.min_height and lo <= w / max(h, 1e-6) <= hi:
                dets.append(Detection(box, s, "plate"))
        return sorted(dets, key=lambda d: -d.score)


def _stack_lines(lines: list[tuple[Box, float]]) -> list[tuple[Box, float]]:
    """Merge vertically adjacent lines of similar width (the rows of one plate)."""
    lines = sorted(lines, key=lambda item: item[0][1])
    used = [False] * len(lines)
    out = []
    for i, (a, sa) in enumerate(lines):
        if used[i]:
            continue
        used[i] = True
        box, score = list(a), sa
        for j in range(i + 1, len(lines)):
            if used[j]:
                continue
            b, sb = lines[j]
            h = box[3] - box[1]
            overlap = min(box[2], b[2]) - max(box[0], b[0])
            narrow = min(box[2] - box[0], b[2] - b[0])
            widths_ok = 0.4 < (b[2] - b[0]) / max(box[2] - box[0], 1e-6) < 2.5
            if overlap > 0.6 * narrow and widths_ok and b[1] - box[3] < 0.6 * h and b[1] > box[1] + 0.3 * h:
                box = [min(box[0], b[0]), box[1], max(box[2], b[2]), max(box[3], b[3])]
                score = min(score, sb)
                used[j] = True
                break
        out.append(((box[0], box[1], box[2], box[3]), score))
    return out
