"""Recombined training plates (`models/train/glyph_mix.py`) on the real training-split
scenes of ../shared with the real recogniser: lines are cut into glyphs, the new
texts differ from the plates they were made from, and the pixels say what the labels
say (the recogniser reads most recombined plates as their new text)."""

from __future__ import annotations

import random

import pytest

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.plate_format import compact
from edge.vision.plates.reader import PlateReader
from edge.vision.runtime import SessionFactory
from firmware_config.plates import CtcRecognizerConfig, PlateReaderConfig
from models.train.glyph_mix import GLYPHS, recogniser_posteriors
from models.train.rec_data import LineSampler, line_texts


@pytest.fixture(scope="module")
def recognizer() -> CtcRecognizer:
    return CtcRecognizer.from_config(CtcRecognizerConfig(), SessionFactory())


def test_recombined_plates_read_as_their_new_text(recognizer, plates_dir):
    sampler = LineSampler(
        plates_dir, random.Random(3), 0.0, recombine=1.0, posteriors=recogniser_posteriors(recognizer)
    )
    assert sampler.bank is not None
    lines = sum(1 if s.layout == "one_line" else 2 for s in sampler.sources)
    assert len(sampler.bank.lines) >= 0.9 * lines  # nearly every line cut into glyphs
    reader = PlateReader(None, recognizer, PlateReaderConfig())  # type: ignore[arg-type]
    originals = {"".join(line_texts(s.text, s.layout)) for s in sampler.sources}
    read_right = new_texts = 0
    n = 30
    for _ in range(n):
        img, box, labels, _ = sampler.recombined_plate()
        x1, y1, x2, y2 = (int(v) for v in box)
        dx = int((x2 - x1) * 0.1)
        got = reader.read_crop(img[y1:y2, max(0, x1 - dx) : x2 + dx])
        new = "".join(labels)
        assert all(ch in GLYPHS for ch in new)
        read_right += got is not None and compact(got.text) == new
        new_texts += new not in originals
    assert new_texts >= 0.8 * n
    assert read_right >= 0.7 * n, (read_right, n)
