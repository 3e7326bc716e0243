"""YuNet (OpenCV model zoo, 2023mar) as a face-detector plug-in with 5 landmarks.

The face verifier needs the eyes, nose tip and mouth corners to align a face to the
recogniser's template; YuNet gives them with every box. The model is anchor-free:
each cell of the stride-8/16/32 grids predicts a class and an objectness score, a
box as (dx, dy, log w, log h) in units of the stride from the cell's corner, and five
points as offsets in the same units. Its heads reshape with -1, so after
`models/transforms.py` frees the input size it runs on any multiple of 32; the image
is scaled down to `input_max_side` and padded at the bottom and right (as OpenCV's
`FaceDetectorYN` does), so coordinates map back with one division."""

from __future__ import annotations

from typing import ClassVar

import cv2
import numpy as np

from edge.vision.plugins import Detection, Detector
from edge.vision.runtime import SessionFactory
from firmware_config.vision import YuNetConfig
from models.manifest import resolve_model

STRIDES = (8, 16, 32)


class YuNetDetector(Detector):
    type_key: ClassVar[str] = "yunet"

    def __init__(self, session, config: YuNetConfig) -> None:
        self.session = session
        self.config = config
        self.input_name = session.get_inputs()[0].name
        names = [o.name for o in session.get_outputs()]
        expected = [f"{kind}_{s}" for kind in ("cls", "obj", "bbox", "kps") for s in STRIDES]
        if sorted(names) != sorted(expected):
            raise ValueError(f"YuNet outputs {expected} expected, model has {names}")
        self.output_names = expected
        self._grids: dict[tuple[int, int], list[np.ndarray]] = {}

    @classmethod
    def from_config(cls, config: YuNetConfig, sessions: SessionFactory) -> YuNetDetector:
        return cls(sessions.create(resolve_model(config.model)), config)

    def preprocess(self, image_bgr: np.ndarray) -> tuple[np.ndarray, float]:
        """NCHW float BGR 0-255, scaled to fit `input_max_side` and padded to multiples of 32."""
        h, w = image_bgr.shape[:2]
        scale = min(1.0, self.config.input_max_side / max(h, w))
        if scale < 1.0:
            image_bgr = cv2.resize(
                image_bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
            )
        rh, rw = image_bgr.shape[:2]
        ph, pw = -(-rh // 32) * 32, -(-rw // 32) * 32
        tensor = np.zeros((1, 3, ph, pw), np.float32)
        tensor[0, :, :rh, :rw] = image_bgr.transpose(2, 0, 1)
        return tensor, scale

    def _grid(self, ph: int, pw: int) -> list[np.ndarray]:
        """Cell corners (col, row) per stride, in the models' output order."""
        key = (ph, pw)
        if key not in self._grids:
            grids = []
            for stride in STRIDES:
                rows, cols = np.mgrid[0 : ph // stride, 0 : pw // stride]
                grids.append(np.stack([cols.ravel(), rows.ravel()], axis=1).astype(np.float32))
            self._grids[key] = grids
        return self._grids[key]

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        tensor, scale = self.preprocess(image_bgr)
        outputs = dict(
            zip(
                self.output_names, self.session.run(self.output_names, {self.input_name: tensor}), strict=True
            )
        )
        return self.decode(outputs, tensor.shape[2:], scale, image_bgr.shape[:2])

    def decode(
        self, outputs: dict[str, np.ndarray], padded_hw, scale: float, frame_hw: tuple[int, int]
    ) -> list[Detection]:
        boxes, scores, points = [], [], []
        for stride, cells in zip(STRIDES, self._grid(*padded_hw), strict=True):
            cls = np.clip(outputs[f"cls_{stride}"][0, :, 0], 0, 1)
            obj = np.clip(outputs[f"obj_{stride}"][0, :, 0], 0, 1)
            score = np.sqrt(cls * obj)
            keep = score >= self.config.score_threshold
            if not keep.any():
                continue
            bbox, kps, at = outputs[f"bbox_{stride}"][0, keep], outputs[f"kps_{stride}"][0, keep], cells[keep]
            centre = (at + bbox[:, :2]) * stride
            size = np.exp(bbox[:, 2:4]) * stride
            boxes.append(np.concatenate([centre - size / 2, size], axis=1))
            points.append((kps.reshape(-1, 5, 2) + at[:, None, :]) * stride)
            scores.append(score[keep])
        if not boxes:
            return []
        xywh, score, kps = np.concatenate(boxes), np.concatenate(scores), np.concatenate(points)
        kept = cv2.dnn.NMSBoxes(
            xywh.tolist(), score.tolist(), self.config.score_threshold, self.config.nms_iou
        )
        fh, fw = frame_hw
        faces = []
        for i in np.asarray(kept, dtype=int).ravel()[: self.config.max_faces]:
            x, y, w, h = (float(v) for v in xywh[i] / scale)
            faces.append(
                Detection(
                    box=(max(0.0, x), max(0.0, y), min(float(fw), x + w), min(float(fh), y + h)),
                    score=float(score[i]),
                    label="face",
                    keypoints=tuple((float(px / scale), float(py / scale)) for px, py in kps[i]),
                )
            )
        return faces
