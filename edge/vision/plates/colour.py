"""Plate background colour: white (private), yellow (commercial transport), blue
(state), red (military).

The colour is part of what a traffic notice records (plate number *and* colour) and
tells apart registers that share a text layout (a blue state plate and a white
private plate both read `80A-123.45`). It is read from the pixels:

1. **white balance**: a grey-world balance against the whole frame when the frame's
   mean colour is given: street cameras have strong casts (a bluish intersection
   camera makes a yellow plate look grey-beige, sodium light makes a white plate
   cream), and the frame average is the cheapest neutral reference at hand;
2. **which pixels are paint**: only the centre of the crop is looked at (the middle
   60 % across, 70 % down, inside the reader's margin): detector boxes on small,
   far plates are loose, and what they hold beyond the plate (a van's grey body, a
   red reflector strip beside the plate) decided the colour before. The centre is
   split by Otsu into light and dark pixels; of the light ones only the brighter half
   counts, since blur mixes ink into the rest;
3. **decision by paint, then by share**: a saturated yellow light part is a yellow
   plate (Vietnamese plates never have yellow glyphs); a saturated blue or red dark
   part that covers most of the centre, with unsaturated (white) glyphs, is a blue
   or red plate; otherwise a light part covering a quarter or more is a white plate.
   Deciding polarity by share alone failed on 15-30 px plates, where blurred glyphs
   cover half the centre (bench/plate_colour_eval.py, models/README.md)."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

PlateColour = Literal["white", "yellow", "blue", "red", "unknown"]

YELLOW_MIN_SATURATION = 70  # OpenCV 0-255 scale, after white balance
DARK_MIN_SATURATION = 60  # a blue or red background at least this saturated
YELLOW_MIN_SHARE = 0.3  # of the centre light: a yellow plate's paint, not a glint
WHITE_MIN_SHARE = 0.25  # blurred glyphs of a 15-30 px plate cover up to ~3/4 of its centre
CENTRE_X, CENTRE_Y = 0.2, 0.15  # trimmed from each side of the inner crop: the plate itself


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
    ih, iw = inner.shape[:2]
    y0, x0 = int(ih * CENTRE_Y), int(iw * CENTRE_X)
    centre = inner[y0 : max(y0 + 1, int(ih * (1 - CENTRE_Y))), x0 : max(x0 + 1, int(iw * (1 - CENTRE_X)))]
    grey = cv2.cvtColor(centre, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = grey > threshold
    hsv = cv2.cvtColor(centre, cv2.COLOR_BGR2HSV)
    light, dark = hsv[bright], hsv[~bright]
    if len(light) == 0 or len(dark) == 0:
        return "unknown"
    light = light[light[:, 2] >= np.median(light[:, 2])]
    share = float(bright.mean())
    sat_light, hue_light = _saturation_hue(light)
    if sat_light >= YELLOW_MIN_SATURATION and 10 <= hue_light < 40 and share >= YELLOW_MIN_SHARE:
        return "yellow"
    sat_dark, hue_dark = _saturation_hue(dark)
    if share < 0.5 and sat_dark >= DARK_MIN_SATURATION and sat_light < sat_dark:
        if 85 <= hue_dark < 140:
            return "blue"
        if hue_dark >= 160 or hue_dark < 10:
            return "red"
    return "white" if share >= WHITE_MIN_SHARE else "unknown"


def _saturation_hue(hsv: np.ndarray) -> tuple[float, float]:
    """Median saturation and mean hue of HSV pixels; hue on OpenCV's 0-180 circle,
    averaged as an angle (red wraps around 0)."""
    angle = hsv[:, 0].astype(np.float32) * (np.pi / 90)
    hue = float(np.degrees(np.arctan2(np.sin(angle).mean(), np.cos(angle).mean())) / 2) % 180
    return float(np.median(hsv[:, 1])), hue
