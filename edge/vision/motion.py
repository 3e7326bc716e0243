"""Motion gating: decide cheaply whether a frame is worth running the detectors on.

A fixed camera watching an empty road or a quiet counter sees the same scene for
hours; running ONNX models on every frame would keep both cores busy for nothing.
The gate shrinks each frame to a small grey image, compares it with a slowly updated
background and only opens when enough pixels inside the configured zones (minus the
masks: swaying trees, clocks burnt into the image) have changed. It stays open for a
few frames after motion stops so a vehicle that halts at a barrier is still seen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Point = tuple[float, float]
Polygon = Sequence[Point]
"""Polygon in normalised image coordinates: x and y in [0, 1] of width and height."""


@dataclass(frozen=True)
class MotionResult:
    moving: bool
    """Motion was seen in this frame (before the hold)."""
    open: bool
    """The gate lets this frame through to the detectors (motion or hold)."""
    changed_fraction: float
    """Share of the watched area whose brightness changed by more than the threshold."""


def polygon_mask(shape: tuple[int, int], polygons: Sequence[Polygon], *, fill: int = 255) -> np.ndarray:
    """Rasterise normalised polygons into a uint8 mask of `shape` (height, width)."""
    h, w = shape
    mask = np.zeros((h, w), np.uint8)
    for poly in polygons:
        pts = np.array([[round(x * (w - 1)), round(y * (h - 1))] for x, y in poly], np.int32)
        cv2.fillPoly(mask, [pts], fill)
    return mask


class MotionGate:
    """Frame differencing against a running-average background on a downscaled grey frame."""

    def __init__(
        self,
        *,
        width: int = 160,
        pixel_threshold: int = 25,
        min_changed_fraction: float = 0.003,
        background_alpha: float = 0.05,
        hold_frames: int = 5,
        zones: Sequence[Polygon] = (),
        masks: Sequence[Polygon] = (),
    ) -> None:
        self.width = width
        self.pixel_threshold = pixel_threshold
        self.min_changed_fraction = min_changed_fraction
        self.alpha = background_alpha
        self.hold_frames = hold_frames
        self.zones = list(zones)
        self.masks = list(masks)
        self._background: np.ndarray | None = None
        self._watch: np.ndarray | None = None
        self._watched_pixels = 1
        self._hold = 0
        self.changed: np.ndarray | None = None
        """The last compared frame's changed pixels (small grey scale, 255 = changed,
        zones and masks applied); None before the first comparison. `PlateSearch`
        looks only around them."""

    def _small_grey(self, frame_bgr: np.ndarray) -> np.ndarray:
        h, w = frame_bgr.shape[:2]
        height = max(1, round(h * self.width / w))
        # Nearest-neighbour on the colour frame then one grey conversion of the small
        # image: a fraction of the cost of converting the full frame first.
        small = cv2.resize(frame_bgr, (self.width, height), interpolation=cv2.INTER_NEAREST)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return cv2.GaussianBlur(grey, (5, 5), 0)

    def _prepare(self, shape: tuple[int, int]) -> None:
        watch = polygon_mask(shape, self.zones) if self.zones else np.full(shape, 255, np.uint8)
        if self.masks:
            watch[polygon_mask(shape, self.masks) > 0] = 0
        self._watch = watch
        self._watched_pixels = max(1, int(np.count_nonzero(watch)))

    def update(self, frame_bgr: np.ndarray) -> MotionResult:
        grey = self._small_grey(frame_bgr)
        if self._background is None or self._background.shape != grey.shape:
            self._background = grey.astype(np.float32)
            self._prepare(grey.shape)
            self._hold = self.hold_frames
            return MotionResult(moving=True, open=True, changed_fraction=1.0)
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(self._background))
        _, changed = cv2.threshold(diff, self.pixel_threshold, 255, cv2.THRESH_BINARY)
        changed = cv2.bitwise_and(changed, self._watch)
        self.changed = changed
        fraction = cv2.countNonZero(changed) / self._watched_pixels
        cv2.accumulateWeighted(grey, self._background, self.alpha)
        moving = fraction >= self.min_changed_fraction
        if moving:
            self._hold = self.hold_frames
        elif self._hold > 0:
            self._hold -= 1
            return MotionResult(moving=False, open=True, changed_fraction=fraction)
        return MotionResult(moving=moving, open=moving, changed_fraction=fraction)
