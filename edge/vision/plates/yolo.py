"""Detector backend for the Ultralytics YOLOv8/YOLO11 ONNX export layout.

Input [1,3,H,W] RGB/255, letterboxed (aspect kept, grey 114 padding centred);
output [1, 4+classes, N] rows (cx, cy, w, h, class scores...) in input pixels, no
objectness. Our own plate detector (`models/train/plate_detector.py`) is exported in
this layout, and so is any other YOLO plate model, so either drops in by config."""

from __future__ import annotations

import cv2
import numpy as np

from edge.vision.plugins import Detection, Detector
from edge.vision.runtime import SessionFactory
from firmware_config.plates import YoloPlateDetectorConfig
from models.manifest import resolve_model

DYNAMIC_STRIDE = 32  # a dynamic-input model's input sides must be multiples of its largest stride


class DetectorLayoutError(ValueError):
    """The model's input/output shape is not the YOLO export layout."""


def letterbox(image_bgr: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float, float, float]:
    """Resize keeping aspect into `size` (w, h), centred on grey; return the NCHW
    float tensor and (scale, pad_x, pad_y) to map boxes back."""
    w, h = size
    ih, iw = image_bgr.shape[:2]
    r = min(w / iw, h / ih)
    nw, nh = round(iw * r), round(ih * r)
    px, py = (w - nw) // 2, (h - nh) // 2
    # Only the resized image is converted; the grey bands (up to ~45 % of the input
    # for a 16:9 frame) are filled with their constant value. Same values as scaling a
    # grey uint8 canvas: float32(v) / 255 either way.
    tensor = np.empty((1, 3, h, w), np.float32)
    grey = np.float32(114) / np.float32(255)
    tensor[:, :, :py] = grey
    tensor[:, :, py + nh :] = grey
    tensor[:, :, py : py + nh, :px] = grey
    tensor[:, :, py : py + nh, px + nw :] = grey
    small = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    for channel, plane in enumerate(reversed(cv2.split(small))):  # BGR -> RGB planes
        np.divide(plane, np.float32(255), out=tensor[0, channel, py : py + nh, px : px + nw])
    return tensor, r, px, py


class YoloDetector(Detector):
    type_key = "yolo"

    def __init__(self, session, config: YoloPlateDetectorConfig) -> None:
        self.session = session
        self.config = config
        inp = session.get_inputs()[0]
        self.input_name = inp.name
        shape = inp.shape
        if len(shape) != 4:
            raise DetectorLayoutError(f"expected a 4-D image input, model has {shape}")
        self.size: tuple[int, int] | None
        if config.input_size is not None:
            self.size = config.input_size
        elif isinstance(shape[2], int) and isinstance(shape[3], int):
            self.size = (shape[3], shape[2])
        else:
            self.size = None  # dynamic input: each image at its own size, padded to a multiple of 32
        wanted = config.plate_classes
        self.keep = [i for i, name in enumerate(config.class_names) if wanted is None or name in wanted]

    @classmethod
    def from_config(cls, config: YoloPlateDetectorConfig, sessions: SessionFactory) -> YoloDetector:
        return cls(sessions.create(resolve_model(config.model)), config)

    def fixed_input(self) -> tuple[int, int] | None:
        """(width, height) every image is letterboxed into, or None for a dynamic-input
        model (`PlateSearch` tiles a fixed one and gives a dynamic one its area whole)."""
        return self.size

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        size = self.size
        if size is None:
            ih, iw = image_bgr.shape[:2]
            size = (-(-iw // DYNAMIC_STRIDE) * DYNAMIC_STRIDE, -(-ih // DYNAMIC_STRIDE) * DYNAMIC_STRIDE)
        tensor, r, px, py = letterbox(image_bgr, size)
        out = self.session.run(None, {self.input_name: tensor})[0][0]
        n_classes = len(self.config.class_names)
        if out.shape[0] != 4 + n_classes and out.shape[1] == 4 + n_classes:
            out = out.T  # some exporters emit [1, N, 4+classes]
        if out.shape[0] != 4 + n_classes:
            raise DetectorLayoutError(f"output {out.shape} does not match 4+{n_classes} classes")
        scores = out[4:][self.keep]
        cls_idx = scores.argmax(0)
        best = scores.max(0)
        sel = np.flatnonzero(best >= self.config.score_threshold)
        if sel.size == 0:
            return []
        cx, cy, bw, bh = out[:4, sel]
        x1 = (cx - bw / 2 - px) / r
        y1 = (cy - bh / 2 - py) / r
        boxes_xywh = np.stack([x1, y1, bw / r, bh / r], 1)
        kept = cv2.dnn.NMSBoxes(
            boxes_xywh.tolist(), best[sel].tolist(), self.config.score_threshold, self.config.iou_threshold
        )
        ih, iw = image_bgr.shape[:2]
        dets = []
        for k in np.asarray(kept).reshape(-1)[: self.config.max_detections]:
            x, y, w, h = boxes_xywh[k]
            box = (
                max(0.0, float(x)),
                max(0.0, float(y)),
                min(float(iw), float(x + w)),
                min(float(ih), float(y + h)),
            )
            label = self.config.class_names[self.keep[int(cls_idx[sel[k]])]]
            dets.append(Detection(box, float(best[sel[k]]), label))
        return sorted(dets, key=lambda d: -d.score)
