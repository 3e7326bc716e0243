"""Every Vietnamese plate kind, through the grammar and through the real recogniser:
white (private), yellow (commercial), blue (state), red (military), foreign and
diplomatic series; one-line, two-line and square two-line car plates; motorbike
plates seen from behind at an angle. Colour is read from the pixels.

Rendered plates use OpenCV's Hershey font (no real plate font ships in a registry);
the real-glyph tests recolour real dev crops (../shared) into each colour."""

from __future__ import annotations

import csv
import re

import cv2
import numpy as np
import pytest

from edge.vision.plates.colour import frame_reference, plate_colour
from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.plate_format import PlateFormatError, fix_confusions, parse
from edge.vision.plates.reader import PlateReader
from edge.vision.runtime import SessionFactory
from firmware_config.plates import CtcRecognizerConfig, PlateReaderConfig
from models.synth.plates import draw_plate

WHITE, YELLOW, BLUE, RED = (235, 235, 235), (40, 200, 235), (150, 60, 20), (40, 40, 200)
DARK, LIGHT = (25, 25, 25), (245, 245, 245)

# (kind, lines as printed, shape, background, ink, expected text, colour, category)
KINDS = [
    ("private car, one line", ["51F-123.45"], "long", WHITE, DARK, "51F-123.45", "white", "civil"),
    ("commercial, yellow", ["29H-456.78"], "long", YELLOW, DARK, "29H-456.78", "yellow", "civil"),
    ("state, blue", ["80A-012.34"], "long", BLUE, LIGHT, "80A-012.34", "blue", "civil"),
    ("military, red", ["TM-12-34"], "long", RED, LIGHT, "TM-12-34", "red", "military"),
    ("diplomatic NG", ["80-011-NG-01"], "long", WHITE, DARK, "80-011-NG-01", "white", "foreign"),
    ("international QT", ["41-291-QT-123"], "long", WHITE, DARK, "41-291-QT-123", "white", "foreign"),
    ("square two-line car", ["29D", "044.88"], "square", WHITE, DARK, "29D-044.88", "white", "civil"),
    ("square yellow car", ["29B", "601.08"], "square", YELLOW, DARK, "29B-601.08", "yellow", "civil"),
    ("motorbike", ["59-X1", "123.45"], "moto", WHITE, DARK, "59-X1 123.45", "white", "civil"),
    ("motorbike MĐ", ["29-MĐ1", "007.26"], "moto", WHITE, DARK, "29-MD1 007.26", "white", "civil"),
    ("state motorbike, blue", ["80-B1", "234.56"], "moto", BLUE, LIGHT, "80-B1 234.56", "blue", "civil"),
    ("military square, red", ["KA", "12-34"], "square", RED, LIGHT, "KA-12-34", "red", "military"),
    ("foreign square", ["80-011", "NG-01"], "square", WHITE, DARK, "80-011-NG-01", "white", "foreign"),
]


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    recognizer = CtcRecognizer.from_config(CtcRecognizerConfig(), SessionFactory())
    return PlateReader(None, recognizer, PlateReaderConfig())  # type: ignore[arg-type]


def _on_road(plate: np.ndarray) -> np.ndarray:
    return cv2.copyMakeBorder(plate, 8, 8, 12, 12, cv2.BORDER_CONSTANT, value=(90, 90, 90))


@pytest.mark.parametrize(("name", "lines", "shape", "bg", "ink", "text", "colour", "category"), KINDS)
def test_grammar_formats_every_kind(name, lines, shape, bg, ink, text, colour, category):
    plate = parse(text)
    assert plate.formatted() == text
    assert plate.category == category


@pytest.mark.parametrize(("name", "lines", "shape", "bg", "ink", "text", "colour", "category"), KINDS)
@pytest.mark.parametrize("font", [cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SIMPLEX])
def test_recogniser_reads_every_kind(reader, name, lines, shape, bg, ink, text, colour, category, font):
    crop = _on_road(draw_plate(lines, shape, bg, ink, 96, font))
    got = reader.read_crop(crop)
    assert got is not None and got.text == text, name
    assert plate_colour(crop) == colour


def test_military_and_foreign_look_alikes_are_fixed_by_position():
    assert fix_confusions("TM-I2-34").formatted() == "TM-12-34"
    assert fix_confusions("80-0II-NG-0I").formatted() == "80-011-NG-01"


