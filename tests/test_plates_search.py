"""Plate search: whole frame vs native resolution, tiles for fixed-input detectors,
region of interest and motion; and small plates in a 1080p frame found and read at
native resolution with the real models (held-out dev plates composited at
intersection scale, ../shared)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from edge.vision.models import VisionModels
from edge.vision.plates.plate_format import compact
from edge.vision.plates.search import PlateSearch, attention_mask, auto_scale
from edge.vision.plugins import Detection, Detector
from firmware_config.plates import PlateSearchConfig
from firmware_config.vision import VisionConfig
from models.synth.intersection import compose, degrade, draw_road, vehicles_of
from models.train.split import split_scenes


class Recorder(Detector):
    """Reports a box wherever a tile shows a white square; remembers tile sizes."""

    type_key = "recorder"

    def __init__(self, fixed: tuple[int, int] | None) -> None:
        self.fixed = fixed
        self.seen: list[tuple[int, int]] = []

    @classmethod
    def from_config(cls, config, sessions):  # pragma: no cover - built directly
        raise NotImplementedError

    def fixed_input(self):
        return self.fixed

    def detect(self, image_bgr):
        self.seen.append(image_bgr.shape[:2][::-1])
        ys, xs = np.nonzero(image_bgr[:, :, 0] > 200)
        if xs.size == 0:
            return []
        return [
            Detection(
                (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)), 0.9, "plate"
            )
        ]


def _frame(w=1920, h=1080, box=(1500, 800, 1560, 840)) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    x1, y1, x2, y2 = box
    img[y1:y2, x1:x2] = 255
    return img


def test_frame_mode_gives_the_detector_the_whole_frame():
    det = Recorder((416, 416))
    found = PlateSearch(det, PlateSearchConfig()).detect(_frame())
    assert det.seen == [(1920, 1080)] and len(found) == 1


def test_native_mode_scales_once_for_a_dynamic_detector_and_maps_boxes_back():
    det = Recorder(None)
    found = PlateSearch(det, PlateSearchConfig(mode="native")).detect(_frame())
    assert auto_scale(1920) == pytest.approx(2 / 3) and det.seen == [(1280, 720)]
    (d,) = found
    assert d.box == pytest.approx((1500, 800, 1560, 840), abs=2)


def test_fixed_detector_is_tiled_and_a_box_cut_by_a_tile_edge_is_taken_from_the_neighbour():
    det = Recorder((416, 416))
    box = (395, 300, 455, 340)  # crosses the first tile's right edge at native scale
    found = PlateSearch(det, PlateSearchConfig(mode="native", scale=1.0)).detect(_frame(box=box))
    assert all(size == (416, 416) for size in det.seen) and len(det.seen) > 10
    assert len(found) == 1 and found[0].box == pytest.approx(box, abs=1)


def test_region_of_interest_and_motion_narrow_the_search():
    det = Recorder(None)
    search = PlateSearch(det, PlateSearchConfig(mode="native", scale=1.0))
    roi = [(0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0)]
    assert len(search.detect(_frame(), roi)) == 1 and det.seen[-1][0] <= 964
    assert search.detect(_frame(box=(100, 100, 160, 140)), roi) == []  # outside the ROI
    still = np.zeros((90, 160), np.uint8)
    calls = len(det.seen)
    assert search.detect(_frame(), (), still) == [] and len(det.seen) == calls  # nothing moved: no run
    moved = still.copy()
    moved[66:70, 124:130] = 255  # around the plate, in the gate's small mask
    assert len(search.detect(_frame(), (), moved)) == 1 and det.seen[-1][0] < 400
    assert search.last_area < 0.1


def test_a_tracked_plate_keeps_its_area_searched_when_nothing_moves():
    mask = attention_mask(np.zeros((90, 160), np.uint8), [(1500, 800, 1560, 840)], (1920, 1080))
    ys, xs = np.nonzero(mask)
    assert xs.min() == 125 and ys.min() == 66


def test_min_plate_width_drops_boxes_too_small_to_read():
    det = Recorder(None)
    search = PlateSearch(det, PlateSearchConfig(mode="native", scale=1.0, min_plate_width=80))
    assert search.detect(_frame()) == []


@pytest.fixture
def composite(plates_dir):
    """Two 1080p frames, ten held-out dev vehicles each, plates 40-90 px wide."""
    _, held = split_scenes(plates_dir / "scenes")
    vehicles, _ = vehicles_of(held, plates_dir / "scenes")
    rng = random.Random(3)
    out = []
    for _ in range(2):
        img, placed = compose(
            rng, (1920, 1080), vehicles, draw_road(rng, (1920, 1080)), count=10, plate_width=(40, 90)
        )
        out.append((degrade(rng, img, strength=0.3), placed))
    return out


def test_small_plates_in_a_1080p_frame_are_read_at_native_resolution(composite):
    native = VisionModels.build(
        VisionConfig(plates={"search": {"mode": "native"}}), plates=True, faces=False
    ).plates
    whole = VisionModels.build(VisionConfig(), plates=True, faces=False).plates
    total = right = right_whole = wrong = 0
    for img, placed in composite:
        truth = {compact(p.text) for p in placed}
        reads = [compact(r.text) for r in native.read(img)]
        total += len(placed)
        right += sum(t in truth for t in reads)
        wrong += sum(t not in truth for t in reads)
        right_whole += sum(compact(r.text) in truth for r in whole.read(img))
    # single frames, no tracker vote: a far plate's glyph may be misread now and then
    assert right >= 0.6 * total and wrong <= 1, (right, total, wrong)  # measured 13/20 read right, 1 misread
    assert right_whole <= 0.2 * total  # what the issue saw: shrunk whole, these plates are lost
