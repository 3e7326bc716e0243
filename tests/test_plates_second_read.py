"""The confidence-gated second read (`PlateReaderConfig.second_read`,
`edge/vision/plates/second_read.py`) on real training-split scene plates of ../shared
and real non-plate images, with the real recogniser: only unsure crops are read
again, no plate read right once is lost, and non-plates stay rejected."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from skimage import data

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.deskew import level_text
from edge.vision.plates.reader import PlateReader
from edge.vision.plates.second_read import VARIANTS, padded, stretched, tightened, toggled_deshear
from edge.vision.runtime import SessionFactory
from firmware_config.plates import CtcRecognizerConfig, PlateReaderConfig
from models.train.rec_data import LineSampler, compact, load_sources
from models.train.rec_data import _reader_crop as reader_crop
from tests.conftest import PLATES_DIR


@pytest.fixture(scope="module")
def recognizer() -> CtcRecognizer:
    return CtcRecognizer.from_config(CtcRecognizerConfig(), SessionFactory())


@pytest.fixture(scope="module")
def training_crops() -> list[tuple[np.ndarray, str]]:
    """Training-split plates as the reader cuts them, plus one augmented copy each."""
    if not PLATES_DIR.is_dir():
        pytest.skip(f"dev plate set not found at {PLATES_DIR}")
    plates_dir = PLATES_DIR
    margin = PlateReaderConfig().crop_margin
    plain = [(reader_crop(s.frame, s.box, margin), s.text) for s in load_sources(plates_dir, "train")]
    return plain + LineSampler(plates_dir, random.Random(5), 0.0, "train").augmented_crops(1)


def _reader(recognizer: CtcRecognizer, on: bool) -> PlateReader:
    return PlateReader(None, recognizer, PlateReaderConfig(second_read=on))  # type: ignore[arg-type]


def test_off_by_default():
    assert PlateReaderConfig().second_read is False


def test_second_read_is_rare_and_loses_no_plate(recognizer, training_crops):
    off, on = _reader(recognizer, False), _reader(recognizer, True)
    cfg = on.config
    gated = right_off = right_on = lost = 0
    for crop, label in training_crops:
        first = on.readings([level_text(crop, cfg.deskew_max_slope, cfg.deskew_min_gain)])[0]
        gated += on.unsure(first)
        a, b = off.read_crop(crop), on.read_crop(crop)
        ok_a = a is not None and compact(a.text) == compact(label)
        ok_b = b is not None and compact(b.text) == compact(label)
        right_off += ok_a
        right_on += ok_b
        lost += ok_a and not ok_b
    assert 0 < gated <= 0.1 * len(training_crops), gated  # unsure crops exist, and are few
    assert lost == 0 and right_on >= right_off, (lost, right_off, right_on)


def test_confident_reading_is_not_read_again(recognizer, training_crops):
    on = _reader(recognizer, True)
    crop, label = training_crops[0]
    first = on.readings([level_text(crop, on.config.deskew_max_slope, on.config.deskew_min_gain)])[0]
    if on.unsure(first):
        pytest.skip("first training plate is read unsurely by this recogniser")
    got = on.read_crop(crop)
    assert got is not None and compact(got.text) == compact(label)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "blank"])
def test_non_plates_stay_rejected(recognizer, name):
    on = _reader(recognizer, True)
    images = {
        "blank": np.full((60, 240, 3), 230, np.uint8),
        "astronaut": cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:200, 150:350],
        "coffee": cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)[100:250, 100:400],
    }
    assert on.unsure(on.readings([images[name]])[0])  # these do go through the second read
    assert on.read_crop(images[name]) is None


def test_variants_change_the_crop_as_described(training_crops, recognizer):
    crop, _ = training_crops[0]
    h, w = crop.shape[:2]
    assert padded(crop).shape[0] > h and padded(crop).shape[1] > w
    tight = tightened(crop)
    assert tight is not None and tight.shape[0] == h and tight.shape[1] < w
    dull = (crop.astype(np.float32) * 0.4 + 60).astype(np.uint8)
    grey = cv2.cvtColor(stretched(dull), cv2.COLOR_BGR2GRAY)
    assert np.percentile(grey, 99) - np.percentile(grey, 1) > 1.8 * np.ptp(np.percentile(dull, (1, 99)))
    assert toggled_deshear(crop, True, 0.4) is crop  # levelled first: the variant is the raw crop
    on = _reader(recognizer, True)
    assert {n for n, _ in on.variant_readings(crop, True)} <= set(VARIANTS)