@pytest.mark.parametrize("text", ["ZZ-12-34", "TM-12-345", "80-011-XY-01", "10-011-NG-01", "80-01-NG-01"])
def test_other_series_reject_what_is_never_issued(text):
    with pytest.raises(PlateFormatError):
        parse(text)


def _view_from_behind(plate: np.ndarray, yaw: float, width: int) -> np.ndarray:
    """The plate turned by `yaw` (one side farther away, narrower) and seen from above
    (squashed), scaled to `width` px, on a road-grey patch."""
    h, w = plate.shape[:2]
    near, far = h, h * (1 - yaw)
    squash = 0.8
    dst = np.float32(
        [[0, (h - far) / 2], [w * (1 - 0.3 * yaw), 0], [w * (1 - 0.3 * yaw), h], [0, (h + far) / 2]]
    )
    dst[:, 1] *= squash
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    out_w, out_h = int(dst[:, 0].max()) + 1, int(max(near, dst[:, 1].max())) + 1
    warped = cv2.warpPerspective(
        plate, cv2.getPerspectiveTransform(src, dst), (out_w, out_h), borderValue=(90, 90, 90)
    )
    scale = width / out_w
    small = cv2.resize(warped, (width, max(8, round(out_h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.copyMakeBorder(small, 3, 3, 4, 4, cv2.BORDER_CONSTANT, value=(90, 90, 90))


@pytest.mark.parametrize("yaw", [0.15, 0.3])
@pytest.mark.parametrize("width", [48, 64])
def test_motorbike_plate_from_behind_at_an_angle(reader, yaw, width):
    plate = draw_plate(["59-X1", "123.45"], "moto", WHITE, DARK, 96)
    got = reader.read_crop(_view_from_behind(plate, yaw, width))
    assert got is not None and got.text == "59-X1 123.45"


def _recolour(crop: np.ndarray, background: tuple[int, int, int], ink: tuple[int, int, int]) -> np.ndarray:
    """A real white plate repainted: the glyphs' darkness mapped onto `ink`, the plate
    onto `background` (the real glyph shapes are kept)."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    lo, hi = np.percentile(grey, 5), np.percentile(grey, 95)
    t = np.clip((grey - lo) / max(1.0, hi - lo), 0, 1)[..., None]
    return (t * np.float32(background) + (1 - t) * np.float32(ink)).astype(np.uint8)


@pytest.mark.parametrize(
    ("background", "ink", "colour"), [(YELLOW, DARK, "yellow"), (BLUE, LIGHT, "blue"), (RED, LIGHT, "red")]
)
def test_real_glyphs_in_every_colour(reader, plates_dir, background, ink, colour):
    with (plates_dir / "ocr" / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))[::10]  # a fixed tenth of the crop set, both layouts
    right = seen = 0
    for row in rows:
        crop = cv2.imread(str(plates_dir / "ocr" / row["file"]))
        base = reader.read_crop(crop)
        if base is None or re.sub("[^0-9A-Z]", "", base.text) != re.sub("[^0-9A-Z]", "", row["text"]):
            continue  # only plates read right as they are: the test is about the colour
        seen += 1
        painted = _recolour(crop, background, ink)
        got = reader.read_crop(painted)
        right += bool(got and got.text == base.text)
        assert plate_colour(painted) == colour, row["file"]
    assert seen >= 15 and right >= 0.85 * seen, (right, seen)


def test_colour_white_balance_uses_the_frame():
    """A yellow plate under a bluish camera cast looks grey-beige on its own; against
    the frame's mean colour it is yellow again, and a white plate stays white."""
    cast = np.float32([1.25, 1.0, 0.8])  # B, G, R gains of a bluish camera
    frame = np.clip(np.full((120, 160, 3), 110, np.float32) * cast, 0, 255).astype(np.uint8)
    yellow = draw_plate(["29B", "601.08"], "square", YELLOW, DARK, 40)
    white = draw_plate(["30G", "921.10"], "square", WHITE, DARK, 40)
    for plate, expected in ((yellow, "yellow"), (white, "white")):
        tinted = np.clip(plate.astype(np.float32) * cast * 0.6, 0, 255).astype(np.uint8)
        assert plate_colour(tinted, frame_reference(frame)) == expected
