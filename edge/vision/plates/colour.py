"""Plate background colour: white (private), yellow (commercial transport), blue
(state), red (military).

The colour is part of what a traffic notice records (plate number *and* colour) and
tells apart registers that share a text layout (a blue state plate and a white
private plate both read `80A-123.45`). It is read from the pixels:

1. **polarity**: the crop's inner part is split by Otsu into strokes and background;
   the larger part is the background (glyphs cover well under half of a plate). A
   background brighter than the glyphs is a white or yellow plate, a darker one a
   blue or red plate (white glyphs);
2. **hue**, after a grey-world white balance against the whole frame when the frame's
   mean colour is given: street cameras have strong casts (a bluish intersection
   camera makes a yellow plate look grey-beige, sodium light makes a white plate
   cream), and the frame average is the cheapest neutral reference at hand."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

PlateColour = Literal["white", "yellow", "blue", "red", "unknown"]

YELLOW_MIN_SATURATION = 70  # OpenCV 0-255 scale, after white balance
DARK_MIN_SATURATION = 60  # a blue or red background at least this saturated


def frame_reference(frame_bgr: np.ndarray) -> np.ndarray:
    """Mean BGR of a frame (every 8th pixel), the neutral for `plate_colour`."""
    return frame_bgr[::8, ::8].reshape(-1, 3).mean(0)


def plate_colour(crop_bgr: np.ndarray, reference_bgr: np.ndarray | None = None) -> PlateColour:
    """Background colour of a plate crop (the reader's crop, margins included);
    `reference_bgr` is the frame's mean colour (`frame_reference`) when known."""
    h, w = crop_bgr.shape[:2]
    inner = crop_bgr[int(h * 0.12) : max(1, int(h * 0.88)), int(w * 0.12) : max(1, int(w * 0.88))]
    if inner.size < 12:
        return "unknown"
    if reference_bgr is not None:
        gains = float(np.mean(reference_bgr)) / np.maximum(np.asarray(reference_bgr, np.float32), 1.0)
        inner = np.clip(inner.astype(np.float32) * gains, 0, 255).astype(np.uint8)
    grey = cv2.cvtColor(inner, cv2.COLOR_BGR2GRAY)
    _, bright = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = bright.astype(bool)
    light_plate = bright.mean() >= 0.5
    hsv = cv2.cvtColor(inner, cv2.COLOR_BGR2HSV)[bright if light_plate else ~bright]
    if hsv.size == 0:
        return "unknown"
    sat = float(np.median(hsv[:, 1]))
    # hue on OpenCV's 0-180 circle, averaged as an angle (red wraps around 0)
    angle = hsv[:, 0].astype(np.float32) * (np.pi / 90)
    hue = float(np.degrees(np.arctan2(np.sin(angle).mean(), np.cos(angle).mean())) / 2) % 180
    if light_plate:
        return "yellow" if sat >= YELLOW_MIN_SATURATION and 10 <= hue < 40 else "white"
    if sat < DARK_MIN_SATURATION:
        return "unknown"
    if 85 <= hue < 140:
        return "blue"
    if hue >= 160 or hue < 10:
        return "red"
    return "unknown"
