"""Plate detectors: the YOLO export-layout backend on a real ONNX graph with known
output; our trained detector (default) and the PP-OCR text-detector proposals on real
scenes from ../shared, on the held-out split the detector never saw in training; the
grammar filter and the full reader end to end."""

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
from firmware_config.plates import PlateReaderConfig, PpOcrDetectorConfig, YoloPlateDetectorConfig
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


def _yolo_layout_model(path, rows: np.ndarray) -> None:
    """A real ONNX graph in the YOLOv8 export layout whose output is fixed rows, so the
    backend's decoding, score filter, NMS and letterbox inversion are checked exactly."""
    from onnx import TensorProto, helper, numpy_helper, save_model

    out = rows.astype(np.float32)[None]
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 416, 416])
    y = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(out.shape))
    const = numpy_helper.from_array(out, "rows")
    zero = numpy_helper.from_array(np.zeros((1,), np.float32), "zero")
    nodes = [
        helper.make_node("ReduceSum", ["images"], ["s"], keepdims=0),
        helper.make_node("Mul", ["s", "zero"], ["z"]),
        helper.make_node("Add", ["rows", "z"], ["output0"]),
    ]
    graph = helper.make_graph(nodes, "yolo_layout", [x], [y], [const, zero])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    save_model(model, str(path))


def test_yolo_backend_decodes_the_export_layout(tmp_path):
    # rows: cx, cy, w, h, score (416x416 letterboxed input of a 1280x720 frame)
    rows = np.array(
        [
            [208.0, 208.0, 60.0, 20.0, 0.90],  # plate at the centre
            [210.0, 209.0, 58.0, 21.0, 0.80],  # duplicate of it, removed by NMS
            [50.0, 150.0, 30.0, 10.0, 0.30],  # below the score threshold
            [400.0, 300.0, 20.0, 12.0, 0.70],  # a second plate
        ]
    ).T
    path = tmp_path / "yolo.onnx"
    _yolo_layout_model(path, rows)
    cfg = YoloPlateDetectorConfig(model=str(path), score_threshold=0.5)
    det = YoloDetector.from_config(cfg, SessionFactory())
    found = det.detect(np.zeros((720, 1280, 3), np.uint8))
    assert [round(d.score, 2) for d in found] == [0.9, 0.7]
    r, pad_y = 416 / 1280, (416 - 234) // 2
    x1, y1, x2, y2 = found[0].box
    assert (x1, y1) == pytest.approx(((208 - 30) / r, (208 - 10 - pad_y) / r), abs=0.01)
    assert (x2 - x1, y2 - y1) == pytest.approx((60 / r, 20 / r), abs=0.01)
    assert found[0].label == "plate"


def _score(find_boxes, held_out) -> tuple[float, int, int]:
    """(recall, false positives, plates) of `find_boxes(image)` at IoU 0.5."""
    found = false_pos = total = 0
    for img, labels in held_out:
        boxes = find_boxes(img)
        for lab in labels:
            total += 1
            found += any(_iou(b, lab.box) >= 0.5 for b in boxes)
        false_pos += sum(all(_iou(b, lab.box) < 0.5 for lab in labels) for b in boxes)
    return found / total, false_pos, total


def test_trained_detector_finds_held_out_plates(backends, held_out):
    """Our detector on the quarter of the scenes it never saw in training."""
    detector = backends[0]
    assert isinstance(detector, YoloDetector)
    recall, false_pos, total = _score(lambda img: [d.box for d in detector.detect(img)], held_out)
    assert total >= 40
    assert recall >= 0.95
    assert false_pos <= 0.15 * total


def test_default_detector_with_grammar_filter_on_held_out_scenes(backends, held_out):
    detector, recognizer, _, cfg = backends
    reader = PlateReader(detector, recognizer, cfg)
    recall, false_pos, total = _score(lambda img: [p.box for p in reader.read(img)], held_out)
    assert recall >= 0.95
    assert false_pos <= 0.05 * total


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
