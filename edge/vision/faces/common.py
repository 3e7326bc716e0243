"""Helpers shared by the face backends: model lookup, letterboxing and weighted NMS."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from edge.vision.plugins import Detection


@dataclass(frozen=True)
class Letterbox:
    """How a frame was scaled and padded into a model input, to map boxes back."""

    scale: float
    pad_x: float
    pad_y: float

    def to_frame(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (xs - self.pad_x) / self.scale, (ys - self.pad_y) / self.scale


def letterbox(image: np.ndarray, width: int, height: int) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio and pad the rest with black, centred; a face
    squashed by a plain resize is a face the model was never trained on."""
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    px, py = (width - nw) // 2, (height - nh) // 2
    out = cv2.copyMakeBorder(resized, py, height - nh - py, px, width - nw - px, cv2.BORDER_CONSTANT, value=0)
    return out, Letterbox(scale, px, py)


def faces_in_frame(
    kept: list[tuple[np.ndarray, float, np.ndarray]], lb: Letterbox, frame_hw: tuple[int, int]
) -> list[Detection]:
    """Map NMS output (boxes and flat x,y keypoints in model input pixels) back to
    the frame and clip the boxes to it."""
    fh, fw = frame_hw
    faces = []
    for box, score, kp in kept:
        xs, ys = lb.to_frame(box[0::2], box[1::2])
        kx, ky = lb.to_frame(kp[0::2], kp[1::2])
        xs, ys = np.clip(xs, 0, fw), np.clip(ys, 0, fh)
        faces.append(
            Detection(
                box=(float(xs[0]), float(ys[0]), float(xs[1]), float(ys[1])),
                score=score,
                label="face",
                keypoints=tuple((float(x), float(y)) for x, y in zip(kx, ky, strict=True)),
            )
        )
    return faces


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes [N,4] and [M,4] as (x1, y1, x2, y2)."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def weighted_nms(
    boxes: np.ndarray, scores: np.ndarray, extra: np.ndarray, iou: float, limit: int
) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """MediaPipe-style blending NMS: overlapping candidates of one face are averaged,
    weighted by score, instead of keeping only the best. Anchor models fire on several
    neighbouring anchors per face and the average is a steadier box than any one.
    Returns (box, score, extra) per kept face, best first; `extra` (e.g. keypoints)
    is blended the same way."""
    order = np.argsort(-scores)
    boxes, scores, extra = boxes[order], scores[order], extra[order]
    remaining = np.ones(len(scores), bool)
    out: list[tuple[np.ndarray, float, np.ndarray]] = []
    overlaps = iou_matrix(boxes, boxes) if len(boxes) else np.zeros((0, 0))
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        group = remaining & (overlaps[i] >= iou)
        group[i] = True
        w = scores[group][:, None]
        out.append(
            (
                (boxes[group] * w).sum(0) / w.sum(),
                float(scores[i]),
                (extra[group] * w).sum(0) / w.sum(),
            )
        )
        remaining &= ~group
        if len(out) >= limit:
            break
    return out
