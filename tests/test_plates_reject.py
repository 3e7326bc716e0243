"""The weak-detection reject (`edge/vision/plates/reject.py`) on real held-out scenes
from ../shared with the real detector and recogniser: with the grammar filter's
confidence floor removed (how a recogniser sure of every glyph would behave), boxes
that are not plates pass the grammar, and the check drops every one of them while
keeping every real plate."""

from __future__ import annotations

import cv2
import pytest

from edge.vision.models import registries
from edge.vision.plates.reader import PlateReader
from edge.vision.plates.reject import plate_like
from edge.vision.runtime import SessionFactory
from firmware_config.plates import NO_GAP_CHECK, PlateReaderConfig
from models.train.scene_eval import iou, to_720p
from models.train.split import split_scenes


@pytest.fixture(scope="module")
def models():
    detectors, recognizers = registries()
    sessions = SessionFactory()
    cfg = PlateReaderConfig()
    return detectors.create(cfg.detector, sessions), recognizers.create(cfg.recognizer, sessions)


@pytest.fixture
def held_out_720p(plates_dir):
    _, held = split_scenes(plates_dir / "scenes")
    out = []
    for f, labels in sorted(held.items()):
        frame, r = to_720p(cv2.imread(str(plates_dir / "scenes" / f)))
        out.append((frame, [tuple(v * r for v in lab.box) for lab in labels]))
    return out


def _count(reader: PlateReader, scenes) -> tuple[int, int, int]:
    """(plates found, plates, reads that are not plates)."""
    found = total = extra = 0
    for frame, boxes in scenes:
        reads = reader.read(frame)
        total += len(boxes)
        found += sum(any(iou(p.box, b) >= 0.5 for p in reads) for b in boxes)
        extra += sum(all(iou(p.box, b) < 0.5 for b in boxes) for p in reads)
    return found, total, extra


def test_weak_detections_need_a_confident_reading(models, held_out_720p):
    detector, recognizer = models
    sure = PlateReaderConfig(min_confidence=0.0, max_score_gap=NO_GAP_CHECK)
    without = PlateReader(detector, recognizer, sure.model_copy(update={"weak_detection_score": 0.0}))
    found, total, extra = _count(without, held_out_720p)
    assert total >= 40 and found == total
    assert extra >= 1  # non-plate boxes whose reading fits the grammar get through
    found, total, extra = _count(PlateReader(detector, recognizer, sure), held_out_720p)
    assert (found, extra) == (total, 0)


def test_default_reader_keeps_every_held_out_plate_and_no_other_box(models, held_out_720p):
    found, total, extra = _count(PlateReader(*models, PlateReaderConfig()), held_out_720p)
    assert (found, extra) == (total, 0)


def test_either_model_can_vouch_for_a_box():
    assert plate_like(0.9, 0.001, 0.7, 0.34)  # firm detection, doubtful glyph: grammar filter decides
    assert plate_like(0.55, 0.99, 0.7, 0.34)  # weak detection read confidently
    assert not plate_like(0.55, 0.03, 0.7, 0.34)
    assert plate_like(0.55, 0.03, 0.0, 0.34)  # weak_detection_score 0 turns the check off


def test_crops_read_without_a_detector_are_not_affected(models, plates_dir):
    _, held = split_scenes(plates_dir / "scenes")
    f, labels = sorted(held.items())[0]
    x1, y1, x2, y2 = labels[0].box
    crop = cv2.imread(str(plates_dir / "scenes" / f))[y1:y2, x1:x2]
    strict = PlateReaderConfig(weak_detection_score=1.0, weak_detection_min_confidence=1.0)
    got = PlateReader(None, models[1], strict).read_crop(crop)  # type: ignore[arg-type]
    assert got is not None and got.detection_score == 1.0
