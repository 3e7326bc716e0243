"""Motion gate: closed on a static (noisy) scene, open when something moves inside a
zone, blind to masked areas, and held open for a few frames after motion stops."""

from __future__ import annotations

import numpy as np

from edge.vision.motion import MotionGate, polygon_mask

H, W = 720, 1280


def scene(rng: np.random.Generator, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """A textured static background with sensor noise, optionally with a bright box."""
    yy, xx = np.mgrid[0:H, 0:W]
    base = ((xx // 40 + yy // 40) % 2 * 60 + 60).astype(np.int16)
    noisy = base + rng.normal(0, 3, (H, W)).astype(np.int16)
    img = np.clip(noisy, 0, 255).astype(np.uint8)
    img = np.repeat(img[:, :, None], 3, axis=2)
    if box is not None:
        x1, y1, x2, y2 = box
        img[y1:y2, x1:x2] = 240
    return img


def settle(gate: MotionGate, rng: np.random.Generator, n: int = 10) -> None:
    for _ in range(n):
        gate.update(scene(rng))


def test_static_noisy_scene_keeps_the_gate_closed() -> None:
    rng = np.random.default_rng(1)
    gate = MotionGate(hold_frames=2)
    results = [gate.update(scene(rng)) for _ in range(30)]
    assert results[0].open  # the first frame sets the baseline and is analysed once
    assert not any(r.open for r in results[3:])
    assert max(r.changed_fraction for r in results[3:]) < 0.003


def test_moving_object_opens_the_gate_and_hold_keeps_it_open() -> None:
    rng = np.random.default_rng(2)
    gate = MotionGate(hold_frames=3)
    settle(gate, rng)
    r = gate.update(scene(rng, (500, 300, 700, 420)))
    assert r.moving and r.open and r.changed_fraction > 0.01
    held = [gate.update(scene(rng)) for _ in range(5)]
    # the box vanishing is itself motion; then the hold runs out
    assert [h.open for h in held][-1] is False
    assert any(h.open and not h.moving for h in held)


def test_motion_inside_a_mask_is_ignored() -> None:
    rng = np.random.default_rng(3)
    mask = [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]  # left half
    gate = MotionGate(masks=[mask], hold_frames=0)
    settle(gate, rng)
    assert not gate.update(scene(rng, (100, 200, 400, 500))).open
    assert gate.update(scene(rng, (800, 200, 1100, 500))).open


def test_only_motion_inside_a_zone_counts() -> None:
    rng = np.random.default_rng(4)
    zone = [(0.5, 0.5), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0)]  # bottom-right quarter
    gate = MotionGate(zones=[zone], hold_frames=0)
    settle(gate, rng)
    assert not gate.update(scene(rng, (100, 50, 400, 300))).open
    assert gate.update(scene(rng, (800, 450, 1100, 700))).open


def test_polygon_mask_rasterises_normalised_points() -> None:
    mask = polygon_mask((100, 200), [[(0, 0), (0.5, 0), (0.5, 1), (0, 1)]])
    assert mask[50, 10] == 255 and mask[50, 150] == 0
    assert abs(np.count_nonzero(mask) / mask.size - 0.5) < 0.02
