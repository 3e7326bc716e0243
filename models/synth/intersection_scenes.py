"""1080p intersection frames and clips for benchmarks and tests, built from **held-out**
dev scenes (never trained on by the detector or the recogniser) with
`models/synth/intersection.py`: real plates on the rears of real vehicles, seen from
above at 40-90 px wide (the issue's 1080p intersection scale), on drawn roads.

These are composites, labelled as such wherever a figure is reported; the real
footage figures come from the shared traffic clips at their native resolution
(`bench/real_footage.py`)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.synth.intersection import PlacedPlate, compose, degrade, draw_road, place_vehicle, vehicles_of
from models.train.split import split_scenes

SIZE_1080P = (1920, 1080)
PLATE_WIDTH_1080P = (40.0, 90.0)


def held_out_vehicles(dataset: Path):
    _, held = split_scenes(dataset / "scenes")
    vehicles, _ = vehicles_of(held, dataset / "scenes")
    return vehicles


def composite_frames(
    dataset: Path, n: int, *, size: tuple[int, int] = SIZE_1080P, seed: int = 11, count: int = 10
) -> list[tuple[np.ndarray, list[PlacedPlate]]]:
    """`n` still 1080p frames with `count` vehicles each (fixed seed)."""
    vehicles = held_out_vehicles(dataset)
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        img, placed = compose(
            rng, size, vehicles, draw_road(rng, size), count=count, plate_width=PLATE_WIDTH_1080P
        )
        out.append((degrade(rng, img, strength=0.4), placed))
    return out


@dataclass(frozen=True)
class ClipPass:
    text: str
    frames: range  # frames in which the vehicle is in view


@dataclass(frozen=True)
class Clip:
    path: Path
    fps: float
    passes: list[ClipPass]
    plates: list[list[PlacedPlate]]  # per frame: the plates in view (box, text)


def intersection_clip(
    dataset: Path,
    path: Path,
    *,
    seconds: float = 6.0,
    fps: float = 10.0,
    size: tuple[int, int] = SIZE_1080P,
    vehicles_per_second: float = 2.0,
    seed: int = 5,
) -> Clip:
    """Write a clip of vehicles driving away from the camera up the frame (plates
    shrinking from 90 to 40 px), a new one every 1/`vehicles_per_second` s in one of
    four lanes; return its passes and the plates in view in each frame."""
    vehicles = held_out_vehicles(dataset)
    rng = random.Random(seed)
    W, H = size
    road = draw_road(rng, size)
    n_frames = int(seconds * fps)
    lanes = [0.2, 0.4, 0.6, 0.8]
    plan = []  # (vehicle, lane x, first frame, frames to cross, pose seed)
    t = 0.0
    while t < seconds - 1.0:
        frames_to_cross = int(fps * rng.uniform(2.5, 4.0))
        lane = lanes[len(plan) % len(lanes)]
        plan.append(
            (
                vehicles[rng.randrange(len(vehicles))],
                lane,
                int(t * fps),
                frames_to_cross,
                rng.randrange(1 << 30),
            )
        )
        t += 1.0 / vehicles_per_second
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    passes = [ClipPass(v.text, range(f0, min(n_frames, f0 + n))) for v, _, f0, n, _ in plan]
    plates: list[list[PlacedPlate]] = []
    try:
        for f in range(n_frames):
            canvas = road.copy()
            visible = [(p, (f - p[2]) / p[3]) for p in plan if p[2] <= f < p[2] + p[3]]
            in_view: list[PlacedPlate] = []
            for (vehicle, lane, _, _, pose), progress in sorted(visible, key=lambda v: -v[1]):
                y = H * (0.95 - 0.75 * progress)  # far (small, high) ones first, near ones over them
                width = PLATE_WIDTH_1080P[1] - (PLATE_WIDTH_1080P[1] - PLATE_WIDTH_1080P[0]) * progress
                x = W * (0.5 + (lane - 0.5) * (1.0 - 0.4 * progress))
                box = place_vehicle(random.Random(pose), canvas, vehicle, width, (x, y), tilt=0.8)
                if box is not None:
                    in_view.append(PlacedPlate(box, vehicle.text))
            plates.append(in_view)
            writer.write(degrade(random.Random(seed * 1000 + f), canvas, strength=0.3))
    finally:
        writer.release()
    return Clip(path, fps, passes, plates)
