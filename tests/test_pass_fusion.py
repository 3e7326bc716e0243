"""The pass-fusion measurement's registration (`bench/pass_fusion.py`): sightings of
one plate are combined, a sighting of something else is left out, too few give
nothing. It guards the bench's figures, not a runtime path (fusion is not adopted)."""

import random
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from pass_fusion import fuse_crops

from models.synth.plates import render_any_kind


def _plate(seed: int = 3) -> np.ndarray:
    return render_any_kind(random.Random(seed), height=96)[0]


def _sightings(n: int, seed: int = 3, shift: float = 3.0) -> list[np.ndarray]:
    rng = random.Random(seed)
    plate = _plate(seed)
    out = []
    for i in range(n):
        m = np.float32([[1, 0, rng.uniform(-shift, shift)], [0, 1, rng.uniform(-shift, shift)]])
        moved = cv2.warpAffine(plate, m, (plate.shape[1], plate.shape[0]), borderMode=cv2.BORDER_REPLICATE)
        small = cv2.resize(moved, (40 + (i % 2 if shift else 0), 24), interpolation=cv2.INTER_AREA)
        noise = np.random.default_rng(seed + i).normal(0, 6, small.shape)
        out.append(np.clip(small + noise, 0, 255).astype(np.uint8))
    return out


def test_sightings_of_one_plate_are_fused_and_a_stranger_is_left_out():
    crops = _sightings(5)
    stranger = np.random.default_rng(0).integers(0, 255, crops[0].shape, dtype=np.uint8)
    fused = fuse_crops([*crops, stranger])
    assert fused is not None
    image, used = fused
    assert used == 5
    assert image.shape[0] == 2 * max(c.shape[0] for c in crops)  # 4x up, halved


def test_the_median_of_sightings_is_closer_to_the_plate_than_one_sighting():
    crops = _sightings(6, shift=0.0)
    image, used = fuse_crops(crops)
    assert used == 6
    size = (image.shape[1], image.shape[0])
    clean = cv2.resize(
        cv2.resize(_plate(), (40, 24), interpolation=cv2.INTER_AREA), size, interpolation=cv2.INTER_CUBIC
    )
    one = cv2.resize(crops[0], size, interpolation=cv2.INTER_CUBIC)
    fused_error = np.abs(image.astype(float) - clean).mean()
    assert fused_error < 0.7 * np.abs(one.astype(float) - clean).mean()


def test_too_few_sightings_give_nothing():
    assert fuse_crops(_sightings(2)) is None
    assert fuse_crops([]) is None
