"""The fine-tuned plate recogniser (`ppocr_v4_rec_plate_vn`: the weight average,
models/train/soup.py, of fine-tunes by models/train/plate_recognizer.py on the scene
set's training split only): it loads
through its manifest with verified bytes, keeps the source model's charset and output
layout (so the grammar decoder and any PP-OCR tooling use it unchanged), and reads the
real dev crops, which it never saw in training, at least as well as the model it
was fine-tuned from."""

from __future__ import annotations

import csv
import re

import cv2
import numpy as np
import pytest

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.reader import PlateReader
from edge.vision.runtime import SessionFactory
from firmware_config.plates import CtcRecognizerConfig, PlateReaderConfig
from models.manifest import CommittedSource, load_manifests, sha256_of, weights_path

NAME = "ppocr_v4_rec_plate_vn"


def _norm(text: str) -> str:
    return re.sub("[^0-9A-Z]", "", text)


@pytest.fixture(scope="module")
def tuned() -> CtcRecognizer:
    return CtcRecognizer.from_config(CtcRecognizerConfig(model=NAME), SessionFactory())


@pytest.fixture(scope="module")
def source() -> CtcRecognizer:
    return CtcRecognizer.from_config(CtcRecognizerConfig(model="ppocr_v4_rec_plate"), SessionFactory())


def test_committed_weights_match_their_manifest():
    manifest = load_manifests()[NAME]
    assert isinstance(manifest.source, CommittedSource)
    assert manifest.source.script == "models/train/plate_recognizer.py"
    assert sha256_of(weights_path(manifest)) == manifest.sha256


def test_keeps_the_source_charset_and_output_layout(tuned, source):
    assert tuned.alphabet == source.alphabet
    lines = [np.full((48, w, 3), 200, np.uint8) for w in (120, 200)]
    a, b = tuned.posteriors(lines), source.posteriors(lines)
    assert a.shape == b.shape and a.shape[-1] == len(tuned.alphabet)
    assert np.allclose(a.sum(-1), 1.0, atol=1e-4)


def test_reads_real_crops_at_least_as_well_as_its_source(tuned, source, plates_dir):
    with (plates_dir / "ocr" / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))[1::3]  # a fixed third of the crop set, both layouts
    hits = {}
    for name, rec in (("tuned", tuned), ("source", source)):
        reader = PlateReader(None, rec, PlateReaderConfig())  # type: ignore[arg-type]
        hits[name] = 0
        for row in rows:
            got = reader.read_crop(cv2.imread(str(plates_dir / "ocr" / row["file"])))
            hits[name] += bool(got and _norm(got.text) == _norm(row["text"]))
    assert hits["tuned"] >= hits["source"], hits
    assert hits["tuned"] / len(rows) >= 0.95, hits
