"""Undo the vertical shear of a plate seen from the side.

A plate filmed at an angle keeps its glyph strokes roughly vertical but its text
line slopes, and PP-OCR recognisers, trained on level lines, then drop or merge
glyphs. The slope is estimated from the image alone: the plate is binarised (Otsu,
dark ink) on a small copy and sheared by a range of slopes; the slope whose row
profile of ink is most peaked (highest variance: ink concentrated in level rows) is
the text line's. Only a clear gain over the unsheared profile triggers a correction,
so level plates are never touched."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Shear:
    slope: float  # dy/dx of the text line in the crop (positive: falls to the right)
    gain: float  # row-profile variance at `slope` over the variance unsheared


def _ink(crop: np.ndarray, small_h: int = 32) -> np.ndarray:
    h, w = crop.shape[:2]
    small = cv2.resize(
        crop, (max(8, round(w * small_h / max(h, 1))), small_h), interpolation=cv2.INTER_LINEAR
    )
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def _sheared(img: np.ndarray, slope: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = np.float32([[1, 0, 0], [-slope, 1, slope * w / 2]])
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def estimate_shear(crop: np.ndarray, max_slope: float = 0.4, step: float = 0.02) -> Shear:
    """Slope of the crop's text line in [-max_slope, max_slope] (0.4 is ~22 degrees).

    Shearing only moves each ink pixel to another row, so the row profiles for all
    slopes are histograms of the shifted row indices, computed in one vectorised
    pass (no image warps; well under a millisecond)."""
    ink = _ink(crop)
    h, w = ink.shape
    ys, xs = np.nonzero(ink)
    if ys.size == 0:
        return Shear(0.0, 1.0)
    slopes = np.round(np.arange(-max_slope, max_slope + step / 2, step), 4)
    n = len(slopes)
    # Each slope's histogram gets `margin` spare rows above and below the crop for
    # the ink sheared out of it, dropped after counting: no mask, no gather, and the
    # rounding writes the integer bins directly (each pass over [slopes, pixels] costs).
    margin = int(np.ceil(np.abs(slopes).max() * w / 2)) + 1
    span = h + 2 * margin
    rows = slopes[:, None] * (xs - w / 2)
    np.subtract(ys, rows, out=rows)
    bins = np.empty(rows.shape, np.intp)
    np.rint(rows, out=bins, casting="unsafe")
    bins += (np.arange(n) * span + margin)[:, None]
    profiles = np.bincount(bins.ravel(), minlength=n * span).reshape(n, span)[:, margin : margin + h]
    scores = profiles.var(1)
    level = float(np.var(np.bincount(ys, minlength=h)))
    best = int(scores.argmax())
    return Shear(float(slopes[best]), float(scores[best]) / max(level, 1e-9))


def deshear(crop: np.ndarray, slope: float) -> np.ndarray:
    """The crop with its text line levelled (same size; edges replicated)."""
    return _sheared(crop, slope)


def level_text(crop: np.ndarray, max_slope: float, min_gain: float, min_slope: float = 0.04) -> np.ndarray:
    """The crop, desheared when its text line clearly slopes; otherwise unchanged."""
    if max_slope <= 0 or crop.shape[0] < 8 or crop.shape[1] < 8:
        return crop
    shear = estimate_shear(crop, max_slope)
    if abs(shear.slope) < min_slope or shear.gain < min_gain:
        return crop
    return deshear(crop, shear.slope)
