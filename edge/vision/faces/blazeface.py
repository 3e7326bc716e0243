"""BlazeFace (MediaPipe "front" 128x128 model; the "back" 256x256 one also works) as
a face-detector plug-in.

Cheap to run and good for faces that fill a good part of the frame, such as a
person standing at a kiosk; it misses small, distant faces (use CenterFace there).
The model predicts, for each of 896 fixed anchors (2 per cell of a 16x16 grid at
stride 8, 6 per cell of an 8x8 grid at stride 16), a score logit and a box + six
keypoints as offsets from the anchor centre in input pixels. The back model has the
same two grids at twice the strides, so one anchor table in normalised coordinates
serves both; only the input size differs."""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np

from edge.vision.faces.common import faces_in_frame, letterbox, weighted_nms
from edge.vision.plugins import Detection, Detector
from edge.vision.runtime import SessionFactory
from firmware_config.vision import BlazeFaceConfig
from models.manifest import resolve_model

GRIDS_AND_ANCHORS = ((16, 2), (8, 6))  # cells per side and anchors per cell, in output order


def blazeface_anchors() -> np.ndarray:
    """Anchor centres [896, 2] in normalised input coordinates, in the model's output order."""
    rows = []
    for grid, per_cell in GRIDS_AND_ANCHORS:
        ys, xs = np.mgrid[0:grid, 0:grid]
        centres = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 2)
        rows.append(np.repeat(centres, per_cell, axis=0))
    return np.concatenate(rows).astype(np.float32)


class BlazeFaceDetector(Detector):
    type_key: ClassVar[str] = "blazeface"

    def __init__(self, session, config: BlazeFaceConfig) -> None:
        self.session = session
        self.config = config
        self.input_name = session.get_inputs()[0].name
        shape = session.get_inputs()[0].shape
        if len(shape) != 4 or shape[3] != 3 or shape[1] != shape[2] or shape[1] not in (128, 256):
            raise ValueError(f"BlazeFace expects NHWC [1,128,128,3] or [1,256,256,3], model has {shape}")
        self.size: int = shape[1]
        self.anchors = blazeface_anchors()

    @classmethod
    def from_config(cls, config: BlazeFaceConfig, sessions: SessionFactory) -> BlazeFaceDetector:
        return cls(sessions.create(resolve_model(config.model)), config)

    def preprocess(self, image_bgr: np.ndarray):
        boxed, lb = letterbox(image_bgr, self.size, self.size)
        rgb = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).astype(np.float32)
        return (rgb / 127.5 - 1.0)[None], lb

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        tensor, lb = self.preprocess(image_bgr)
        s8, s16, r8, r16 = self.session.run(None, {self.input_name: tensor})
        logits = np.concatenate([s8[0, :, 0], s16[0, :, 0]])
        raw = np.concatenate([r8[0], r16[0]])
        return self.decode(logits, raw, lb, image_bgr.shape[:2])

    def decode(self, logits: np.ndarray, raw: np.ndarray, lb, frame_hw: tuple[int, int]) -> list[Detection]:
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80, 80)))
        keep = scores >= self.config.score_threshold
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep]
        size = self.size
        cx = raw[:, 0] / size + anchors[:, 0]
        cy = raw[:, 1] / size + anchors[:, 1]
        w, h = raw[:, 2] / size, raw[:, 3] / size
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1) * size
        kps = raw[:, 4:16].reshape(-1, 6, 2) / size + anchors[:, None, :]
        kps = (kps * size).reshape(-1, 12)
        kept = weighted_nms(boxes, scores, kps, self.config.nms_iou, self.config.max_faces)
        return faces_in_frame(kept, lb, frame_hw)
