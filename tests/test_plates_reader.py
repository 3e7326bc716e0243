"""The plate text reader on real Vietnamese plate crops (../shared dev set) with the
real PP-OCR recogniser under onnxruntime; non-plate text and images are rejected."""

from __future__ import annotations

import csv
import re

import cv2
import numpy as np
import pytest
from skimage import data

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.lines import layout_options, line_sets, split_lines
from edge.vision.plates.plate_decode import GrammarCandidate, GrammarDecoder
from edge.vision.plates.plate_format import parse
from edge.vision.plates.reader import PlateReader
from edge.vision.plugins import TextRead
from edge.vision.runtime import SessionFactory
from firmware_config.plates import CtcRecognizerConfig, PlateReaderConfig


def _norm(text: str) -> str:
    return re.sub("[^0-9A-Z]", "", text)


@pytest.fixture(scope="module")
def recognizer() -> CtcRecognizer:
    return CtcRecognizer.from_config(CtcRecognizerConfig(), SessionFactory())


@pytest.fixture(scope="module")
def reader(recognizer) -> PlateReader:
    # read_crop never calls the detector, so none is needed here
    return PlateReader(None, recognizer, PlateReaderConfig())  # type: ignore[arg-type]


def _sign(lines: list[str], size: tuple[int, int]) -> np.ndarray:
    w, h = size
    img = np.full((h, w, 3), 235, np.uint8)
    row = h // len(lines)
    for i, text in enumerate(lines):
        cv2.putText(
            img, text, (8, row * (i + 1) - row // 4), cv2.FONT_HERSHEY_SIMPLEX, row / 42, (20, 20, 20), 3
        )
    return img


def test_reads_real_crops_with_high_exact_match(reader, plates_dir):
    with (plates_dir / "ocr" / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))[::3]  # a fixed third of the crop set, both layouts
    hits = {"one_line": [0, 0], "two_line": [0, 0]}
    for row in rows:
        got = reader.read_crop(cv2.imread(str(plates_dir / "ocr" / row["file"])))
        hits[row["layout"]][0] += bool(got and _norm(got.text) == _norm(row["text"]))
        hits[row["layout"]][1] += 1
    total = sum(h[0] for h in hits.values()) / sum(h[1] for h in hits.values())
    assert hits["one_line"][1] >= 5 and hits["two_line"][1] >= 30
    assert total >= 0.9, hits


def test_two_line_plate_is_split_and_read_in_label_style(reader, plates_dir):
    with (plates_dir / "ocr" / "labels.csv").open(newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["text"] == "59-F1 757.58")
    got = reader.read_crop(cv2.imread(str(plates_dir / "ocr" / row["file"])))
    assert got is not None
    assert (got.text, got.layout) == ("59-F1 757.58", "two_line")
    assert 0 < got.confidence <= 1


def test_rendered_plates_read_in_both_layouts(reader):
    one = reader.read_crop(_sign(["51F-123.45"], (330, 70)))
    two = reader.read_crop(_sign(["59-X1", "123.45"], (190, 140)))
    assert one is not None and one.text == "51F-123.45" and one.layout == "one_line"
    assert two is not None and two.text == "59-X1 123.45" and two.layout == "two_line"


@pytest.mark.parametrize(
    "name",
    ["HONDA", "SALE 50%", "0912345678", "CAFE/OPEN", "blank", "astronaut", "coffee"],
)
def test_non_plates_are_rejected(reader, name):
    images = {
        "HONDA": _sign(["HONDA"], (300, 70)),
        "SALE 50%": _sign(["SALE 50%"], (300, 70)),
        "0912345678": _sign(["0912345678"], (300, 70)),
        "CAFE/OPEN": _sign(["CAFE", "OPEN"], (190, 140)),
        "blank": np.full((60, 240, 3), 230, np.uint8),
        "astronaut": cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:200, 150:350],
        "coffee": cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)[100:250, 100:400],
    }
    assert reader.read_crop(images[name]) is None


def test_grammar_decoding_beats_greedy_on_real_two_line_plates(recognizer, plates_dir):
    """Per-position decoding fixes what greedy CTC + string fix-up cannot (or equals it)."""
    decoder = GrammarDecoder()
    with (plates_dir / "ocr" / "labels.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["layout"] == "two_line"][::4]
    grammar = greedy = 0
    for row in rows:
        img = cv2.imread(str(plates_dir / "ocr" / row["file"]))
        reads = recognizer.read(split_lines(img, "two_line"))
        cands = decoder.decode(reads, "two_line")
        grammar += bool(cands and cands[0].plate.compact == _norm(row["text"]))
        strings_only = [TextRead(r.text, r.confidence) for r in reads]
        plain = decoder.decode(strings_only, "two_line")
        greedy += bool(plain and plain[0].plate.compact == _norm(row["text"]))
    assert grammar >= greedy
    assert grammar / len(rows) >= 0.9


def test_layout_options_follow_plate_shape():
    assert layout_options(np.zeros((40, 200, 3), np.uint8), 2.6) == ["one_line"]
    assert layout_options(np.zeros((140, 190, 3), np.uint8), 2.6) == ["two_line"]


def test_line_sets_are_the_layouts_with_their_split_lines(plates_dir):
    """One ink profile per crop gives what choosing the layout and splitting each
    computed on their own: real crops of every shape band, plus a blank one."""
    with (plates_dir / "ocr" / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))[::5]
    crops = [cv2.imread(str(plates_dir / "ocr" / r["file"])) for r in rows]
    crops += [cv2.resize(c, (c.shape[1] * 2, c.shape[0])) for c in crops[:6]]  # 1.6 <= aspect < 2.6
    crops.append(np.zeros((50, 100, 3), np.uint8))
    aspects = [c.shape[1] / c.shape[0] for c in crops]
    assert min(aspects) < 1.6 and any(1.6 <= a < 2.6 for a in aspects) and max(aspects) >= 2.6
    for crop in crops:
        got = line_sets(crop, 2.6)
        want = [(layout, split_lines(crop, layout)) for layout in layout_options(crop, 2.6)]
        assert [layout for layout, _ in got] == [layout for layout, _ in want]
        for (_, lines), (_, expected) in zip(got, want, strict=True):
            assert [line.shape for line in lines] == [e.shape for e in expected]
            assert all(np.array_equal(a, b) for a, b in zip(lines, expected, strict=True))


def test_recogniser_batches_lines_and_exposes_posteriors(recognizer):
    reads = recognizer.read([_sign(["59-X1"], (190, 70)), _sign(["123.45"], (190, 70))])
    assert [r.text for r in reads] == ["59-X1", "123.45"]
    assert reads[0].probs is not None and reads[0].probs.shape[1] == len(recognizer.alphabet)


def test_layout_reading_that_would_be_rejected_never_beats_an_acceptable_one(reader):
    """A one-line plate in a squarish box split in two gives confident glyphs that are
    not plate text (large score gap); the one-line reading that fits the grammar wins
    even though its weakest glyph is less certain."""
    split_wrongly = [GrammarCandidate(parse("80-A6 068.68"), 0.95, 19.0)]
    one_line = [GrammarCandidate(parse("80A-668.68"), 0.14, 1.2)]
    assert reader._better(one_line, split_wrongly)
    assert not reader._better(split_wrongly, one_line)
    tighter = [GrammarCandidate(parse("80A-668.68"), 0.10, 0.5)]
    assert reader._better(tighter, one_line)  # both acceptable: the better grammar fit wins
    assert not reader._better([], one_line)
