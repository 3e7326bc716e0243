"""Where the plate detector looks in a frame, and at what resolution.

A parking-gate plate fills a tenth of the frame, so shrinking the whole frame into the
detector's 416-px input (`mode: frame`) loses nothing. An intersection camera sees
plates 40-90 px wide in 1080p: shrunk 4.6x they are 9-20 px, below what any detector
finds. `mode: native` keeps their pixels (measured against tiles, a whole-frame pass
and two-stage search in models/README.md, "Plates at intersection scale"):

* only the camera's region of interest (`plate_roi`, default the whole frame) is
  searched, cut down to the box around the regions the motion gate saw change (a
  parked vehicle keeps being read while the gate holds; a still frame is not searched
  at all: the gate closes);
* that area is scaled by `scale` (automatic: 1 up to 1280 px wide frames, 1280/width
  above, so 1080p runs at 0.67) and given to the detector at that size: a
  dynamic-input detector runs once on it, a fixed-input one on overlapping tiles of
  its input size (`tile_overlap`), boxes cut by a tile edge dropped because the
  overlap shows them whole in the neighbour;
* boxes are mapped back to frame pixels, so the reader cuts its crops from the
  full-resolution frame."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from edge.vision.motion import polygon_mask
from edge.vision.plugins import Detection, Detector
from firmware_config.plates import PlateSearchConfig

AUTO_WIDTH = 1280  # frames wider than this are searched at AUTO_WIDTH / width


def auto_scale(width: int) -> float:
    return min(1.0, AUTO_WIDTH / max(1, width))


def _span(lo: int, hi: int, size: int, stride: int) -> list[int]:
    """Tile origins covering [lo, hi) with tiles of `size`, `stride` apart."""
    if hi - lo <= size:
        return [lo]
    starts = list(range(lo, hi - size, stride))
    return [*starts, hi - size]


def attention_mask(
    changed: np.ndarray, boxes: Sequence[tuple[float, float, float, float]], frame_size: tuple[int, int]
) -> np.ndarray:
    """The motion gate's changed pixels plus the boxes of plates still being tracked
    (a vehicle waiting at the stop line does not move, but its pass is not over)."""
    if not boxes:
        return changed
    mask = changed.copy()
    mh, mw = mask.shape[:2]
    w, h = frame_size
    for x1, y1, x2, y2 in boxes:
        cv2.rectangle(
            mask, (int(x1 * mw / w), int(y1 * mh / h)), (int(x2 * mw / w), int(y2 * mh / h)), 255, -1
        )
    return mask


class PlateSearch:
    """Runs a plate `Detector` over the parts of a frame worth looking at."""

    def __init__(self, detector: Detector, config: PlateSearchConfig) -> None:
        self.detector = detector
        self.config = config
        fixed = getattr(detector, "fixed_input", None)
        self.tile: tuple[int, int] | None = fixed() if callable(fixed) else None
        self._roi_cache: dict[
            tuple[tuple[int, int], tuple], tuple[np.ndarray, tuple[int, int, int, int]]
        ] = {}
        self.last_area = 0.0  # share of the frame searched in the last call (for stats and benches)

    def detect(
        self,
        frame: np.ndarray,
        roi: Sequence[tuple[float, float]] = (),
        motion: np.ndarray | None = None,
    ) -> list[Detection]:
        """Plate boxes in frame pixels. `roi` is a normalised polygon (empty: whole
        frame); `motion` a small mask of changed pixels of the same frame (any
        resolution, non-zero = changed; None: look everywhere)."""
        h, w = frame.shape[:2]
        if self.config.mode == "frame":
            self.last_area = 1.0
            return self._inside(self.detector.detect(frame), roi, (w, h))
        area = self._area(frame.shape[:2], roi, motion)
        if area is None:
            self.last_area = 0.0
            return []
        x1, y1, x2, y2 = area
        self.last_area = (x2 - x1) * (y2 - y1) / (w * h)
        scale = self.config.scale or auto_scale(w)
        part = frame[y1:y2, x1:x2]
        if abs(scale - 1.0) > 1e-3:
            size = (max(8, round((x2 - x1) * scale)), max(8, round((y2 - y1) * scale)))
            part = cv2.resize(part, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        sy, sx = part.shape[0] / (y2 - y1), part.shape[1] / (x2 - x1)
        found = self._tiled(part) if self.tile else self.detector.detect(part)
        dets = [
            Detection(
                (d.box[0] / sx + x1, d.box[1] / sy + y1, d.box[2] / sx + x1, d.box[3] / sy + y1),
                d.score,
                d.label,
            )
            for d in found
        ]
        return self._inside(dets, roi, (w, h))

    def _area(
        self, shape: tuple[int, int], roi: Sequence[tuple[float, float]], motion: np.ndarray | None
    ) -> tuple[int, int, int, int] | None:
        """The box to search: the ROI's bounding box, cut down to where motion was."""
        h, w = shape
        key = ((w, h), tuple(roi))
        if key not in self._roi_cache:
            mask = polygon_mask((h, w), [roi]) if roi else np.full((h, w), 255, np.uint8)
            ys, xs = np.nonzero(mask[::4, ::4])
            if xs.size == 0:
                return None
            box = (
                int(xs.min()) * 4,
                int(ys.min()) * 4,
                min(w, int(xs.max()) * 4 + 4),
                min(h, int(ys.max()) * 4 + 4),
            )
            self._roi_cache[key] = (mask, box)
        _, (x1, y1, x2, y2) = self._roi_cache[key]
        if motion is not None:
            mh, mw = motion.shape[:2]
            ys, xs = np.nonzero(motion)
            if xs.size == 0:
                return None
            m = self.config.motion_margin
            mx1 = max(0, int((xs.min() / mw - m) * w))
            my1 = max(0, int((ys.min() / mh - m) * h))
            mx2 = min(w, math.ceil(((xs.max() + 1) / mw + m) * w))
            my2 = min(h, math.ceil(((ys.max() + 1) / mh + m) * h))
            x1, y1, x2, y2 = max(x1, mx1), max(y1, my1), min(x2, mx2), min(y2, my2)
            if x2 - x1 < 8 or y2 - y1 < 8:
                return None
        return x1, y1, x2, y2

    def _tiled(self, part: np.ndarray) -> list[Detection]:
        assert self.tile is not None
        tw, th = self.tile
        h, w = part.shape[:2]
        if w <= tw and h <= th:
            return self.detector.detect(part)
        ov = self.config.tile_overlap
        out: list[Detection] = []
        for ty in _span(0, h, th, max(1, th - ov)):
            for tx in _span(0, w, tw, max(1, tw - ov)):
                tile = part[ty : ty + th, tx : tx + tw]
                th_, tw_ = tile.shape[:2]
                for d in self.detector.detect(tile):
                    bx1, by1, bx2, by2 = d.box
                    cut = (
                        (bx1 < 2 and tx > 0)
                        or (by1 < 2 and ty > 0)
                        or (bx2 > tw_ - 2 and tx + tw_ < w)
                        or (by2 > th_ - 2 and ty + th_ < h)
                    )
                    if not cut:
                        out.append(Detection((bx1 + tx, by1 + ty, bx2 + tx, by2 + ty), d.score, d.label))
        if not out:
            return out
        boxes = [[d.box[0], d.box[1], d.box[2] - d.box[0], d.box[3] - d.box[1]] for d in out]
        keep = cv2.dnn.NMSBoxes(boxes, [d.score for d in out], 0.0, 0.45)
        return sorted((out[int(k)] for k in np.asarray(keep).reshape(-1)), key=lambda d: -d.score)

    def _inside(
        self, dets: list[Detection], roi: Sequence[tuple[float, float]], size: tuple[int, int]
    ) -> list[Detection]:
        """Detections whose centre lies in the ROI and that are wide enough to read."""
        w, h = size
        min_w = self.config.min_plate_width
        out = [d for d in dets if d.box[2] - d.box[0] >= min_w]
        if not roi:
            return out
        mask, _ = self._roi_cache.get(((w, h), tuple(roi))) or (polygon_mask((h, w), [roi]), None)
        return [
            d
            for d in out
            if mask[min(h - 1, int((d.box[1] + d.box[3]) / 2)), min(w - 1, int((d.box[0] + d.box[2]) / 2))]
        ]
