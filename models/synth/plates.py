"""Render synthetic Vietnamese plates.

Real labelled plates are scarce (a few hundred in the dev set), so the detector is also
trained on rendered plates: random texts that follow the Vietnamese formats, on white
or yellow (commercial) plates with a black border, in the three physical shapes
(long one-line car plate, square two-line car plate, two-line motorbike plate). Fonts
are OpenCV's Hershey fonts: the shapes differ from the real plate font, which is why
real images are mixed in; for a detector the plate's overall look (bright rectangle,
dark border, dark glyph strokes in one or two rows) is what matters."""

from __future__ import annotations

import random
import string

import cv2
import numpy as np

SERIES_LETTERS = "ABCDEFGHKLMNPSTUVXYZ"
SHAPES = {"long": (520, 110), "square": (330, 165), "moto": (190, 140)}


def random_plate_text(rng: random.Random, shape: str) -> list[str]:
    """Plate text split in lines, e.g. ['51F-123.45'] or ['59-X1', '123.45']."""
    province = f"{rng.randint(11, 99)}"
    number = "".join(rng.choice(string.digits) for _ in range(rng.choice((4, 5, 5))))
    number = f"{number[:3]}.{number[3:]}" if len(number) == 5 else number
    if shape == "moto":
        second = rng.choice(string.digits) if rng.random() < 0.85 else rng.choice(SERIES_LETTERS)
        series = rng.choice(SERIES_LETTERS) + second
        if rng.random() < 0.08:
            series = "MĐ" + rng.choice("12")
        return [f"{province}-{series}", number]
    series = rng.choice(SERIES_LETTERS) + (rng.choice(SERIES_LETTERS) if rng.random() < 0.15 else "")
    if shape == "square":
        return [f"{province}{series}", number]
    return [f"{province}{series}-{number}"]


def render_plate(
    rng: random.Random, shape: str | None = None, height: int = 96
) -> tuple[np.ndarray, list[str]]:
    """A frontal BGR plate image of the given height and its text lines."""
    shape = shape or rng.choice(("long", "square", "moto", "moto"))
    lines = random_plate_text(rng, shape)
    yellow = rng.random() < 0.15
    base = np.array((40, 200, 235) if yellow else (235, 235, 235), np.float32)
    base = np.clip(base * rng.uniform(0.6, 1.15), 0, 255)
    ink = tuple(int(v) for v in np.full(3, rng.randint(0, 60)))
    font = rng.choice((cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX))
    underline = shape == "moto" and rng.random() < 0.5
    img = draw_plate(lines, shape, tuple(int(v) for v in base), ink, height, font, underline=underline)
    return img, lines


def draw_plate(
    lines: list[str],
    shape: str,
    background: tuple[int, int, int],
    ink: tuple[int, int, int],
    height: int = 96,
    font: int = cv2.FONT_HERSHEY_DUPLEX,
    *,
    underline: bool = False,
) -> np.ndarray:
    """A frontal BGR plate of `shape` (`SHAPES`) with the given text lines, background
    and ink colours (white/yellow plates: dark ink; blue/red plates: white ink)."""
    w_mm, h_mm = SHAPES[shape]
    width = int(height * w_mm / h_mm)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = background
    border = max(2, height // 30)
    cv2.rectangle(img, (border, border), (width - border - 1, height - border - 1), ink, border)
    rows = len(lines)
    row_h = (height - 4 * border) / rows
    for i, text in enumerate(lines):
        drawn = text.replace("Đ", "D")
        thickness = max(2, int(row_h / 9))
        (tw, th), _ = cv2.getTextSize(drawn, font, 1.0, thickness)
        scale = min((width - 6 * border) / tw, row_h * 0.72 / th)
        (tw, th), _ = cv2.getTextSize(drawn, font, scale, thickness)
        x = int((width - tw) / 2)
        y = int(2 * border + row_h * i + (row_h + th) / 2)
        cv2.putText(img, drawn, (x, y), font, scale, ink, thickness, cv2.LINE_AA)
    if underline:
        y = int(2 * border + row_h)
        cv2.line(img, (3 * border, y), (width - 3 * border, y), ink, max(1, border // 2))
    return img


KIND_COLOURS = {
    "white": ((235, 235, 235), (25, 25, 25)),
    "yellow": ((40, 200, 235), (25, 25, 25)),
    "blue": ((150, 60, 20), (240, 240, 240)),
    "red": ((40, 40, 200), (240, 240, 240)),
}


def render_any_kind(rng: random.Random, height: int = 96) -> tuple[np.ndarray, list[str]]:
    """A rendered plate of any kind: civil in white, yellow or blue, military in red
    (`TM-12-34`, one line or two), foreign / diplomatic in white (`80-011-NG-01`)."""
    r = rng.random()
    digits = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    if r < 0.2:
        unit = rng.choice("ABHKPQT") + rng.choice("ABCDEFGHKLMNPQSTUVXYZ")
        shape = rng.choice(("long", "square"))
        lines = [f"{unit}-{digits(2)}-{digits(2)}"] if shape == "long" else [unit, f"{digits(2)}-{digits(2)}"]
        colour = "red"
    elif r < 0.4:
        province, country = f"{rng.randint(11, 99)}", digits(3)
        series, order = rng.choice(("NG", "QT", "NN", "CV")), digits(rng.choice((2, 3)))
        shape = rng.choice(("long", "square"))
        lines = (
            [f"{province}-{country}-{series}-{order}"]
            if shape == "long"
            else [f"{province}-{country}", f"{series}-{order}"]
        )
        colour = "white"
    else:
        shape = rng.choice(("long", "square", "moto"))
        lines = random_plate_text(rng, shape)
        colour = rng.choice(("white", "yellow", "blue"))
    background, ink = KIND_COLOURS[colour]
    font = rng.choice((cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX))
    return draw_plate(lines, shape, background, ink, height, font), lines
