"""Deshearing of sloping plate text, estimated from the image alone."""

from __future__ import annotations

import csv
import re

import cv2
import numpy as np
import pytest

from edge.vision.plates.ctc import CtcRecognizer
from edge.vision.plates.deskew import deshear, estimate_shear, level_text
from edge.vision.plates.reader import PlateReader
from edge.vision.runtime import SessionFactory
from firmware_config.plates import CtcRecognizerConfig, PlateReaderConfig


def _plate(text: str = "51F-123.45", size: tuple[int, int] = (330, 70)) -> np.ndarray:
    w, h = size
    img = np.full((h, w, 3), 235, np.uint8)
    cv2.putText(img, text, (8, h - h // 4), cv2.FONT_HERSHEY_SIMPLEX, h / 42, (20, 20, 20), 3)
    return img


def _slanted(img: np.ndarray, slope: float) -> np.ndarray:
    """The plate as seen from the side: its text line falls by `slope` (dy/dx)."""
    w = img.shape[1]
    pad = int(abs(slope) * w / 2) + 4
    big = cv2.copyMakeBorder(img, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=(30, 30, 30))
    m = np.float32([[1, 0, 0], [slope, 1, -slope * w / 2]])
    return cv2.warpAffine(big, m, (w, big.shape[0]), borderMode=cv2.BORDER_REPLICATE)


@pytest.mark.parametrize("slope", [0.25, -0.25])
def test_slope_of_a_slanted_plate_is_recovered(slope):
    shear = estimate_shear(_slanted(_plate(), slope))
    assert shear.slope == pytest.approx(slope, abs=0.06)
    assert shear.gain > 1.2


def test_level_plate_is_left_unchanged():
    img = _plate()
    assert abs(estimate_shear(img).slope) < 0.04
    assert level_text(img, max_slope=0.4, min_gain=1.2) is img


def test_correction_can_be_turned_off():
    img = _slanted(_plate(), 0.25)
    assert level_text(img, max_slope=0.0, min_gain=1.2) is img
    assert deshear(img, 0.25).shape == img.shape


@pytest.mark.parametrize("model", ["ppocr_v4_rec_plate", CtcRecognizerConfig().model])
def test_deshearing_real_crops_gains_and_loses_nothing(plates_dir, model):
    """On the dev crops whose text line the estimator finds sloping, reading the
    desheared crop is never worse than reading it as it is, with the recogniser the
    thresholds were chosen with (where it reads one more plate) and with the default
    one (the fine-tuned recogniser already reads those crops unsheared)."""
    rec = CtcRecognizer.from_config(CtcRecognizerConfig(model=model), SessionFactory())
    on = PlateReader(None, rec, PlateReaderConfig())  # type: ignore[arg-type]
    off = PlateReader(None, rec, PlateReaderConfig(deskew_max_slope=0))  # type: ignore[arg-type]
    cfg = on.config
    changed = gained = 0
    with (plates_dir / "ocr" / "labels.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        img = cv2.imread(str(plates_dir / "ocr" / row["file"]))
        if level_text(img, cfg.deskew_max_slope, cfg.deskew_min_gain) is img:
            continue
        changed += 1
        want = re.sub("[^0-9A-Z]", "", row["text"])
        got_on, got_off = on.read_crop(img), off.read_crop(img)
        right_on = bool(got_on and re.sub("[^0-9A-Z]", "", got_on.text) == want)
        right_off = bool(got_off and re.sub("[^0-9A-Z]", "", got_off.text) == want)
        assert right_on or not right_off, row["file"]
        gained += right_on and not right_off
    assert 0 < changed < len(rows) // 10
    if model == "ppocr_v4_rec_plate":
        assert gained >= 1
