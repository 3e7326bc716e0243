"""Layout of a plate crop: one line or two, and where two lines meet.

PP-OCR recognisers read a single text line; a two-line plate read whole comes out as
garbage. Motorbike and square car plates are taller than wide-ish (width/height below
~2.6, a long car plate is ~4.7), so the aspect ratio tells the layout. The split row
is the least-inked row in the middle band of the plate, found on a small Otsu-
binarised copy, so a tilted or loosely cropped plate still splits between the rows."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

Layout = Literal["one_line", "two_line"]


def _ink_profile(crop: np.ndarray, small_h: int = 64) -> np.ndarray:
    h, w = crop.shape[:2]
    small = cv2.resize(crop, (max(8, int(w * small_h / max(h, 1))), small_h), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    margin = max(1, grey.shape[1] // 10)
    _, ink = cv2.threshold(grey[:, margin:-margin], 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return np.convolve(ink.mean(1), np.ones(3) / 3, mode="same")


def layout_options(crop: np.ndarray, two_line_max_aspect: float) -> list[Layout]:
    """Layouts worth reading for this crop, likeliest first. Very wide crops are one
    line and near-square ones two; in between (a tilted long plate has a squarer
    bounding box) both are read and the decoder keeps the more confident reading."""
    h, w = crop.shape[:2]
    aspect = w / max(h, 1)
    if aspect >= two_line_max_aspect:
        return ["one_line"]
    if aspect < 1.6:
        return ["two_line"]
    profile = _ink_profile(crop)
    n = len(profile)
    gap = profile[int(n * 0.32) : int(n * 0.68)].min()
    rows = np.concatenate([profile[int(n * 0.1) : int(n * 0.4)], profile[int(n * 0.6) : int(n * 0.9)]])
    if gap < 0.35 * float(np.median(rows)):
        return ["two_line", "one_line"]
    return ["one_line", "two_line"]


def split_row(crop: np.ndarray) -> int:
    """Row index (in `crop`) separating the upper and lower text lines."""
    small_h = 64
    profile = _ink_profile(crop, small_h)
    lo, hi = int(small_h * 0.32), int(small_h * 0.68)
    band = profile[lo:hi]
    rows = np.flatnonzero(band <= band.min() + 0.02)
    best = lo + int(rows[np.argmin(np.abs(rows + lo - small_h / 2))])
    return round(best * crop.shape[0] / small_h)


def split_lines(crop: np.ndarray, layout: Layout) -> list[np.ndarray]:
    """The text line images to read, top to bottom."""
    if layout == "one_line":
        return [crop]
    h = crop.shape[0]
    y = split_row(crop)
    pad = max(1, h // 20)
    return [crop[: min(h, y + pad)], crop[max(0, y - pad) :]]
