"""Detector backend for the Ultralytics YOLOv8/YOLO11 ONNX export layout.

Input [1,3,H,W] RGB/255, letterboxed (aspect kept, grey 114 padding centred);
output [1, 4+classes, N] rows (cx, cy, w, h, class scores...) in input pixels, no
objectness. Our own plate detector (`models/train/plate_detector.py`) is exported in
this layout, and so is any team's YOLO plate model, so either drops in by config."""

from __future__ import annotations

import threading

import cv2
import numpy as np

from edge.vision.plugins import Detection, Detector
from edge.vision.runtime import SessionFactory
from firmware_config.plates import YoloPlateDetectorConfig
from models.manifest import resolve_model


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
    canvas = np.full((h, w, 3), 114, np.uint8)
    canvas[py : py + nh, px : px + nw] = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    tensor = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    return tensor, r, px, py


class LetterboxBuffers:
    """`letterbox` into buffers kept between frames, for one detector.

    Allocating a fresh canvas and float tensor for each 720p frame cost ~4 ms of page
    faults and passes over memory on the 2-core VM (measured beside the decoders); the
    resize now writes straight into a kept canvas and the BGR->RGB swap, NCHW
    transpose and 1/255 scaling are one pass into a kept tensor (~1 ms). The tensor
    returned is overwritten by the next call: run it before letterboxing again (the
    detector holds a lock across both, so concurrent `detect` calls stay correct)."""

    def __init__(self, size: tuple[int, int]) -> None:
        w, h = size
        self.size = size
        self._tensor = np.empty((1, 3, h, w), np.float32)
        self._canvas = np.full((h, w, 3), 114, np.uint8)
        self._placed: tuple[int, int, int, int] | None = None

    def __call__(self, image_bgr: np.ndarray) -> tuple[np.ndarray, float, float, float]:
        w, h = self.size
        ih, iw = image_bgr.shape[:2]
        r = min(w / iw, h / ih)
        nw, nh = round(iw * r), round(ih * r)
        px, py = (w - nw) // 2, (h - nh) // 2
        if self._placed != (nw, nh, px, py):  # another frame size: grey borders afresh
            self._canvas[:] = 114
            self._placed = (nw, nh, px, py)
        region = self._canvas[py : py + nh, px : px + nw]
        out = cv2.resize(image_bgr, (nw, nh), dst=region, interpolation=cv2.INTER_LINEAR)
        if not np.shares_memory(out, region):
            region[:] = out
        np.multiply(self._canvas[:, :, ::-1].transpose(2, 0, 1), _INV_255, out=self._tensor[0])
        return self._tensor, r, px, py


_INV_255 = np.float32(1.0 / 255.0)


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
        if config.input_size is not None:
            self.size = config.input_size
        elif isinstance(shape[2], int) and isinstance(shape[3], int):
            self.size = (shape[3], shape[2])
        else:
            raise DetectorLayoutError("model input size is dynamic; set `input_size` in the detector config")
        wanted = config.plate_classes
        self.keep = [i for i, name in enumerate(config.class_names) if wanted is None or name in wanted]
        self._letterbox = LetterboxBuffers(self.size)
        self._busy = threading.Lock()

    @classmethod
    def from_config(cls, config: YoloPlateDetectorConfig, sessions: SessionFactory) -> YoloDetector:
        return cls(sessions.create(resolve_model(config.model)), config)

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        with self._busy:  # the kept tensor must not change until run returns
            tensor, r, px, py = self._letterbox(image_bgr)
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
