"""CenterFace as a face-detector plug-in, for small and distant faces.

An anchor-free detector: at stride 4 it predicts a face-centre heatmap, the log of
the face size, a sub-cell offset of the centre and five landmarks. It sees faces a
few dozen pixels tall that BlazeFace front misses, at a higher cost that grows with
the input size (`input_max_side`). The graph we ship has its input made dynamic at
fetch time, so any size that is a multiple of 32 works."""

from __future__ import annotations

import math
from typing import ClassVar

import cv2
import numpy as np

from edge.vision.faces.common import Letterbox, faces_in_frame, weighted_nms
from edge.vision.plugins import Detection, Detector
from edge.vision.runtime import SessionFactory
from firmware_config.vision import CenterFaceConfig
from models.manifest import resolve_model

STRIDE = 4
ALIGN = 32


class CenterFaceDetector(Detector):
    type_key: ClassVar[str] = "centerface"

    def __init__(self, session, config: CenterFaceConfig) -> None:
        self.session = session
        self.config = config
        self.input_name = session.get_inputs()[0].name

    @classmethod
    def from_config(cls, config: CenterFaceConfig, sessions: SessionFactory) -> CenterFaceDetector:
        return cls(sessions.create(resolve_model(config.model)), config)

    def preprocess(self, image_bgr: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        """Scale the long side to at most `input_max_side`, then pad right and bottom to
        multiples of 32 (the network downsamples by 32 and upsamples back)."""
        h, w = image_bgr.shape[:2]
        scale = min(1.0, self.config.input_max_side / max(h, w))
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        resized = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_AREA) if scale < 1 else image_bgr
        pw, ph = math.ceil(nw / ALIGN) * ALIGN, math.ceil(nh / ALIGN) * ALIGN
        padded = cv2.copyMakeBorder(resized, 0, ph - nh, 0, pw - nw, cv2.BORDER_CONSTANT, value=0)
        rgb = cv2.cvtColor(padded, cv2.COLOR_BGR2RGB).astype(np.float32)
        return rgb.transpose(2, 0, 1)[None], Letterbox(scale, 0.0, 0.0)

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        tensor, lb = self.preprocess(image_bgr)
        heat, size, offset, marks = self.session.run(None, {self.input_name: tensor})
        return self.decode(heat[0, 0], size[0], offset[0], marks[0], lb, image_bgr.shape[:2])

    def decode(
        self,
        heat: np.ndarray,
        size: np.ndarray,
        offset: np.ndarray,
        marks: np.ndarray,
        lb: Letterbox,
        frame_hw: tuple[int, int],
    ) -> list[Detection]:
        ys, xs = np.nonzero(heat > self.config.score_threshold)
        if len(ys) == 0:
            return []
        scores = heat[ys, xs]
        bh = np.exp(size[0, ys, xs]) * STRIDE
        bw = np.exp(size[1, ys, xs]) * STRIDE
        cy = (ys + offset[0, ys, xs] + 0.5) * STRIDE
        cx = (xs + offset[1, ys, xs] + 0.5) * STRIDE
        x1, y1 = cx - bw / 2, cy - bh / 2
        boxes = np.stack([x1, y1, x1 + bw, y1 + bh], axis=1)
        # landmarks: channel 2k is y (in box heights), 2k+1 is x (in box widths), from the box corner
        lm_y = marks[0::2, ys, xs].T * bh[:, None] + y1[:, None]
        lm_x = marks[1::2, ys, xs].T * bw[:, None] + x1[:, None]
        kps = np.stack([lm_x, lm_y], axis=2).reshape(len(ys), -1)
        kept = weighted_nms(boxes, scores, kps, self.config.nms_iou, self.config.max_faces)
        return faces_in_frame(kept, lb, frame_hw)
