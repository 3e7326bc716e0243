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
SMALL_H = 64  # rows of the small binarised copy the ink profile is taken from


def ink_profile(crop: np.ndarray, small_h: int = SMALL_H) -> np.ndarray:
    """Smoothed fraction of ink per row of a `small_h`-row Otsu-binarised copy."""
    h, w = crop.shape[:2]
    small = cv2.resize(crop, (max(8, int(w * small_h / max(h, 1))), small_h), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    margin = max(1, grey.shape[1] // 10)
    _, ink = cv2.threshold(grey[:, margin:-margin], 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return np.convolve(ink.mean(1), np.ones(3) / 3, mode="same")


def layout_options(
    crop: np.ndarray, two_line_max_aspect: float, profile: np.ndarray | None = None
) -> list[Layout]:
    """Layouts worth reading for this crop, likeliest first. Very wide crops are one
    line and near-square ones two; in between (a tilted long plate has a squarer
    bounding box) both are read and the decoder keeps the more confident reading.
    `profile` is the crop's `ink_profile` if the caller already has it."""
    h, w = crop.shape[:2]
    aspect = w / max(h, 1)
    if aspect >= two_line_max_aspect:
        return ["one_line"]
    if aspect < 1.6:
        return ["two_line"]
    if profile is None:
        profile = ink_profile(crop)
    n = len(profile)
    gap = profile[int(n * 0.32) : int(n * 0.68)].min()
    rows = np.concatenate([profile[int(n * 0.1) : int(n * 0.4)], profile[int(n * 0.6) : int(n * 0.9)]])
    if gap < 0.35 * float(np.median(rows)):
        return ["two_line", "one_line"]
    return ["one_line", "two_line"]


def split_row(crop: np.ndarray, profile: np.ndarray | None = None) -> int:
    """Row index (in `crop`) separating the upper and lower text lines."""
    if profile is None:
        profile = ink_profile(crop)
    lo, hi = int(SMALL_H * 0.32), int(SMALL_H * 0.68)
    band = profile[lo:hi]
    rows = np.flatnonzero(band <= band.min() + 0.02)
    best = lo + int(rows[np.argmin(np.abs(rows + lo - SMALL_H / 2))])
    return round(best * crop.shape[0] / SMALL_H)


def split_lines(crop: np.ndarray, layout: Layout, profile: np.ndarray | None = None) -> list[np.ndarray]:
    """The text line images to read, top to bottom."""
    if layout == "one_line":
        return [crop]
    h = crop.shape[0]
    y = split_row(crop, profile)
    pad = max(1, h // 20)
    return [crop[: min(h, y + pad)], crop[max(0, y - pad) :]]


def line_sets(crop: np.ndarray, two_line_max_aspect: float) -> list[tuple[Layout, list[np.ndarray]]]:
    """`layout_options` with each layout's `split_lines`, the ink profile taken once
    (choosing the layout and finding the split row both need it; each costs a resize,
    a binarisation and a smoothing of the crop)."""
    h, w = crop.shape[:2]
    profile = ink_profile(crop) if w / max(h, 1) < two_line_max_aspect else None
    return [
        (layout, split_lines(crop, layout, profile))
        for layout in layout_options(crop, two_line_max_aspect, profile)
    ]
