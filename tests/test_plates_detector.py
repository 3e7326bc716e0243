"""Plate detectors on real scenes from ../shared: our YOLO-layout detector (trained by
models/train/plate_detector.py, evaluated here on the held-out split it never saw),
the PP-OCR text-detector fallback, and the full reader end to end."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from edge.vision.plates import register_plate_backends
from edge.vision.plates.reader import PlateReader
from edge.vision.plates.yolo import YoloDetector, letterbox
from edge.vision.plugins import Detector, PluginRegistry, TextRecognizer
from edge.vision.runtime import SessionFactory
from firmware_config.plates import PlateReaderConfig, PpOcrDetectorConfig
from models.train.split import split_scenes


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def backends():
    detectors: PluginRegistry[Detector] = PluginRegistry("detector", Detector)
    recognizers: PluginRegistry[TextRecognizer] = PluginRegistry("recognizer", TextRecognizer)
    register_plate_backends(detectors, recognizers)
    sessions = SessionFactory()
    cfg = PlateReaderConfig()
    return (
        detectors.create(cfg.detector, sessions),
        recognizers.create(cfg.recognizer, sessions),
        detectors,
        cfg,
    )


@pytest.fixture
def held_out(plates_dir):
    _, held = split_scenes(plates_dir / "scenes")
    return [(cv2.imread(str(plates_dir / "scenes" / f)), labs) for f, labs in sorted(held.items())]


def test_letterbox_keeps_aspect_and_centres():
    img = np.full((720, 1280, 3), 255, np.uint8)
    tensor, r, px, py = letterbox(img, (416, 416))
    assert tensor.shape == (1, 3, 416, 416)
    assert r == pytest.approx(416 / 1280)
    assert (px, py) == (0, (416 - 234) // 2)
    assert tensor[0, :, 0, 0] == pytest.approx([114 / 255] * 3)


def test_yolo_detector_finds_held_out_plates(backends, held_out):
    detector = backends[0]
    assert isinstance(detector, YoloDetector)
    found = false_pos = total = 0
    for img, labels in held_out:
        boxes = [d.box for d in detector.detect(img)]
        for lab in labels:
            total += 1
            found += any(_iou(b, lab.box) >= 0.5 for b in boxes)
        false_pos += sum(all(_iou(b, lab.box) < 0.5 for lab in labels) for b in boxes)
    assert total >= 40
    assert found / total >= 0.95
    assert false_pos <= 0.1 * total


def test_detection_is_scale_invariant_on_a_720p_frame(backends, held_out):
    detector = backends[0]
    img, labels = held_out[0]
    frame = np.zeros((720, 1280, 3), np.uint8)
    r = 720 / img.shape[0]
    big = cv2.resize(img, (round(img.shape[1] * r), 720))
    frame[:, : big.shape[1]] = big
    boxes = [tuple(v / r for v in d.box) for d in detector.detect(frame)]
    assert any(_iou(b, labels[0].box) >= 0.5 for b in boxes)


def test_ppocr_text_detector_proposes_the_plate(backends, held_out):
    detectors = backends[2]
    det = detectors.create(PpOcrDetectorConfig(), SessionFactory())
    hits = 0
    for img, labels in held_out[:8]:
        boxes = [d.box for d in det.detect(img)]
        hits += any(_iou(b, labels[0].box) >= 0.5 for b in boxes)
    assert hits >= 6


def test_reader_reads_held_out_scenes_end_to_end(backends, held_out):
    detector, recognizer, _, cfg = backends
    reader = PlateReader(detector, recognizer, cfg)
    correct = 0
    for img, labels in held_out:
        reads = reader.read(img)
        want = re.sub("[^0-9A-Z]", "", labels[0].text)
        correct += any(
            re.sub("[^0-9A-Z]", "", p.text) == want and _iou(p.box, labels[0].box) >= 0.5 for p in reads
        )
    assert correct / len(held_out) >= 0.85
