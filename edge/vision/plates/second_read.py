"""Second read of an unsure plate crop: a few perturbed versions of the same crop.

The first read sees one crop, cut and levelled one way. When its best reading is weak
(nothing plausible, a nearly guessed glyph, or text the grammar explains badly), the
usual causes are in how the crop was prepared, not in the plate: a glyph cut by the
box edge, a deshear that helped or hurt, a washed-out plate, clutter next to the
plate inside a loose box. Each variant below undoes one of those causes; the reader
reads them all (`PlateReader.read_crops`) and keeps the reading the grammar explains
best. None of the variants is a learned or tuned transform: their sizes are the
ones the recogniser's training augmentation spans (`models/train/rec_data.py`)."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from edge.vision.plates.deskew import deshear, estimate_shear

Variant = Literal["deshear", "pad", "contrast", "tight"]
VARIANTS: tuple[Variant, ...] = ("deshear", "pad", "contrast", "tight")


def toggled_deshear(crop: np.ndarray, levelled: bool, max_slope: float) -> np.ndarray | None:
    """The crop with the first read's deshear choice reversed: raw when it was
    levelled, levelled at the estimated slope when it was not (None when there is
    no slope to undo)."""
    if levelled:
        return crop
    if max_slope <= 0 or crop.shape[0] < 8 or crop.shape[1] < 8:
        return None
    shear = estimate_shear(crop, max_slope)
    if abs(shear.slope) < 0.02:
        return None
    return deshear(crop, shear.slope)


def padded(crop: np.ndarray, fx: float = 0.06, fy: float = 0.08) -> np.ndarray:
    """Edge-replicated border: a glyph touching the box edge gets background beside
    it, as in the training crops (their margins go down to 0, rarely below)."""
    h, w = crop.shape[:2]
    px, py = max(1, round(w * fx)), max(1, round(h * fy))
    return cv2.copyMakeBorder(crop, py, py, px, px, cv2.BORDER_REPLICATE)


def stretched(crop: np.ndarray, lo_pct: float = 1.0, hi_pct: float = 99.0) -> np.ndarray:
    """Contrast normalised: grey levels between the 1st and 99th percentile stretched
    to the full range (same mapping on every channel, so hues are kept). Fixes
    under/over-exposed and hazy plates; a plate already at full range is unchanged."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    lo, hi = np.percentile(grey, (lo_pct, hi_pct))
    if hi - lo < 8:
        return crop
    lut = np.clip((np.arange(256, dtype=np.float32) - lo) * 255.0 / (hi - lo), 0, 255).astype(np.uint8)
    return cv2.LUT(crop, lut)


def tightened(crop: np.ndarray, fx: float = 0.04) -> np.ndarray | None:
    """A few per cent cut off left and right: a loose box's clutter (frame edge,
    bolts, bodywork) beside the text is read as glyphs."""
    w = crop.shape[1]
    dx = round(w * fx)
    if w - 2 * dx < 16:
        return None
    return crop[:, dx : w - dx]


def variant(crop: np.ndarray, name: Variant, levelled: bool, max_slope: float) -> np.ndarray | None:
    """One perturbed version of a raw crop (None when it would be the same crop)."""
    if name == "deshear":
        return toggled_deshear(crop, levelled, max_slope)
    if name == "pad":
        return padded(crop)
    if name == "contrast":
        out = stretched(crop)
        return None if out is crop else out
    return tightened(crop)
